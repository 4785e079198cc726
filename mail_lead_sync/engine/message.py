"""Parse a raw email into a plain record: ids, date, subject, participants, bodies.

Built on the standard library's ``email`` package with the ``compat32`` policy:
it is several times faster than the modern policy and never raises on the broken
headers real mailboxes hold; decoding is done here, field by field, with fallbacks.
"""

import datetime
import email.errors
import email.header
import email.parser
import email.policy
import email.utils
import hashlib
import re
from dataclasses import dataclass, field

from . import addresses

UTC = datetime.timezone.utc
_MSGID_RE = re.compile(r"<[^<>\s]+>")
_WS_RE = re.compile(r"\s+")

#: Header fields an index pass needs (asked of IMAP with BODY.PEEK[HEADER.FIELDS]).
INDEX_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "Subject",
    "From",
    "To",
    "Cc",
    "Bcc",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "X-Autoreply",
    "X-Autorespond",
    "X-Odoo-Objects",
)

# A Date more than this far ahead of now is a broken clock, not a real date.
_FUTURE_SLACK = datetime.timedelta(days=2)
_OLDEST_PLAUSIBLE = datetime.datetime(1990, 1, 1, tzinfo=UTC)


class MalformedMessage(ValueError):
    """The bytes could not be read as an email at all."""


@dataclass(slots=True)
class Address:
    email: str  # normalized
    name: str = ""


@dataclass(slots=True)
class Attachment:
    name: str
    content_type: str
    size: int
    content_id: str = ""
    inline: bool = False
    content: bytes | None = None


@dataclass(slots=True)
class MailRecord:
    message_id: str
    message_id_synthesized: bool = False
    in_reply_to: str = ""
    references: tuple = ()
    date: datetime.datetime | None = None
    date_source: str = ""  # 'header', 'received', 'fallback' or '' (none found)
    subject: str = ""
    sender: tuple = ()  # From
    to: tuple = ()
    cc: tuple = ()
    bcc: tuple = ()
    reply_to: tuple = ()
    noise: str = ""  # why this looks automatic or bulk ('' for a person's mail)
    # Records an Odoo sent this email from ("crm.lead-7"): it is in their chatter already.
    odoo_objects: tuple = ()
    body_text: str = ""
    body_html: str = ""
    attachments: list = field(default_factory=list)
    defects: list = field(default_factory=list)

    @property
    def thread_ids(self):
        """Message-IDs this message answers, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids.extend(ref for ref in reversed(self.references) if ref != self.in_reply_to)
        return ids

    def participants(self, include_bcc):
        """Normalized addresses of From, To, Cc (and Bcc when asked), in order."""
        roles = (self.sender, self.to, self.cc) + ((self.bcc,) if include_bcc else ())
        return list(dict.fromkeys(addr.email for role in roles for addr in role))


class _RawHeaders(email.policy.Compat32):
    """compat32, but header values come back as read (8-bit bytes as surrogate
    escapes) instead of lossy ``Header`` objects: ``_redecode`` reads them."""

    def header_fetch_parse(self, name, value):
        return value


_policy = _RawHeaders()
_parser = email.parser.BytesParser(policy=_policy)


def _redecode(value):
    """compat32 reads raw 8-bit header bytes as surrogate escapes: read them as
    UTF-8, or Latin-1 when they are not UTF-8."""
    try:
        value.encode("utf-8")
        return value  # no escaped bytes in it
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _bytes_to_text(data, charset):
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def decode_header_value(value):
    """Decode RFC 2047 encoded words (any charset) into one clean string."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    value = _redecode(value)
    if "=?" not in value:
        return _WS_RE.sub(" ", value).strip()
    try:
        chunks = email.header.decode_header(value)
    except email.errors.HeaderParseError:
        return _WS_RE.sub(" ", value).strip()
    text = []
    for chunk, charset in chunks:
        text.append(_bytes_to_text(chunk, charset) if isinstance(chunk, bytes) else chunk)
    # decode_header drops the spaces between an encoded word and plain text.
    joined = ""
    for i, part in enumerate(text):
        if i and isinstance(chunks[i - 1][0], bytes) != isinstance(chunks[i][0], bytes):
            joined += " "
        joined += part
    return _WS_RE.sub(" ", joined).strip()


def _addresses(msg, name):
    values = msg.get_all(name)
    if not values:
        return ()
    found = []
    for value in values:
        for display, addr in addresses.split_pairs(_redecode(value)):
            found.append(Address(addresses.normalize_address(addr), decode_header_value(display) if display else ""))
    return tuple(found)


def _msgid(value):
    if not value:
        return ""
    value = _redecode(str(value))
    match = _MSGID_RE.search(value)
    if match:
        return match.group(0)
    value = value.strip()
    # Some mailers drop the angle brackets; keep the id comparable with the others.
    return f"<{value}>" if value and "@" in value and " " not in value else ""


def _msgids(msg, name):
    return tuple(_MSGID_RE.findall(" ".join(_redecode(str(v)) for v in msg.get_all(name) or ())))


def _parse_date(value):
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(_redecode(str(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed < _OLDEST_PLAUSIBLE or parsed > datetime.datetime.now(UTC) + _FUTURE_SLACK:
        return None
    return parsed


def _received_date(msg):
    for received in msg.get_all("Received") or ():
        date = _parse_date(str(received).rpartition(";")[2])
        if date:
            return date
    return None


def _noise(msg):
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return "auto-submitted"
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return "auto-submitted"
    if (msg.get("Precedence") or "").strip().lower() in ("bulk", "list", "junk"):
        return "bulk"
    if msg.get("List-Id") or msg.get("List-Unsubscribe"):
        return "mailing-list"
    return ""


#: How much earlier than the history window a server's arrival date may be for
#: an email whose own date is in it (clocks, queues): the server-side pre-filter
#: (IMAP SINCE, Graph's receivedDateTime) asks this much more, and the email's
#: own date decides.
ARRIVAL_MARGIN = datetime.timedelta(days=3)


def before_window(rec, since):
    """Is this email older than the history window starting on the date
    ``since``? Judged on its own date (Date header; the arrival date only for an
    email that has none), the same in every provider and in retroactive linking;
    never on the server's arrival date, which a mailbox moved to a new server has
    reset for every email."""
    return bool(since and rec.date and rec.date.astimezone(UTC).date() < since)


def _identity_date(date):
    """An email's own date as its identity keys compare it: UTC, to the minute.
    Minutes, because a forwarded email's quoted header prints no seconds and must
    name the same email as the copy in a mailbox; a server's arrival date is never
    passed here (it differs per mailbox)."""
    if not date:
        return ""
    if date.tzinfo is not None:
        date = date.astimezone(UTC)
    return date.strftime("%Y-%m-%dT%H:%MZ")


def _identity_text(text):
    return _WS_RE.sub(" ", text or "").strip()


def synthesize_message_id(sender, date, subject, to):
    """The one id of an email without Message-ID, whichever reader saw it (IMAP,
    Graph, EWS, a forward): a hash of its sender, its own date (a datetime from
    its Date header or Graph's sentDateTime, never an arrival date), its subject
    and its To, each normalized, so the same email gets the same id in every
    mailbox and every provider."""
    key = "\n".join(
        (
            ",".join(a.email for a in sender),
            _identity_date(date),
            _identity_text(subject),
            ",".join(sorted(a.email for a in to)),
        )
    )
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@mail-lead-sync.invalid>"


def identity(rec):
    """What tells two emails with one Message-ID apart: copies of one email (a
    second delivery, a list copy, the per-recipient copies one send leaves in
    Sent, the same email in INBOX and Sent) share it; different emails a broken
    client gave one id do not. Sender, To and Cc, subject and the email's own date
    (never an arrival date, which differs per copy; never Bcc, which only the
    sender's copy shows), as a short digest. The per-recipient copies Odoo sends
    of one message differ in To: each is kept, for its own recipient's records."""
    own_date = rec.date if rec.date_source == "header" else None
    sender = rec.sender[0].email if rec.sender else ""
    recipients = ",".join(sorted({a.email for a in rec.to + rec.cc}))
    key = "\n".join((sender, recipients, _identity_date(own_date), _identity_text(rec.subject)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def place_message_id(place, key):
    """The index key of an email that could not be read at all (no sender, date
    or subject to build an identity from): stable for its place in the mailbox,
    so a later run finds the same row instead of adding another."""
    digest = hashlib.sha256(f"{place}\n{key}".encode()).hexdigest()[:40]
    return f"<unreadable-{digest}@mail-lead-sync.invalid>"


def _record_from_headers(msg, fallback_date):
    rec = MailRecord(message_id=_msgid(msg.get("Message-ID")))
    rec.subject = decode_header_value(msg.get("Subject"))
    rec.sender = _addresses(msg, "From")
    rec.to = _addresses(msg, "To")
    rec.cc = _addresses(msg, "Cc")
    rec.bcc = _addresses(msg, "Bcc")
    rec.reply_to = _addresses(msg, "Reply-To")
    rec.in_reply_to = _msgid(msg.get("In-Reply-To"))
    rec.references = _msgids(msg, "References")
    date_header = msg.get("Date")
    rec.date = _parse_date(date_header)
    if rec.date:
        rec.date_source = "header"
    else:
        if date_header:
            rec.defects.append(f"unreadable Date header: {str(date_header)[:80]!r}")
        rec.date = _received_date(msg)
        if rec.date:
            rec.date_source = "received"
        elif fallback_date:
            rec.date = fallback_date.astimezone(UTC) if fallback_date.tzinfo else fallback_date.replace(tzinfo=UTC)
            rec.date_source = "fallback"
    if not rec.message_id:
        own_date = rec.date if rec.date_source == "header" else None
        rec.message_id = synthesize_message_id(rec.sender, own_date, rec.subject, rec.to)
        rec.message_id_synthesized = True
    rec.noise = _noise(msg)
    rec.odoo_objects = tuple(filter(None, (o.strip() for o in str(msg.get("X-Odoo-Objects") or "").split(","))))
    return rec


_FIELD_NAME_RE = re.compile(r"[\x21-\x39\x3b-\x7e]+")
_LINE_RE = re.compile(r"\r?\n")


class _HeaderBlock:
    """A header block read the way compat32 reads it (first value wins in ``get``,
    folds kept, 8-bit bytes as surrogate escapes), without building a Message:
    an index pass reads tens of thousands of these."""

    __slots__ = ("_values",)

    def __init__(self, raw):
        values = {}
        current = None
        lines = _LINE_RE.split(raw.decode("ascii", "surrogateescape"))
        if lines[0].startswith("From "):
            del lines[0]  # an mbox envelope line, as compat32 skips it
        for line in lines:
            if not line:
                break
            if line[0] in " \t":
                if current is not None:
                    current[-1] += "\r\n" + line
                continue
            name, colon, value = line.partition(":")
            if not colon or not _FIELD_NAME_RE.fullmatch(name):
                break  # compat32 ends the headers at the first line that is none
            current = values.setdefault(name.lower(), [])
            current.append(value.lstrip(" \t"))
        self._values = values

    def get(self, name, default=None):
        found = self._values.get(name.lower())
        return found[0] if found else default

    def get_all(self, name, default=None):
        return self._values.get(name.lower(), default)


def parse_headers(raw, fallback_date=None):
    """Parse only a header block (what an index pass fetches)."""
    try:
        return _record_from_headers(_HeaderBlock(raw), fallback_date)
    except Exception as exc:  # the stdlib parser has many failure modes on hostile input
        raise MalformedMessage(f"unreadable headers ({type(exc).__name__}: {exc})") from exc


def _part_filename(part):
    name = part.get_filename()
    if name is None:
        return ""
    return decode_header_value(name)


def _leaves(part):
    """MIME leaves in order; an attached email is one leaf, not walked into."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        yield part
        return
    for sub in part.get_payload():
        yield from _leaves(sub)


def _attached_email(part):
    inner = part.get_payload()
    inner = inner[0] if isinstance(inner, list) and inner else inner
    if not hasattr(inner, "as_bytes"):
        return b"", ""
    return inner.as_bytes(), decode_header_value(inner.get("Subject"))


def _walk_body(msg, rec, keep_content):
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = _part_filename(part)
        if ctype == "message/rfc822":
            payload, subject = _attached_email(part)
            filename = filename or f"{subject or 'email'}.eml"
        else:
            payload = part.get_payload(decode=True) or b""
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            text = _bytes_to_text(payload, part.get_content_charset())
            if ctype == "text/html" and not rec.body_html:
                rec.body_html = text
                continue
            if ctype == "text/plain" and not rec.body_text:
                rec.body_text = text
                continue
        content_id = (part.get("Content-ID") or "").strip().strip("<>")
        rec.attachments.append(
            Attachment(
                name=filename or f"attachment.{ctype.rpartition('/')[2] or 'bin'}",
                content_type=ctype,
                size=len(payload),
                content_id=content_id,
                inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
                content=payload if keep_content else None,
            )
        )


def parse_message(raw, fallback_date=None, keep_attachment_content=False):
    """Parse a whole message: headers, text and HTML bodies, attachments.

    Attachment bytes are kept only when asked; sizes are always filled in.
    """
    try:
        msg = _parser.parsebytes(raw)
        rec = _record_from_headers(msg, fallback_date)
        _walk_body(msg, rec, keep_attachment_content)
    except MalformedMessage:
        raise
    except Exception as exc:  # the stdlib parser has many failure modes on hostile input
        raise MalformedMessage(f"unreadable message ({type(exc).__name__}: {exc})") from exc
    rec.defects.extend(type(d).__name__ for d in msg.defects)
    return rec
