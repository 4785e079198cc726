"""Exchange on-premises through exchangelib (the real client) against an EWS
endpoint on 127.0.0.1 answering in the shapes Microsoft documents (no open-source
Exchange server exists): SyncFolderItems paging and states, GetItem headers and
MIME, ErrorInvalidSyncStateData, ErrorServerBusy with BackOffMilliseconds."""

import datetime
import pathlib
import socket
import subprocess
import sys
import textwrap

import pytest

from mail_lead_sync.engine import errors
from mail_lead_sync.engine.ews import EwsMailbox
from mail_lead_sync.engine.imap import Folder
from mail_lead_sync.tests.ews_server import READ_ONLY_OPERATIONS, EwsServer

REPO = pathlib.Path(__file__).resolve().parent.parent
INBOX, SENT = Folder("inbox", "inbox"), Folder("sentitems", "sent")


def raw(n, sender="Dana <dana@client.test>", to="karen@acme.test", extra=""):
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Message {n}\r\nMessage-ID: <e{n}@client.test>\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:0{n % 10} +0000\r\n{extra}\r\nBody {n}\r\n"
    ).encode()


@pytest.fixture
def server():
    with EwsServer("ACME\\karen", "s3cret") as srv:
        yield srv


def mailbox(server, password="s3cret", **kwargs):
    return EwsMailbox("karen@acme.test", "ACME\\karen", password, server=server.url, **kwargs)


def test_first_pass_in_pages_then_only_new_mail(server):
    for n in range(1, 6):
        server.deliver("inbox", raw(n, extra="List-Id: <news.client.test>\r\n" if n == 5 else ""))
    with mailbox(server) as box:
        assert [(f.name, f.role) for f in box.sync_folders()] == [("inbox", "inbox"), ("sentitems", "sent")]
        batches = list(box.index(INBOX, batch_size=2))
        assert [(len(b.entries), b.done) for b in batches] == [(2, False), (2, False), (1, True)]
        records = [e.record for b in batches for e in b.entries]
        assert [r.message_id for r in records] == [f"<e{n}@client.test>" for n in range(1, 6)]
        assert (records[0].sender[0].email, records[0].sender[0].name) == ("dana@client.test", "Dana")
        assert records[4].noise == "mailing-list"
        server.deliver("inbox", raw(6))
        [batch] = list(box.index(INBOX, cursor=batches[-1].cursor))
        assert [e.record.message_id for e in batch.entries] == ["<e6@client.test>"]
        key = batch.entries[0].key
        assert dict(box.fetch_bodies(INBOX, [key])) == {key: raw(6)}
    # Nothing but reads: no UpdateItem (read flags), MoveItem, DeleteItem, SendItem...
    assert set(server.operations) <= READ_ONLY_OPERATIONS


def test_sent_items_keep_their_bcc(server):
    server.deliver(
        "sentitems", raw(1, sender="karen@acme.test", to="x@other.test", extra="Bcc: Dana <Dana@Client.test>\r\n")
    )
    with mailbox(server) as box:
        [batch] = list(box.index(SENT))
    assert [(a.email, a.name) for a in batch.entries[0].record.bcc] == [("dana@client.test", "Dana")]


def test_history_window(server):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    server.deliver("inbox", raw(1), received=old)
    server.deliver("inbox", raw(2))
    with mailbox(server) as box:
        [batch] = list(box.index(INBOX, since=datetime.date.today() - datetime.timedelta(days=180)))
    assert [e.record.message_id for e in batch.entries] == ["<e2@client.test>"]


def test_forgotten_sync_state_reads_the_folder_again(server):
    server.deliver("inbox", raw(1))
    with mailbox(server) as box:
        [first] = list(box.index(INBOX))
        server.deliver("inbox", raw(2))
        server.forget_sync_states()
        [again] = list(box.index(INBOX, cursor=first.cursor))
    assert again.reset and [e.record.message_id for e in again.entries] == ["<e1@client.test>", "<e2@client.test>"]


def test_busy_server_is_waited_for_within_bounds(server):
    server.deliver("inbox", raw(1))
    with mailbox(server) as box:
        box.sync_folders()
        server.busy = [200]
        [batch] = list(box.index(INBOX))
        assert len(batch.entries) == 1
        server.busy = [120_000]
        with pytest.raises(errors.ServerError, match="goes on later"):
            list(box.index(INBOX))


def test_wrong_password_in_words(server):
    with pytest.raises(errors.AuthenticationFailed, match="password is wrong"):
        mailbox(server, password="wrong").connect()


def test_nobody_answering(server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    box = EwsMailbox("karen@acme.test", "karen", "x", server=f"http://127.0.0.1:{closed}/EWS/Exchange.asmx", timeout=3)
    with pytest.raises(errors.ConnectionFailed, match="No Exchange server answered"):
        box.connect()


AUTODISCOVER_NOTHING = textwrap.dedent(
    """
    from mail_lead_sync.engine import errors
    from mail_lead_sync.engine.ews import EwsMailbox
    try:
        EwsMailbox("karen@acme.invalid", "karen", "pw", timeout=3).connect()
    except errors.SyncError as exc:
        print(type(exc).__name__, "|", exc)
    """
)


def _in_private_network(tmp_path, code):
    """Run ``code`` in a network namespace with only a loopback, whose resolver is
    127.0.0.1: nothing it does leaves this machine."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    script = tmp_path / "script.py"
    script.write_text(code)
    shell = f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && exec {sys.executable} {script}"
    done = subprocess.run(
        ["unshare", "--net", "--mount", "sh", "-c", shell],
        capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/sbin:/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done


def test_autodiscover_finding_nothing_says_so(tmp_path):
    """Autodiscover runs in a network namespace with only a loopback and no DNS
    server, so nothing leaves this machine."""
    done = _in_private_network(tmp_path, AUTODISCOVER_NOTHING)
    kind, _, message = done.stdout.strip().partition(" | ")
    assert kind == "HostNotFound", done.stdout + done.stderr[-2000:]
    assert "No Exchange server was found for acme.invalid by Autodiscover" in message


AUTODISCOVER_FOUND = textwrap.dedent(
    """
    import tempfile
    from mail_lead_sync.engine.ews import EwsMailbox
    from mail_lead_sync.tests.certs import self_signed
    from mail_lead_sync.tests.dns_server import DnsServer
    from mail_lead_sync.tests.ews_server import AutodiscoverServer, EwsServer

    cert, key = self_signed(tempfile.mkdtemp(), names=("acme.test", "autodiscover.acme.test"))
    zone = {("acme.test", "A"): ["127.0.0.1"], ("autodiscover.acme.test", "A"): ["127.0.0.1"]}
    with DnsServer(zone, port=53), EwsServer("ACME\\\\karen", "pw") as ews, AutodiscoverServer(ews, cert, key) as ad:
        with EwsMailbox("karen@acme.test", "ACME\\\\karen", "pw", verify=cert, timeout=5) as box:
            names = [f.name for f in box.sync_folders()]
        print("found |", names, "|", sorted(set(ews.operations)), "|", sorted(set(ad.requests)))
    """
)


def test_autodiscover_finds_the_server(tmp_path):
    """Autodiscover's first candidate, https://acme.test/autodiscover/autodiscover.svc,
    answered on port 443 of a private network namespace whose DNS (on its loopback)
    says acme.test is 127.0.0.1; the EWS URL it gives is then used."""
    done = _in_private_network(tmp_path, AUTODISCOVER_FOUND)
    kind, names, operations, requests = (part.strip() for part in done.stdout.strip().split("|"))
    assert kind == "found", done.stdout + done.stderr[-2000:]
    assert names == "['inbox', 'sentitems']"
    assert "GetFolder" in operations
    assert "('POST', '/autodiscover/autodiscover.svc')" in requests
