"""Read a mailbox over IMAP (imapclient).

Folders are opened with EXAMINE and bodies fetched with BODY.PEEK, so no flag
ever changes: the owner's unread mail stays unread. The one write is
:meth:`ImapMailbox.save_sent_copy`, when the owner sends from Odoo. Progress is kept per folder
in a :class:`FolderCursor` (UIDVALIDITY + last UID seen, plus UIDNEXT and
HIGHESTMODSEQ to answer "anything new?" with one STATUS command).
"""

import email
import email.policy
import logging
import re
import socket
import ssl
from dataclasses import dataclass

import imapclient
from imapclient import imap4, tls
from imapclient import imapclient as special_folders
from imapclient.exceptions import IMAPClientError, LoginError

from . import errors
from .mailbox import Batch, Entry, Failure, Folder
from .message import ARRIVAL_MARGIN, INDEX_HEADERS, MalformedMessage, before_window, parse_headers
from .netguard import HostPolicy

HEADER_FETCH_ITEM = f"BODY.PEEK[HEADER.FIELDS ({' '.join(h.upper() for h in INDEX_HEADERS)})]".encode()
_NAME_UNKNOWN = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}
_logger = logging.getLogger(__name__)
_IMAP_DISABLED_HINTS = ("not enabled for imap", "imap access is disabled", "imap is disabled", "not connected")


@dataclass(slots=True)
class ImapSettings:
    host: str
    port: int = 993
    security: str = "ssl"  # 'ssl' (implicit TLS), 'starttls' or 'none'
    login: str = ""
    password: str = ""
    access_token: str = ""  # XOAUTH2 instead of the password when set
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None  # default: system CAs, hostname checked
    policy: HostPolicy | None = None  # where connecting is allowed; default: public servers only


@dataclass(slots=True)
class FolderCursor:
    uidvalidity: int = 0
    last_uid: int = 0
    uidnext: int = 0
    highestmodseq: int = 0


def _context(settings):
    return settings.ssl_context or ssl.create_default_context()


def _translate(exc, settings):
    """Turn a low-level exception into a SyncError a user can act on."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, errors.SyncError):
        return exc
    if isinstance(exc, socket.gaierror):
        if exc.errno in _NAME_UNKNOWN:
            return errors.HostNotFound.of("mail_host_not_found", str(exc), host=settings.host)
        return errors.ConnectionFailed.of("dns_no_answer", str(exc), host=settings.host)
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return errors.ConnectTimeout.of("imap_timeout", str(exc), where=where, seconds=f"{settings.timeout:g}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return errors.TlsFailed.of("imap_untrusted_certificate", str(exc), where=where, reason=exc.verify_message)
    if isinstance(exc, ssl.SSLError):
        return errors.TlsFailed.of("imap_tls_failed", str(exc), where=where)
    if isinstance(exc, ConnectionRefusedError):
        return errors.ConnectionFailed.of("imap_refused", str(exc), where=where)
    if isinstance(exc, OSError):
        return errors.ConnectionFailed.of("imap_connection_failed", str(exc), where=where)
    if isinstance(exc, LoginError):
        text = str(exc)
        words = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
        if any(hint in words for hint in _IMAP_DISABLED_HINTS):
            return errors.ImapDisabled.of("imap_disabled", text, login=settings.login)
        if settings.access_token:
            return errors.TokenRejected.of("imap_token_rejected", text, login=settings.login)
        return errors.AuthenticationFailed.of("imap_login_refused", text, login=settings.login)
    if isinstance(exc, IMAPClientError):
        # The server's own words stay in the log: they may be anything (another
        # service's banner, a page of text) and are no help to a salesperson.
        _logger.info("IMAP server %s answered: %s", where, exc)
        return errors.ServerError.of("imap_not_imap", str(exc), where=where)
    return None


# The largest literal (one email, or any other string) a server may announce: imaplib
# reads a literal whole into memory, so a hostile server announcing gigabytes would
# otherwise exhaust the worker. Larger than any mail provider accepts.
MAX_LITERAL = 200 * 1024 * 1024


class _BoundedLiterals:
    def read(self, size):
        if size > MAX_LITERAL:
            raise errors.ServerError.of(
                "imap_item_too_large", f"literal of {size} bytes refused", where=f"{self.host}:{self.port}", size=size
            )
        return super().read(size)


class _PinnedIMAPClient(imapclient.IMAPClient):
    """IMAPClient connecting to the address the host policy checked, while TLS still
    checks the certificate against the server's name."""

    def __init__(self, host, address, **kwargs):
        self._address = address
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):
        address = self._address
        connect_timeout = getattr(self._timeout, "connect", None)

        def create_socket(imap, timeout=None):
            return socket.create_connection((address, imap.port), timeout=timeout or connect_timeout)

        if self.ssl:

            class Pinned(_BoundedLiterals, tls.IMAP4_TLS):
                def _create_socket(self, timeout=None):
                    return tls.wrap_socket(create_socket(self, timeout), self.ssl_context, self.host)

            return Pinned(self.host, self.port, self.ssl_context, connect_timeout)

        class PinnedPlain(_BoundedLiterals, imap4.IMAP4WithTimeout):
            def _create_socket(self, timeout=None):
                return create_socket(self, timeout)

        return PinnedPlain(self.host, self.port, connect_timeout)


class ImapMailbox:
    """A session on one IMAP mailbox (a :class:`~.mailbox.Mailbox`): reads without
    changing a flag, writes only a copy of what the owner sent. Entry keys are
    UIDs as decimal strings. Use as a context manager."""

    cursor_type = FolderCursor

    def __init__(self, settings):
        self.settings = settings
        self.client = None
        self.capabilities = frozenset()

    # -- connection -------------------------------------------------------
    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def probe(self):
        """Connect and secure the connection without logging in: is there an IMAP
        server at these settings? Returns its capabilities."""
        client = self._call(self._open)
        capabilities = frozenset(self._call(client.capabilities))
        client.logout()
        return capabilities

    def _open(self):
        s = self.settings
        address = (s.policy or HostPolicy()).address(s.host)
        client = _PinnedIMAPClient(
            s.host,
            address,
            port=s.port,
            ssl=s.security == "ssl",
            ssl_context=_context(s) if s.security == "ssl" else None,
            timeout=s.timeout,
        )
        # Aware datetimes for INTERNALDATE (default is naive local time).
        client.normalise_times = False
        if s.security == "starttls":
            client.starttls(_context(s))
        return client

    def connect(self):
        s = self.settings
        client = self._call(self._open)
        if s.access_token:
            self._call(client.oauth2_login, s.login, s.access_token)
        else:
            self._call(client.login, s.login, s.password)
        self.client = client
        self.capabilities = frozenset(self._call(client.capabilities))

    def close(self):
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - a dead connection needs no goodbye
                pass
            self.client = None

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            error = _translate(exc, self.settings)
            if error is None:
                raise
            raise error from exc

    @property
    def is_gmail(self):
        return b"X-GM-EXT-1" in self.capabilities

    # -- folders ----------------------------------------------------------
    def sync_folders(self):
        """Folders to read: Gmail's All Mail (every label once), else INBOX + Sent."""
        if self.is_gmail:
            all_mail = self._call(self.client.find_special_folder, special_folders.ALL)
            if all_mail:
                return [Folder(all_mail, "all")]
        folders = [Folder("INBOX", "inbox")]
        sent = self._call(self.client.find_special_folder, special_folders.SENT)
        if sent and sent.upper() != "INBOX":
            folders.append(Folder(sent, "sent"))
        return folders

    def status(self, folder):
        what = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"]
        if b"CONDSTORE" in self.capabilities:
            what.append(b"HIGHESTMODSEQ")
        st = self._call(self.client.folder_status, folder.name, what)
        return FolderCursor(
            uidvalidity=st[b"UIDVALIDITY"], uidnext=st.get(b"UIDNEXT", 0), highestmodseq=st.get(b"HIGHESTMODSEQ", 0)
        )

    def is_unchanged(self, folder, cursor):
        """One STATUS round trip: nothing to read when no UID was added since a
        finished pass."""
        if not cursor or not cursor.uidvalidity or not cursor.uidnext:
            return False
        now = self.status(folder)
        return now.uidvalidity == cursor.uidvalidity and now.uidnext == cursor.uidnext

    # -- indexing ---------------------------------------------------------
    def _examine(self, folder):
        return self._call(self.client.select_folder, folder.name, readonly=True)

    def new_uids(self, folder, cursor=None, since=None):
        """UIDs to index, ascending, and the cursor to resume from.

        Returns ``(uids, start_cursor, reset)``; ``reset`` is True when the server
        changed the folder's UIDVALIDITY (every UID is new again).
        """
        info = self._examine(folder)
        uidvalidity = info[b"UIDVALIDITY"]
        start = FolderCursor(
            uidvalidity=uidvalidity,
            uidnext=info.get(b"UIDNEXT", 0),
            highestmodseq=info.get(b"HIGHESTMODSEQ", 0),
        )
        reset = bool(cursor and cursor.uidvalidity and cursor.uidvalidity != uidvalidity)
        last_uid = cursor.last_uid if cursor and not reset else 0
        start.last_uid = last_uid
        if not info.get(b"EXISTS"):
            return [], start, reset
        criteria = []
        if last_uid:
            criteria += ["UID", f"{last_uid + 1}:*"]
        if since:
            # A pre-filter on the arrival date only: the email's own date decides (see index()).
            criteria += ["SINCE", since - ARRIVAL_MARGIN]
        uids = self._call(self.client.search, criteria or ["ALL"])
        # "n:*" always matches the highest UID, even when it is below n.
        return sorted(uid for uid in uids if uid > last_uid), start, reset

    def index(self, folder, cursor=None, since=None, batch_size=500):
        """Yield :class:`~.mailbox.Batch` of parsed headers for every new message
        (of the history window starting on the date ``since``, by each email's
        own date)."""
        uids, running, reset = self.new_uids(folder, cursor, since)
        items = [b"RFC822.SIZE", b"INTERNALDATE", HEADER_FETCH_ITEM]
        if self.is_gmail:
            items.append(b"X-GM-MSGID")
        if not uids:
            yield Batch(folder, cursor=running, reset=reset)
            return
        for i in range(0, len(uids), batch_size):
            chunk = uids[i : i + batch_size]
            batch = Batch(folder, reset=reset and i == 0, remaining=max(len(uids) - i - batch_size, 0))
            fetched = self._call(self.client.fetch, chunk, items)
            for uid in chunk:
                data = fetched.get(uid)
                if data is None:
                    # Expunged between SEARCH and FETCH: nothing to read any more.
                    batch.failures.append(Failure(str(uid), "deleted from the server while being read"))
                    continue
                header = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), None)
                internaldate = data.get(b"INTERNALDATE")
                try:
                    record = parse_headers(header or b"", fallback_date=internaldate)
                except MalformedMessage as exc:
                    batch.failures.append(Failure(str(uid), str(exc)))
                    continue
                if before_window(record, since):
                    continue
                if not record.participants(include_bcc=True):
                    batch.failures.append(Failure(str(uid), "no sender or recipient address could be read"))
                    continue
                batch.entries.append(
                    Entry(str(uid), record, data.get(b"RFC822.SIZE", 0), internaldate, data.get(b"X-GM-MSGID", 0))
                )
            # Only a finished pass may say "read up to UIDNEXT": a cursor saved
            # mid-pass must not make is_unchanged() skip the rest after a crash.
            last = i + batch_size >= len(uids)
            batch.cursor = FolderCursor(
                running.uidvalidity,
                chunk[-1],
                running.uidnext if last else 0,
                running.highestmodseq if last else 0,
            )
            yield batch

    def save_sent_copy(self, raw, date=None):
        """Put a copy of an email the owner sent from Odoo in the Sent folder, read.

        The only write this addon ever makes to a mailbox, and only when the
        owner sends (plain IMAP servers keep nothing of what SMTP submitted)."""
        sent = next((f for f in self.sync_folders() if f.role in ("sent", "all")), None)
        if sent is None:
            raise errors.ServerError.of("no_sent_folder")
        self._call(self.client.append, sent.name, raw, flags=(imapclient.SEEN,), msg_time=date)
        return sent.name

    def recent_subjects(self, limit=50):
        """Subjects of the last ``limit`` emails of INBOX (EXAMINE, BODY.PEEK: nothing
        marked read). A caller looking for a secret compares them itself, so the
        secret never reaches the server (whose SEARCH could just echo it back)."""
        self._examine(Folder("INBOX", "inbox"))
        uids = sorted(self._call(self.client.search, ["ALL"]))[-limit:]
        if not uids:
            return []
        key = b"BODY[HEADER.FIELDS (SUBJECT)]"
        fetched = self._call(self.client.fetch, uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        subjects = []
        for data in fetched.values():
            header = email.message_from_bytes(data.get(key, b""), policy=email.policy.default)
            subjects.append(str(header.get("Subject", "")))
        return subjects

    def fetch_bodies(self, folder, keys, batch_size=50):
        """Yield ``(key, raw bytes)`` for the given keys (UIDs as strings; BODY.PEEK:
        flags untouched). A UID no longer on the server is yielded with ``None``.
        """
        self._examine(folder)
        uids = sorted(int(key) for key in keys)
        for i in range(0, len(uids), batch_size):
            chunk = uids[i : i + batch_size]
            fetched = self._call(self.client.fetch, chunk, [b"BODY.PEEK[]"])
            for uid in chunk:
                data = fetched.get(uid)
                yield str(uid), (data.get(b"BODY[]") if data else None)
