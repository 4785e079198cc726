"""A real Dovecot IMAP server for tests and benchmarks, on 127.0.0.1.

Plain Python (no Odoo import): the engine's pytest suite, the Odoo tests and the
benchmarks all start their servers with it. Each instance has its own config,
users, certificate and Maildirs under a private directory, and its own ports.

Mail is served as the unprivileged user ``nobody``: Dovecot refuses to serve mail
as root, so every directory it writes to belongs to that user.

Without a ``root_dir`` the instance lives in /dev/shm when there is one: a Maildir
is one file per message, and on this project's machines creating them on disk is
what limits a bulk fill (2,000-4,000 messages/s on ext4, over 20,000/s on tmpfs).
"""

import contextlib
import grp
import os
import pathlib
import pwd
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import time

import imapclient

from .certs import self_signed

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
MAIL_USER = "nobody"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = mls-{port_plain}
listen = 127.0.0.1
protocols = imap
log_path = {root}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_uid = {user}
mail_gid = {group}
mail_location = maildir:{root}/mail/%u/Maildir
mail_privileged_group =
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
# Loopback only: allow plain logins without TLS so 'security = none' can be tested.
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
# Tests fail logins on purpose: don't make the next test wait for it.
auth_failure_delay = 0
auth_verbose = yes

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
  mechanisms = plain login
}}
{oauth_passdb}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
  default_fields = uid={user} gid={group} home={root}/mail/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Junk {{
    special_use = \\Junk
    auto = subscribe
  }}
  # What Gmail calls [Gmail]/All Mail: every message once, whatever its labels.
  mailbox "All Mail" {{
    special_use = \\All
    auto = subscribe
  }}
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port_plain}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port_ssl}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # Closing this socket turns off the per-IP auth penalty, which would delay
  # every login from 127.0.0.1 by up to 15 s after a test's failed one.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener auth-userdb {{
    user = {user}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
  }}
  unix_listener stats-writer {{
    user = {user}
  }}
}}
"""

OAUTH_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""

OAUTH_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DovecotServer:
    """``with DovecotServer() as server:`` starts one instance; ``stop()`` ends it."""

    host = "127.0.0.1"

    def __init__(self, root_dir=None, oauth_introspection_url=None, ports=None):
        # Dovecot's processes run as nobody and must reach every path: use a
        # private directory of our own rather than a root-only pytest tmp dir
        # (pytest also resets its base dir to 0700 whenever another session starts).
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.root = pathlib.Path(root_dir or tempfile.mkdtemp(prefix="mls-dovecot-", dir=shm))
        self._own_root = root_dir is None
        self.oauth_introspection_url = oauth_introspection_url
        self.fixed_ports = ports  # (plain, ssl), e.g. the standard (143, 993); default: free ones
        self.port_plain = self.port_ssl = None
        self.users = {}
        self._pw = pwd.getpwnam(MAIL_USER)
        self._started = False

    # -- life cycle ----------------------------------------------------------------
    @property
    def config_path(self):
        return str(self.root / "dovecot.conf")

    @property
    def cafile(self):
        return str(self.root / "cert.pem")

    def _chown(self, path):
        os.chown(path, self._pw.pw_uid, self._pw.pw_gid)

    def _check_reachable(self):
        for parent in self.root.resolve().parents:
            if not parent.stat().st_mode & stat.S_IXOTH:
                raise RuntimeError(f"Dovecot runs as {MAIL_USER} and cannot enter {parent}: pick another root_dir")

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self._check_reachable()
        for sub in ("mail", "state"):
            (self.root / sub).mkdir(exist_ok=True)
            self._chown(self.root / sub)
        (self.root / "users").mkdir(exist_ok=True)
        self_signed(self.root)
        self.port_plain, self.port_ssl = self.fixed_ports or (free_port(), free_port())
        mechanisms = "plain login"
        oauth_passdb = ""
        if self.oauth_introspection_url:
            mechanisms += " xoauth2 oauthbearer"
            oauth_passdb = OAUTH_PASSDB.format(root=self.root)
            (self.root / "dovecot-oauth2.conf.ext").write_text(OAUTH_CONF.format(url=self.oauth_introspection_url))
        group = grp.getgrgid(self._pw.pw_gid).gr_name
        pathlib.Path(self.config_path).write_text(
            CONFIG.format(
                root=self.root,
                user=MAIL_USER,
                group=group,
                port_plain=self.port_plain,
                port_ssl=self.port_ssl,
                mechanisms=mechanisms,
                oauth_passdb=oauth_passdb,
            )
        )
        for login in self.users:
            self._write_user(login)
        # The daemon keeps its standard streams: give it a file, not a pipe we'd wait on.
        with open(self.root / "startup.log", "wb") as out:
            started = subprocess.run([DOVECOT, "-c", self.config_path], stdout=out, stderr=out)
        if started.returncode:
            raise RuntimeError(f"Dovecot did not start:\n{(self.root / 'startup.log').read_text()}")
        self._started = True
        self._wait_for_ports()
        # The master listens before it writes its pid file; stop() finds it there.
        pidfile, deadline = self.root / "run" / "master.pid", time.monotonic() + 10
        while not pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def _wait_for_ports(self, timeout=10):
        deadline = time.monotonic() + timeout
        for port in (self.port_plain, self.port_ssl):
            while True:
                try:
                    with socket.create_connection((self.host, port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(f"Dovecot did not listen on {port}:\n{self.log_tail()}") from None
                    time.sleep(0.05)

    def log_tail(self, lines=30):
        log = self.root / "dovecot.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"

    def stop(self):
        if not self._started:
            return
        self._started = False
        # What 'doveadm stop' does, without its wait for the exited daemon to be
        # reaped (3 s here). The master closes its ports, gives its log process 1 s,
        # removes its pid file and exits.
        pidfile = self.root / "run" / "master.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while pidfile.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if pidfile.exists():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
        # Login processes inherit the listening sockets and may outlive the master
        # for a moment: stopped means nothing answers on the ports any more. A wait
        # of its own: the master's shutdown often outlasts the first one (an
        # imap-login's stats handshake times out in 5 s), and SIGKILL frees the ports
        # only a moment later.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(self._listening(port) for port in (self.port_plain, self.port_ssl)):
            time.sleep(0.05)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def _listening(self, port):
        try:
            socket.create_connection((self.host, port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- users and mail --------------------------------------------------------------
    def _write_user(self, login):
        # One passwd-file per user: Dovecot re-reads a changed passwd-file at most
        # once a second, a new file at once.
        password, extra = self.users[login]
        (self.root / "users" / login).write_text(f"{login}:{{PLAIN}}{password}::::::{extra}\n")

    def add_user(self, login, password, extra=""):
        """Add a mailbox user; ``extra`` holds passdb extra fields (e.g. 'nologin reason=...')."""
        self.users[login] = (password, extra)
        if self._started or (self.root / "users").is_dir():
            self._write_user(login)

    def client(self, login, tls=True):
        """A logged-in IMAPClient: implicit TLS, or the plain port without STARTTLS."""
        if tls:
            context = ssl.create_default_context(cafile=self.cafile)
            client = imapclient.IMAPClient(self.host, port=self.port_ssl, ssl=True, ssl_context=context)
        else:
            client = imapclient.IMAPClient(self.host, port=self.port_plain, ssl=False)
        client.login(login, self.users[login][0])
        return client

    def append(self, login, folder, raw, flags=(), date=None):
        """Deliver one message through IMAP APPEND (``date`` sets INTERNALDATE)."""
        client = self.client(login)
        try:
            client.append(folder, raw, flags=flags, msg_time=date)
        finally:
            client.logout()

    def append_many(self, login, folder, messages, chunk=2000, chunk_bytes=32 << 20):
        """Deliver many messages fast; returns how many.

        MULTIAPPEND of up to ``chunk`` messages (or ``chunk_bytes``) per command over
        one plain loopback connection. Each command is one Dovecot transaction that
        rewrites the Maildir's uidlist, so small chunks get slow in big mailboxes
        (100 a time: 3,400/s at 100,000 messages, against 20,000/s for 2,000).
        Pipelined single APPENDs (one transaction each) ran at 400/s and
        ``doveadm save`` (one process a message) at 90/s.
        """
        client = self.client(login, tls=False)
        count = size = 0
        batch = []
        try:
            for raw in messages:
                batch.append(raw)
                size += len(raw)
                if len(batch) >= chunk or size >= chunk_bytes:
                    client.multiappend(folder, batch)
                    count += len(batch)
                    batch, size = [], 0
            if batch:
                client.multiappend(folder, batch)
                count += len(batch)
        finally:
            client.logout()
        return count

    def flags(self, login, folder):
        """``{uid: frozenset(flags)}``, read with EXAMINE (changes nothing)."""
        client = self.client(login)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search(["ALL"])
            flags = {}
            # A few thousand UIDs a command: Dovecot refuses command lines over 64 kB.
            for start in range(0, len(uids), 5000):
                for uid, data in client.fetch(uids[start : start + 5000], [b"FLAGS"]).items():
                    flags[uid] = frozenset(data[b"FLAGS"])
            return flags
        finally:
            client.logout()

    def doveadm(self, *args):
        done = subprocess.run([DOVEADM, "-c", self.config_path, *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout
