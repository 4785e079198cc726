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


def test_open_mailbox_builds_the_providers_reader_from_one_settings():
    from mail_lead_sync.engine.mailbox import MailboxSettings, open_mailbox

    common = {"email": "karen@acme.test", "password": "pw", "host": "mail.acme.test", "timeout": 7}
    graph = open_mailbox(MailboxSettings(provider="microsoft", access_token="tok", graph_url="http://127.0.0.1:1/v1"))
    assert isinstance(graph, GraphMailbox)
    assert (graph.base_url, graph.session.headers["Authorization"]) == ("http://127.0.0.1:1/v1", "Bearer tok")
    ews = open_mailbox(
        MailboxSettings(provider="exchange", server="https://ews.acme.test/EWS", ca_file="/ca.pem", **common)
    )
    assert isinstance(ews, EwsMailbox)
    assert (ews.username, ews.server, ews.verify, ews.timeout) == (
        "karen@acme.test",
        "https://ews.acme.test/EWS",
        "/ca.pem",
        7,
    )
    assert open_mailbox(MailboxSettings(provider="exchange", **common)).verify is True  # system CAs
    for provider in ("imap", "gmail"):
        imap = open_mailbox(MailboxSettings(provider=provider, login="k", port=143, security="starttls", **common))
        assert isinstance(imap, ImapMailbox)
        s = imap.settings
        assert (s.host, s.port, s.security, s.login, s.password, s.timeout) == (
            "mail.acme.test",
            143,
            "starttls",
            "k",
            "pw",
            7,
        )
    # No login: the address is the login, as every provider takes it.
    assert open_mailbox(MailboxSettings(**common)).settings.login == "karen@acme.test"
