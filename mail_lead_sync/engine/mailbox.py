"""What every mailbox reader gives the sync (IMAP, Microsoft Graph, Exchange EWS).

The models and the wizard speak to a :class:`Mailbox` only: they never need to
know which protocol is behind it. Each reader keeps its own cursor type (an IMAP
UID position, a Graph delta link, an EWS sync state): the models store it as
JSON and hand it back, without reading it.
"""

import datetime
import ssl
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .netguard import HostPolicy


@dataclass(slots=True)
class Folder:
    name: str
    role: str  # 'inbox', 'sent' or 'all' (Gmail's All Mail)


@dataclass(slots=True)
class Entry:
    """One indexed email: its headers and where it is in its folder.

    ``key`` is a string for every provider (an IMAP UID as its decimal digits, a
    Graph or EWS item id as given): the index keeps one column for it, and
    ``fetch_bodies`` takes it back."""

    key: str
    record: object  # MailRecord, headers only
    size: int = 0
    internaldate: datetime.datetime | None = None  # IMAP only
    gm_msgid: int = 0  # Gmail only


@dataclass(slots=True)
class Failure:
    """An email whose headers could not be read (kept in the index with the reason)."""

    key: str
    reason: str


@dataclass(slots=True)
class Batch:
    """One batch of a folder's new messages. ``cursor`` covers this batch: store
    both in one transaction and a crash repeats nothing and skips nothing."""

    folder: Folder
    entries: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    cursor: object = None  # the reader's ``cursor_type``
    reset: bool = False  # the server forgot the old position: the folder is read again from the start
    remaining: int = 0  # messages of this pass still to read after this batch, when the server says
    done: bool = False  # this batch ends the pass (Graph, EWS)
    removed: list = field(default_factory=list)  # keys the server reports deleted or moved out (Graph)


@runtime_checkable
class Mailbox(Protocol):
    """A session on one mailbox. Use as a context manager: entering connects and
    logs in, leaving closes. Reading changes nothing in the mailbox (no read
    flag, no move)."""

    cursor_type: type  # a dataclass: the models store ``asdict(cursor)`` and rebuild it

    def __enter__(self) -> "Mailbox": ...

    def __exit__(self, *exc_info) -> None: ...

    def sync_folders(self) -> list[Folder]:
        """The folders to read (and a first call that proves the login works)."""

    def is_unchanged(self, folder: Folder, cursor) -> bool:
        """True when the server says nothing was added since ``cursor`` (a cheap
        question); False when it cannot tell."""

    def index(
        self, folder: Folder, cursor=None, since: datetime.date | None = None, batch_size=None
    ) -> Iterator[Batch]:
        """Yield :class:`Batch` of parsed headers for every message after ``cursor``
        (from the start when None) whose own date is on or after ``since``."""

    def fetch_bodies(self, folder: Folder, keys: Iterable[str]) -> Iterator[tuple[str, bytes | None]]:
        """Yield ``(key, raw MIME bytes)`` for the given keys; ``None`` for a message
        no longer there."""


@runtime_checkable
class SendingMailbox(Mailbox, Protocol):
    """A mailbox whose provider sends mail itself (Graph, EWS) and keeps the copy
    in Sent. Used only when the owner sends from Odoo."""

    def send_mime(self, raw: bytes) -> None: ...


@runtime_checkable
class SentCopyMailbox(Mailbox, Protocol):
    """A mailbox that keeps a copy of what was sent by SMTP in its Sent folder
    (IMAP). The only write to a mailbox, and only when the owner sends from Odoo."""

    def save_sent_copy(self, raw: bytes, date: datetime.datetime | None = None) -> str: ...


@dataclass(slots=True)
class MailboxSettings:
    """Everything needed to open a mailbox of any provider; each reader takes
    what its protocol uses."""

    provider: str = "imap"  # 'imap', 'gmail' (IMAP), 'microsoft' (Graph) or 'exchange' (EWS)
    email: str = ""
    host: str = ""  # IMAP server
    port: int = 993
    security: str = "ssl"  # 'ssl' (implicit TLS), 'starttls' or 'none'
    login: str = ""  # the email when empty
    password: str = ""
    access_token: str = ""  # OAuth: XOAUTH2 for IMAP, the bearer token for Graph
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None  # IMAP; default: system CAs, hostname checked
    ca_file: str = ""  # EWS: a company's own certificate authority
    policy: HostPolicy | None = None  # where connecting is allowed; default: public servers only
    server: str = ""  # EWS endpoint URL; empty: found by Autodiscover
    graph_url: str = ""  # Graph's root; empty: Microsoft's
    trusted_hosts: frozenset | None = None  # EWS: hosts Autodiscover may name (None: any)


def open_mailbox(settings):
    """The reader of ``settings.provider``, not connected yet (enter it to connect)."""
    # Imported here: the readers import this module's dataclasses, and a mailbox of
    # one provider needs no other provider's library (exchangelib is heavy).
    login = settings.login or settings.email
    if settings.provider == "microsoft":
        from .graph import GRAPH, GraphMailbox

        return GraphMailbox(settings.access_token, base_url=settings.graph_url or GRAPH, timeout=settings.timeout)
    if settings.provider == "exchange":
        from .ews import EwsMailbox

        return EwsMailbox(
            settings.email, login, settings.password, server=settings.server or None,
            verify=settings.ca_file or True, timeout=settings.timeout, policy=settings.policy,
            trusted_hosts=settings.trusted_hosts,
        )  # fmt: skip
    from .imap import ImapMailbox, ImapSettings

    return ImapMailbox(
        ImapSettings(
            host=settings.host, port=settings.port, security=settings.security, login=login,
            password=settings.password, access_token=settings.access_token, timeout=settings.timeout,
            ssl_context=settings.ssl_context, policy=settings.policy,
        )
    )  # fmt: skip
