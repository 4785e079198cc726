"""The provider contract: every reader is a Mailbox, and says how it sends."""

from mail_lead_sync.engine.ews import EwsMailbox
from mail_lead_sync.engine.graph import GraphMailbox
from mail_lead_sync.engine.imap import ImapMailbox, ImapSettings
from mail_lead_sync.engine.mailbox import Mailbox, SendingMailbox, SentCopyMailbox


def readers():
    return {
        "imap": ImapMailbox(ImapSettings(host="imap.example.com")),
        "graph": GraphMailbox("token"),
        "ews": EwsMailbox("karen@acme.test", "karen", "pw", server="ews.acme.test"),
    }


def test_every_reader_is_a_mailbox():
    assert all(isinstance(box, Mailbox) for box in readers().values())


def test_readers_say_how_the_owners_mail_is_sent():
    boxes = readers()
    assert {name for name, box in boxes.items() if isinstance(box, SendingMailbox)} == {"graph", "ews"}
    assert {name for name, box in boxes.items() if isinstance(box, SentCopyMailbox)} == {"imap"}
