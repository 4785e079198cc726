"""Read an Exchange Server (on-premises) mailbox through EWS.

exchangelib does the protocol: the authentication the server offers (NTLM or
Basic) is found from its answer, the server from Autodiscover when none is
given. Inbox and Sent Items are read with SyncFolderItems, whose sync state is
the cursor of the next sync; headers come through GetItem (InternetMessageHeaders
and Bcc), bodies as MIME only for the messages that matched. SyncFolderItems and
GetItem change nothing in the mailbox (no read flag). The owner's emails sent
from Odoo go out through the server (:meth:`EwsMailbox.send_mime`).
"""

import contextlib
import datetime
import threading
import time
import urllib.parse
from dataclasses import dataclass

import requests
from exchangelib import DELEGATE, Account, Configuration, Credentials
from exchangelib import errors as ews_errors
from exchangelib.autodiscover.protocol import AutodiscoverProtocol
from exchangelib.folders import Inbox, SentItems
from exchangelib.items import Message
from exchangelib.items.base import ID_ONLY
from exchangelib.protocol import FailFast, Protocol
from exchangelib.services import SyncFolderItems

from . import addresses, errors
from .autodetect import known_provider_host, within_domain
from .mailbox import Batch, Entry, Failure, Folder
from .message import Address, MalformedMessage, before_window, parse_headers
from .netguard import HostPolicy

FOLDERS = {"inbox": (Inbox, "inbox"), "sentitems": (SentItems, "sent")}
HEADER_FIELDS = ("headers", "bcc_recipients", "datetime_received")


@dataclass(slots=True)
class SyncCursor:
    state: str = ""  # EWS SyncState after the last batch stored


class _CaFileAdapter(requests.adapters.HTTPAdapter):
    """Trust a company's own certificate authority (requests lets REQUESTS_CA_BUNDLE
    override a session's ``verify``, so it is set on every request here), and
    refuse hosts the host policy refuses: Autodiscover follows DNS, redirects and
    documents that may name any host."""

    cafile = None
    policy = None
    mailbox = None  # the EwsMailbox connecting, for its trusted hosts

    def send(self, request, **kwargs):
        host = (urllib.parse.urlsplit(request.url).hostname or "").lower()
        try:
            (self.policy or HostPolicy()).addresses(host)
            if self.mailbox is not None:
                self.mailbox._check_trusted(host)
        except errors.SyncError as exc:
            # A transport error: Autodiscover goes on to its next candidate.
            raise requests.ConnectionError(str(exc), request=request) from exc
        if self.cafile:
            kwargs["verify"] = self.cafile
        return super().send(request, **kwargs)


# exchangelib reads its HTTP adapter and timeout from class attributes, which every
# thread of the process shares: each connection gets classes of its own instead,
# so one mailbox's settings never reach another's. Autodiscover's protocol has no
# per-instance hook: its class attributes are set for one discovery at a time.
_DISCOVERY_LOCK = threading.Lock()


def _adapter_class(cafile, policy, mailbox):
    return type("MailboxAdapter", (_CaFileAdapter,), {"cafile": cafile, "policy": policy, "mailbox": mailbox})


@contextlib.contextmanager
def _discovery_settings(adapter_cls, timeout):
    with _DISCOVERY_LOCK:
        saved = AutodiscoverProtocol.__dict__.get("HTTP_ADAPTER_CLS"), AutodiscoverProtocol.__dict__.get("TIMEOUT")
        AutodiscoverProtocol.HTTP_ADAPTER_CLS, AutodiscoverProtocol.TIMEOUT = adapter_cls, timeout
        try:
            yield
        finally:
            for name, value in zip(("HTTP_ADAPTER_CLS", "TIMEOUT"), saved, strict=True):
                if value is None:
                    delattr(AutodiscoverProtocol, name)
                else:
                    setattr(AutodiscoverProtocol, name, value)


def _record(item, fallback_date):
    """A MailRecord from the headers GetItem returned (the same reader as for
    MIME), with the Bcc Exchange keeps on sent items."""
    lines = "".join(f"{h.name}: {h.value}\r\n" for h in item.headers or ())
    rec = parse_headers((lines + "\r\n").encode("utf-8", "surrogateescape"), fallback_date=fallback_date)
    if item.bcc_recipients and not rec.bcc:
        found = ((addresses.normalize(m.email_address or ""), m.name or "") for m in item.bcc_recipients)
        rec.bcc = tuple(Address(email, name) for email, name in found if email)
    return rec


class EwsMailbox:
    """A session on one Exchange mailbox (a :class:`~.mailbox.Mailbox`). Entry keys
    are EWS item ids. Use as a context manager."""

    cursor_type = SyncCursor

    def __init__(
        self, email, username, password, server=None, verify=True, timeout=30, max_wait=60, policy=None,
        trusted_hosts=None,
    ):  # fmt: skip
        self.email = email
        self.username = username or email
        self.password = password
        self.server = server
        self.verify = verify
        self.timeout = timeout
        self.max_wait = max_wait  # longest BackOff honoured before giving up for this run
        self.policy = policy or HostPolicy()
        # None: any host (the mailbox was set up already). A set: besides the address's
        # own domain and known providers, only these hosts get the credentials;
        # others (named by Autodiscover: DNS, redirects, documents) are refused and
        # listed in untrusted_hosts for the user to confirm.
        self.trusted_hosts = None if trusted_hosts is None else {h.lower() for h in trusted_hosts}
        self.untrusted_hosts = []
        self.account = None
        self._folders = {}

    # -- session ---------------------------------------------------------------------
    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    def connect(self):
        adapter_cls = _adapter_class(
            self.verify if isinstance(self.verify, str) else None,
            self.policy,
            self if self.trusted_hosts is not None else None,
        )
        protocol_cls = type("MailboxProtocol", (Protocol,), {"HTTP_ADAPTER_CLS": adapter_cls, "TIMEOUT": self.timeout})
        credentials = Credentials(self.username, self.password)
        try:
            if self.server:
                endpoint = self.server if "://" in self.server else f"https://{self.server}/EWS/Exchange.asmx"
                # A named server that is refused is said so in words (not as "no answer").
                self.policy.addresses(urllib.parse.urlsplit(endpoint).hostname or "")
                config = Configuration(service_endpoint=endpoint, credentials=credentials, retry_policy=FailFast())
                self.account = Account(self.email, config=config, autodiscover=False, access_type=DELEGATE)
            else:
                with _discovery_settings(adapter_cls, self.timeout):
                    self.account = Account(
                        self.email, credentials=credentials, autodiscover=True, access_type=DELEGATE,
                        config=Configuration(credentials=credentials, retry_policy=FailFast()),
                    )  # fmt: skip
            # exchangelib builds its protocol lazily (no request yet): from now on it
            # opens its sessions with this connection's adapter and timeout.
            self.account.protocol.__class__ = protocol_cls
            # exchangelib connects lazily: the first real call proves the server and the login.
            self._call(lambda: self.account.root)
        except Exception as exc:
            if self.untrusted_hosts:
                hosts = ", ".join(self.untrusted_hosts)
                raise errors.HostNeedsConfirmation.of(
                    "ews_host_outside", self.untrusted_hosts, domain=addresses.domain_of(self.email), hosts=hosts
                ) from exc
            raise self._translate(exc) from exc
        finally:
            # Hosts Autodiscover names are judged while connecting only; the server it
            # settled on (or the one typed) is the mailbox's from then on.
            adapter_cls.mailbox = None

    def _check_trusted(self, host):
        domain = addresses.domain_of(self.email)
        if host in self.trusted_hosts or within_domain(host, domain) or known_provider_host(host):
            return
        if host not in self.untrusted_hosts:
            self.untrusted_hosts.append(host)
        raise errors.HostNeedsConfirmation.of("ews_host_unconfirmed", [host], host=host)

    def close(self):
        if self.account is not None:
            self.account.protocol.close()
            self.account = None

    def _translate(self, exc):
        where = self.server or f"the Exchange server of {self.email}"
        if isinstance(exc, errors.SyncError):
            return exc
        if isinstance(exc, ews_errors.UnauthorizedError):
            return errors.AuthenticationFailed.of("ews_login_refused", str(exc), login=self.username)
        if isinstance(exc, ews_errors.AutoDiscoverFailed):
            domain = self.email.rpartition("@")[2]
            return errors.HostNotFound.of("ews_autodiscover_failed", str(exc), domain=domain)
        if isinstance(exc, ews_errors.ErrorServerBusy):
            return errors.ServerError.of("ews_busy", str(exc))
        if isinstance(exc, ews_errors.TransportError):
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in text:
                return errors.TlsFailed.of("ews_untrusted_certificate", text, where=where)
            if "timed out" in text.lower():
                return errors.ConnectTimeout.of("ews_timeout", text, where=where)
            return errors.ConnectionFailed.of("ews_no_answer", text, where=where)
        if isinstance(exc, (requests.RequestException, OSError)):
            return errors.ConnectionFailed.of("ews_no_answer", str(exc), where=where)
        if isinstance(exc, ews_errors.EWSError):
            return errors.ServerError.of("ews_error", str(exc), where=where)
        return exc

    def _call(self, method, *args, **kwargs):
        """Run an EWS call, waiting as asked when the server is busy (up to a bound)."""
        waited = 0
        while True:
            try:
                return method(*args, **kwargs)
            except ews_errors.ErrorServerBusy as exc:
                wait = (exc.back_off or 5) if hasattr(exc, "back_off") else 5
                if waited + wait > self.max_wait:
                    raise self._translate(exc) from exc
                time.sleep(wait)
                waited += wait
            except ews_errors.ErrorInvalidSyncStateData:
                raise
            except Exception as exc:
                raise self._translate(exc) from exc

    # -- folders -----------------------------------------------------------------------
    def _folder(self, name):
        if name not in self._folders:
            cls = FOLDERS[name][0]
            self._folders[name] = self._call(cls.get_distinguished, root=self.account.root)
        return self._folders[name]

    def sync_folders(self):
        for name in FOLDERS:
            self._folder(name)  # resolving them proves the login and the mailbox
        return [Folder(name, role) for name, (_cls, role) in FOLDERS.items()]

    def is_unchanged(self, folder, cursor):
        # SyncFolderItems with the last state is itself the cheap "anything new?".
        return False

    # -- indexing ----------------------------------------------------------------------
    def _page(self, ews_folder, state, batch_size):
        service = SyncFolderItems(account=self.account)
        changes = list(
            service.call(
                folder=ews_folder, shape=ID_ONLY, additional_fields=set(), sync_state=state or None, ignore=None,
                max_changes_returned=batch_size, sync_scope=None,
            )
        )  # fmt: skip
        return changes, service.sync_state, service.includes_last_item_in_range

    def index(self, folder, cursor=None, since=None, batch_size=100):
        """Yield one :class:`~.mailbox.Batch` per SyncFolderItems page from ``cursor``
        (or from the start), keeping mail received on or after ``since``."""
        ews_folder = self._folder(folder.name)
        state = cursor.state if cursor else ""
        reset = False
        while True:
            try:
                changes, new_state, last = self._call(self._page, ews_folder, state, batch_size)
            except ews_errors.ErrorInvalidSyncStateData as exc:
                if not state or reset:
                    raise errors.ServerError.of("ews_folder_refused", str(exc)) from exc
                # The server forgot the state: read the folder again; Message-IDs keep
                # anything from being posted twice.
                state, reset = "", True
                continue
            ids = [item for change, item in changes if change in ("create", "update") and getattr(item, "id", None)]
            batch = Batch(folder, cursor=SyncCursor(new_state), done=bool(last), reset=reset)
            reset = False
            if ids:
                self._fill(batch, ids, since)
            yield batch
            if last or new_state == state:
                return
            state = new_state

    def _fill(self, batch, ids, since):
        items = self._call(lambda: list(self.account.fetch(ids=ids, only_fields=list(HEADER_FIELDS))))
        for ref, item in zip(ids, items, strict=True):
            if isinstance(item, Exception):
                batch.failures.append(Failure(ref.id, f"Exchange could not read it: {item}"))
                continue
            received = item.datetime_received
            received = datetime.datetime.fromisoformat(received.isoformat()) if received else None
            try:
                record = _record(item, received)
            except MalformedMessage as exc:
                batch.failures.append(Failure(ref.id, str(exc)))
                continue
            if before_window(record, since):
                continue
            if not record.participants(include_bcc=True):
                batch.failures.append(Failure(ref.id, "no sender or recipient address could be read"))
                continue
            batch.entries.append(Entry(ref.id, record))

    def send_mime(self, raw):
        """Send an email given as MIME bytes, keeping the copy in Sent Items as
        Exchange does. Used only when the owner sends from Odoo."""
        sent = self._folder("sentitems")
        self._call(lambda: Message(account=self.account, folder=sent, mime_content=raw).send_and_save())

    def fetch_bodies(self, folder, keys, batch_size=50):
        """Yield ``(item id, MIME bytes or None)``."""
        keys = list(keys)
        for i in range(0, len(keys), batch_size):
            chunk = keys[i : i + batch_size]
            items = self._call(
                lambda c=chunk: list(self.account.fetch(ids=[(k, None) for k in c], only_fields=["mime_content"]))
            )
            for key, item in zip(chunk, items, strict=True):
                yield key, (None if isinstance(item, Exception) else item.mime_content)
