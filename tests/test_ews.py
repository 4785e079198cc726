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
import threading

import pytest
import requests
from exchangelib.protocol import BaseProtocol

from mail_lead_sync.engine import errors
from mail_lead_sync.engine.ews import EwsMailbox
from mail_lead_sync.engine.mailbox import Folder
from mail_lead_sync.engine.netguard import HostPolicy
from mail_lead_sync.tests.ews_server import READ_ONLY_OPERATIONS, EwsServer

REPO = pathlib.Path(__file__).resolve().parent.parent
LOOPBACK = HostPolicy(allow_private=True)  # the test servers are on 127.0.0.1
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
    return EwsMailbox("karen@acme.test", "ACME\\karen", password, server=server.url, policy=LOOPBACK, **kwargs)


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


def test_history_window_is_judged_on_the_emails_own_date(server):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    server.deliver("inbox", raw(1).replace(b"02 Nov 2026", old.strftime("%d %b %Y").encode()), received=old)
    server.deliver("inbox", raw(2))
    # Moved to this server lately (arrival recent), written long ago: out of the window.
    server.deliver("inbox", raw(3).replace(b"02 Nov 2026", b"10 Jan 2020"))
    with mailbox(server) as box:
        [batch] = list(box.index(INBOX, since=datetime.date(2026, 5, 1)))
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


def test_private_exchange_hosts_are_refused(server):
    """The default policy: a server on loopback or a metadata address is refused in words."""
    for where in (server.url, "169.254.169.254"):
        with pytest.raises(errors.HostRefused, match="private or local network"):
            EwsMailbox("karen@acme.test", "ACME\\karen", "s3cret", server=where, timeout=3).connect()
    assert not server.operations


def test_nobody_answering(server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    url = f"http://127.0.0.1:{closed}/EWS/Exchange.asmx"
    box = EwsMailbox("karen@acme.test", "karen", "x", server=url, timeout=3, policy=LOOPBACK)
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
    from mail_lead_sync.engine.netguard import HostPolicy
    from mail_lead_sync.tests.certs import self_signed
    from mail_lead_sync.tests.dns_server import DnsServer
    from mail_lead_sync.tests.ews_server import AutodiscoverServer, EwsServer

    cert, key = self_signed(tempfile.mkdtemp(), names=("acme.test", "autodiscover.acme.test"))
    zone = {("acme.test", "A"): ["127.0.0.1"], ("autodiscover.acme.test", "A"): ["127.0.0.1"]}
    with DnsServer(zone, port=53), EwsServer("ACME\\\\karen", "pw") as ews, AutodiscoverServer(ews, cert, key) as ad:
        policy = HostPolicy(allow_private=True)
        with EwsMailbox("karen@acme.test", "ACME\\\\karen", "pw", verify=cert, timeout=5, policy=policy) as box:
            names = [f.name for f in box.sync_folders()]
        print("found |", names, "|", sorted(set(ews.operations)), "|", sorted(set(ad.requests)))
    """
)


AUTODISCOVER_ELSEWHERE = textwrap.dedent(
    """
    import tempfile
    from mail_lead_sync.engine import errors
    from mail_lead_sync.engine.ews import EwsMailbox
    from mail_lead_sync.engine.netguard import HostPolicy
    from mail_lead_sync.tests.certs import self_signed
    from mail_lead_sync.tests.dns_server import DnsServer
    from mail_lead_sync.tests.ews_server import AutodiscoverServer, EwsServer

    cert, key = self_signed(tempfile.mkdtemp(), names=("acme.test", "autodiscover.acme.test"))
    zone = {("acme.test", "A"): ["127.0.0.1"], ("autodiscover.acme.test", "A"): ["127.0.0.1"]}
    policy = HostPolicy(allow_private=True)
    with DnsServer(zone, port=53), EwsServer("ACME\\\\karen", "pw") as ews, AutodiscoverServer(ews, cert, key):
        try:
            EwsMailbox("karen@acme.test", "ACME\\\\karen", "pw", verify=cert, timeout=5, policy=policy,
                       trusted_hosts=set()).connect()
        except errors.HostNeedsConfirmation as exc:
            print("confirm |", exc.hosts, "|", sorted(set(ews.operations)))
        with EwsMailbox("karen@acme.test", "ACME\\\\karen", "pw", verify=cert, timeout=5, policy=policy,
                        trusted_hosts={"127.0.0.1"}) as box:
            print("confirmed |", [f.name for f in box.sync_folders()])
    """
)


def test_autodiscover_names_a_server_elsewhere_the_user_confirms_it(tmp_path):
    """Autodiscover of acme.test names an EWS server outside acme.test (here
    127.0.0.1): the credentials go there only once that host is confirmed."""
    done = _in_private_network(tmp_path, AUTODISCOVER_ELSEWHERE)
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "confirm | ('127.0.0.1',) | []", done.stdout + done.stderr[-2000:]
    assert lines[1] == "confirmed | ['inbox', 'sentitems']", done.stdout + done.stderr[-2000:]


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


def test_two_mailboxes_in_two_threads_keep_their_own_settings(server, monkeypatch, tmp_path):
    """exchangelib's HTTP adapter and timeout are class attributes every Odoo
    worker thread shares: each connection must keep its own."""
    other = EwsServer("ACME\\lee", "pw2").start()
    try:
        server.deliver("inbox", raw(1))
        other.deliver("inbox", raw(2))
        cafile = tmp_path / "company-ca.pem"
        cafile.write_text("a company's CA")
        seen = {}  # thread name -> {(timeout, verify)}
        real_send = requests.adapters.HTTPAdapter.send

        def send(adapter, request, **kwargs):
            verify = adapter.cafile if getattr(adapter, "cafile", None) else kwargs.get("verify")
            seen.setdefault(threading.current_thread().name, set()).add((kwargs.get("timeout"), verify))
            return real_send(adapter, request, **kwargs)

        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
        both_connected = threading.Barrier(2, timeout=30)
        found, failed = {}, []

        def sync(name, box):
            try:
                with box:
                    both_connected.wait()  # the other mailbox has connected with its settings meanwhile
                    batches = list(box.index(INBOX))
                    keys = [e.key for b in batches for e in b.entries]
                    found[name] = [raw_ for _k, raw_ in box.fetch_bodies(INBOX, keys)]
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failed.append(exc)

        boxes = {
            "quick": mailbox(server, timeout=5),
            "patient": EwsMailbox(
                "lee@acme.test", "ACME\\lee", "pw2", server=other.url, verify=str(cafile), timeout=45, policy=LOOPBACK
            ),
        }
        threads = [threading.Thread(target=sync, args=(name, box), name=name) for name, box in boxes.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failed, failed
        assert found == {"quick": [raw(1)], "patient": [raw(2)]}
        assert {timeout for timeout, _verify in seen["quick"]} == {5}
        assert str(cafile) not in {verify for _timeout, verify in seen["quick"]}
        assert seen["patient"] == {(45, str(cafile))}
        assert BaseProtocol.TIMEOUT == 120 and BaseProtocol.HTTP_ADAPTER_CLS is requests.adapters.HTTPAdapter
    finally:
        other.stop()
