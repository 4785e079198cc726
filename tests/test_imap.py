"""The IMAP provider against a real Dovecot: logins, errors, folders, read-only
indexing, cursors, history window, bodies."""

import datetime
import pathlib
import socket
import ssl
import subprocess
import sys
import textwrap
import threading

import pytest

from mail_lead_sync.engine import errors
from mail_lead_sync.engine.imap import ImapMailbox, ImapSettings
from mail_lead_sync.engine.message import parse_message
from mail_lead_sync.engine.netguard import HostPolicy

LOOPBACK = HostPolicy(allow_private=True)  # the test servers are on 127.0.0.1

UTC = datetime.timezone.utc
REPO = pathlib.Path(__file__).resolve().parent.parent


def email_bytes(n, sender="dana@client.test", to="bob@example.test", extra="", date=None):
    date = date or "Mon, 02 Nov 2026 10:00:00 +0000"
    return (
        f"From: Dana <{sender}>\r\nTo: {to}\r\nSubject: Message {n}\r\nDate: {date}\r\n"
        f"Message-ID: <msg{n}@client.test>\r\n{extra}\r\nBody of message {n}.\r\n"
    ).encode()


@pytest.fixture
def settings(dovecot, mailbox):
    return ImapSettings(
        host=dovecot.host,
        port=dovecot.port_ssl,
        security="ssl",
        login=mailbox.login,
        password=mailbox.password,
        timeout=5,
        ssl_context=ssl.create_default_context(cafile=dovecot.cafile),
        policy=LOOPBACK,
    )


def replace(settings, **changes):
    values = {f: getattr(settings, f) for f in settings.__slots__}
    values.update(changes)
    return ImapSettings(**values)


# -- connecting -----------------------------------------------------------------
@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
def test_login_with_each_security(dovecot, settings, security):
    port = dovecot.port_ssl if security == "ssl" else dovecot.port_plain
    with ImapMailbox(replace(settings, security=security, port=port)) as box:
        assert b"IMAP4REV1" in box.capabilities


def test_wrong_password_is_said_plainly(settings):
    with pytest.raises(errors.AuthenticationFailed) as caught:
        ImapMailbox(replace(settings, password="wrong")).connect()
    assert not isinstance(caught.value, errors.TokenRejected)
    assert settings.login in str(caught.value) and "password is wrong" in str(caught.value)


def test_xoauth2_login_and_revoked_token(oauth_server, settings):
    token = oauth_server.issue_token(settings.login)
    with ImapMailbox(replace(settings, password="", access_token=token)) as box:
        assert box.sync_folders()[0].name == "INBOX"
    oauth_server.revoke(token)
    with pytest.raises(errors.TokenRejected) as caught:
        ImapMailbox(replace(settings, password="", access_token=token)).connect()
    assert "reconnect" in str(caught.value)


def test_a_password_is_no_token(settings):
    with pytest.raises(errors.TokenRejected):
        ImapMailbox(replace(settings, access_token=settings.password)).connect()


def test_imap_disabled_for_the_account(dovecot, settings):
    login = "disabled." + settings.login
    dovecot.add_user(login, "secret", extra="nologin reason=IMAP-access-is-disabled-for-this-account")
    with pytest.raises(errors.ImapDisabled) as caught:
        ImapMailbox(replace(settings, login=login, password="secret")).connect()
    assert "turn IMAP on" in str(caught.value)


def test_tls_on_a_plain_port(dovecot, settings):
    with pytest.raises(errors.TlsFailed) as caught:
        ImapMailbox(replace(settings, port=dovecot.port_plain)).connect()
    assert "security setting" in str(caught.value)


def test_untrusted_certificate(settings):
    with pytest.raises(errors.TlsFailed) as caught:
        ImapMailbox(replace(settings, ssl_context=ssl.create_default_context())).connect()
    assert "cannot be trusted" in str(caught.value)


def test_nothing_listening(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(errors.ConnectionFailed) as caught:
            ImapMailbox(replace(settings, port=port)).connect()
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_server_that_never_greets(settings):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        stop = threading.Event()
        threading.Thread(target=lambda: (silent.accept(), stop.wait(5)), daemon=True).start()
        with pytest.raises(errors.ConnectTimeout) as caught:
            ImapMailbox(replace(settings, port=silent.getsockname()[1], security="none", timeout=0.5)).connect()
        stop.set()
    assert "within 0.5 seconds" in str(caught.value)


def test_a_server_announcing_a_huge_literal_is_refused_before_it_is_read(settings):
    """A hostile server announces gigabytes (imaplib would read them whole into
    memory): refused in words when announced, whatever follows."""
    with socket.socket() as hostile:
        hostile.bind(("127.0.0.1", 0))
        hostile.listen()
        stop = threading.Event()

        def serve():
            conn, _addr = hostile.accept()
            with conn:
                conn.sendall(b"* OK {4000000000}\r\n")
                stop.wait(10)

        threading.Thread(target=serve, daemon=True).start()
        with pytest.raises(errors.ServerError) as caught:
            ImapMailbox(replace(settings, port=hostile.getsockname()[1], security="none", timeout=10)).connect()
        stop.set()
    assert "more than any email" in str(caught.value)


def test_private_hosts_are_refused_unless_allowed(settings):
    """The default policy: loopback, private, link-local and metadata addresses are
    refused before anything connects."""
    for host in ("127.0.0.1", "169.254.169.254", "10.1.2.3", "::1", "::ffff:127.0.0.1", "fd00:ec2::254"):
        with pytest.raises(errors.HostRefused) as caught:
            ImapMailbox(replace(settings, host=host, policy=None)).connect()
        assert "private or local network" in str(caught.value)
    with pytest.raises(errors.HostRefused) as caught:
        ImapMailbox(replace(settings, host="https://imap.example.com/", policy=None)).connect()
    assert "not a server name" in str(caught.value)


def test_another_service_is_told_in_words_not_its_banner(settings):
    """An SSH server on the port: the user reads words, not the server's own line."""
    with socket.socket() as ssh:
        ssh.bind(("127.0.0.1", 0))
        ssh.listen()

        def banner():
            conn, _ = ssh.accept()
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                conn.recv(1024)

        threading.Thread(target=banner, daemon=True).start()
        with pytest.raises(errors.ServerError) as caught:
            ImapMailbox(replace(settings, port=ssh.getsockname()[1], security="none")).connect()
    text = str(caught.value)
    assert "did not answer as an IMAP mail server" in text
    assert "SSH" not in text and "OpenSSH" not in text


ISOLATED_LOOKUP = textwrap.dedent(
    """
    import socket, threading, dns.message, dns.rcode
    from mail_lead_sync.engine import errors
    from mail_lead_sync.engine.imap import ImapMailbox, ImapSettings

    def nxdomain_server(sock):
        while True:
            data, peer = sock.recvfrom(512)
            reply = dns.message.make_response(dns.message.from_wire(data))
            reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    if {answer}:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 53))
        threading.Thread(target=nxdomain_server, args=(sock,), daemon=True).start()
    try:
        ImapMailbox(ImapSettings(host="imap.no-such-host.invalid", login="x", password="y", timeout=3)).connect()
    except errors.SyncError as exc:
        print(type(exc).__name__, "|", exc)
    """
)


@pytest.mark.parametrize(("answer", "expected"), [(True, "HostNotFound"), (False, "ConnectionFailed")])
def test_unknown_host_in_a_private_network(answer, expected, tmp_path):
    """Name lookups run in a network namespace whose only resolver is on its own
    loopback, so no query leaves this machine: NXDOMAIN, then no DNS at all."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    script = tmp_path / "lookup.py"
    script.write_text(ISOLATED_LOOKUP.format(answer=answer))
    shell = f"ip link set lo up && mount --bind {resolv} /etc/resolv.conf && exec {sys.executable} {script}"
    done = subprocess.run(
        ["unshare", "--net", "--mount", "sh", "-c", shell],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/sbin:/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    kind, _, message = done.stdout.strip().partition(" | ")
    assert kind == expected, done.stdout + done.stderr
    assert "imap.no-such-host.invalid" in message


# -- folders and indexing ----------------------------------------------------------
def test_inbox_and_special_use_sent(settings):
    with ImapMailbox(settings) as box:
        assert [(f.name, f.role) for f in box.sync_folders()] == [("INBOX", "inbox"), ("Sent", "sent")]


def test_gmail_reads_all_mail_once(settings):
    """Gmail shows each label as a folder; its All Mail (SPECIAL-USE \\All) holds
    every message once. Dovecot lists a real \\All folder; only Gmail's capability
    is added here, as no open-source server offers X-GM-EXT-1."""
    with ImapMailbox(settings) as box:
        box.capabilities |= {b"X-GM-EXT-1"}
        assert [(f.name, f.role) for f in box.sync_folders()] == [("All Mail", "all")]


def test_index_reads_new_messages_in_batches_and_reports_unreadable_ones(dovecot, mailbox, settings):
    for n in range(1, 6):
        dovecot.append(mailbox.login, "INBOX", email_bytes(n))
    dovecot.append(mailbox.login, "INBOX", b"Subject: no addresses at all\r\nFrom: <<<>>>\r\n\r\nx\r\n")
    dovecot.append(mailbox.login, "INBOX", email_bytes(7))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        batches = list(box.index(inbox, batch_size=3))
    assert [len(b.entries) + len(b.failures) for b in batches] == [3, 3, 1]
    entries = [e for b in batches for e in b.entries]
    failures = [f for b in batches for f in b.failures]
    assert [e.record.message_id for e in entries] == [f"<msg{n}@client.test>" for n in (1, 2, 3, 4, 5, 7)]
    assert [e.key for e in entries] == ["1", "2", "3", "4", "5", "7"]  # UIDs, as every reader's keys: strings
    assert [(f.key, f.reason) for f in failures] == [("6", "no sender or recipient address could be read")]
    # Each batch's cursor covers exactly that batch.
    assert [b.cursor.last_uid for b in batches] == [3, 6, 7]
    assert entries[0].size > 0 and entries[0].internaldate.tzinfo is not None


def test_reading_changes_no_flag(dovecot, mailbox, settings):
    dovecot.append(mailbox.login, "INBOX", email_bytes(1))
    dovecot.append(mailbox.login, "INBOX", email_bytes(2), flags=[rb"\Seen"])
    dovecot.append(mailbox.login, "INBOX", email_bytes(3), flags=[rb"\Flagged"])
    dovecot.append(mailbox.login, "Sent", email_bytes(4, sender="bob@example.test", to="dana@client.test"))
    before = {folder: dovecot.flags(mailbox.login, folder) for folder in ("INBOX", "Sent")}
    with ImapMailbox(settings) as box:
        for folder in box.sync_folders():
            keys = [e.key for b in box.index(folder) for e in b.entries]
            bodies = dict(box.fetch_bodies(folder, keys))
            assert all(bodies.values())
    after = {folder: dovecot.flags(mailbox.login, folder) for folder in ("INBOX", "Sent")}
    assert after == before
    assert rb"\Seen" not in after["INBOX"][1]  # unread mail stays unread


def test_recent_subjects_are_read_without_a_flag_change(dovecot, mailbox, settings):
    for n in range(1, 5):
        dovecot.append(mailbox.login, "INBOX", email_bytes(n))
    with ImapMailbox(settings) as box:
        assert box.recent_subjects(limit=3) == ["Message 2", "Message 3", "Message 4"]
    assert all(rb"\Seen" not in flags for flags in dovecot.flags(mailbox.login, "INBOX").values())


def test_cursor_resumes_and_unchanged_mailbox_costs_one_status(dovecot, mailbox, settings):
    for n in range(1, 4):
        dovecot.append(mailbox.login, "INBOX", email_bytes(n))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        cursor = [b.cursor for b in box.index(inbox)][-1]
        assert cursor.last_uid == 3
        assert box.is_unchanged(inbox, cursor)
        assert [b.entries for b in box.index(inbox, cursor)] == [[]]
    dovecot.append(mailbox.login, "INBOX", email_bytes(4))
    with ImapMailbox(settings) as box:
        assert not box.is_unchanged(inbox, cursor)
        new = [e.record.message_id for b in box.index(inbox, cursor) for e in b.entries]
    assert new == ["<msg4@client.test>"]


def test_a_pass_cut_short_is_not_taken_for_unchanged(dovecot, mailbox, settings):
    for n in range(1, 6):
        dovecot.append(mailbox.login, "INBOX", email_bytes(n))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        first = next(iter(box.index(inbox, batch_size=2)))  # a crash after one batch
        assert first.cursor.last_uid == 2
        assert not box.is_unchanged(inbox, first.cursor)
        rest = [e.record.message_id for b in box.index(inbox, first.cursor, batch_size=2) for e in b.entries]
    assert rest == [f"<msg{n}@client.test>" for n in (3, 4, 5)]


def test_uidvalidity_change_reads_the_folder_again(dovecot, mailbox, settings):
    for n in range(1, 3):
        dovecot.append(mailbox.login, "INBOX", email_bytes(n))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        cursor = [b.cursor for b in box.index(inbox)][-1]
    dovecot.doveadm("mailbox", "update", "-u", mailbox.login, "--uid-validity", str(cursor.uidvalidity + 7), "INBOX")
    with ImapMailbox(settings) as box:
        batches = list(box.index(inbox, cursor))
    assert batches[0].reset
    assert batches[-1].cursor.uidvalidity == cursor.uidvalidity + 7
    # Every message comes again: the caller's Message-ID key is what keeps it from
    # being posted twice (tested in the addon).
    assert [e.record.message_id for b in batches for e in b.entries] == ["<msg1@client.test>", "<msg2@client.test>"]


def test_history_window(dovecot, mailbox, settings):
    old = datetime.datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    dovecot.append(mailbox.login, "INBOX", email_bytes(1, date="Fri, 10 Jan 2025 09:00:00 +0000"), date=old)
    dovecot.append(mailbox.login, "INBOX", email_bytes(2))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        found = [e.record.message_id for b in box.index(inbox, since=datetime.date(2026, 5, 1)) for e in b.entries]
    assert found == ["<msg2@client.test>"]


def test_history_window_is_judged_on_the_emails_own_date(dovecot, mailbox, settings):
    # A mailbox moved to a new server last month: every arrival date is recent.
    moved = datetime.datetime.now(UTC) - datetime.timedelta(days=20)
    dovecot.append(mailbox.login, "INBOX", email_bytes(1, date="Fri, 10 Jan 2020 09:00:00 +0000"), date=moved)
    dovecot.append(mailbox.login, "INBOX", email_bytes(2, date="Mon, 04 May 2026 09:00:00 +0000"), date=moved)
    # No Date header at all: its arrival date is its date.
    no_date = email_bytes(3).replace(b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n", b"")
    dovecot.append(mailbox.login, "INBOX", no_date, date=datetime.datetime(2019, 3, 1, tzinfo=UTC))
    # Arrived a day before the window opens, dated inside it (a late clock): the margin keeps it.
    dovecot.append(mailbox.login, "INBOX", email_bytes(4, date="Fri, 01 May 2026 08:00:00 +0000"),
                   date=datetime.datetime(2026, 4, 30, 23, 0, tzinfo=UTC))  # fmt: skip
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        found = [e.record.message_id for b in box.index(inbox, since=datetime.date(2026, 5, 1)) for e in b.entries]
    assert found == ["<msg2@client.test>", "<msg4@client.test>"]


def test_fetch_bodies_gives_the_whole_message(dovecot, mailbox, settings):
    dovecot.append(mailbox.login, "INBOX", email_bytes(1))
    with ImapMailbox(settings) as box:
        inbox = box.sync_folders()[0]
        [(key, raw)] = list(box.fetch_bodies(inbox, ["1"]))
        assert list(box.fetch_bodies(inbox, ["99"])) == [("99", None)]
    assert key == "1"
    assert parse_message(raw).body_text.strip() == "Body of message 1."
