"""The original email inside an email a salesperson forwarded to the CRM.

Two shapes exist: "forward as attachment" (a ``message/rfc822`` part: the
original with all its headers, Message-ID included) and inline forwards, where
the mail client writes a separator and a small header block above the quoted
original. The inline block is written in the sender's language; the markers and
field names of Gmail, Outlook (desktop and web), Apple Mail and Thunderbird in
English, French, German, Spanish and Dutch are recognised. An inline original has
no Message-ID: its id is built from the recovered sender, date, subject and To,
so the same original forwarded twice gets the same id.
"""

import datetime
import email.utils
import html
import re
from dataclasses import dataclass, field

from . import addresses
from .message import Address, MailRecord, parse_message, synthesize_message_id

UTC = datetime.timezone.utc

# Lines that open a forwarded block (the dashes vary between clients and versions).
_MARKERS = re.compile(
    r"^\s*(?:-{2,}\s*|_{5,}\s*)?(?:"
    r"Forwarded message|Forwarded Message|Original Message|Begin forwarded message"
    r"|Message transféré|Message d'origine|Début du message réexpédié"
    r"|Weitergeleitete Nachricht|Ursprüngliche Nachricht|Anfang der weitergeleiteten Nachricht"
    r"|Mensaje reenviado|Mensaje original|Inicio del mensaje reenviado|Comienzo del mensaje reenviado"
    r"|Doorgestuurd bericht|Oorspronkelijk bericht|Begin doorgestuurd bericht"
    r")\s*:?\s*(?:-{2,})?\s*$",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
_ATTRIBUTION = re.compile(
    r"^(?:On|Le|Am|El|Op)\s.{4,120}?<[^<>@\s]+@[^<>\s]+>\s*(?:wrote|a\s+écrit|schrieb|escribió|schreef|geschreven)\s*:\s*$"
    r"|^(?:Am|Op)\s.{4,120}?\s(?:schrieb|schreef)\s.{0,80}?<[^<>@\s]+@[^<>\s]+>\s*:\s*$",
    re.IGNORECASE,
)
# Subject prefixes of forwards and of replies, in the five languages and their clients.
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|tr|wg|rv|doorst|i)\s*:", re.IGNORECASE)
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|antw|sv|r)\s*:", re.IGNORECASE)
# Header names of the block, per field, in the five languages (Outlook bolds them: *From:*).
_FIELDS = {
    "from": ("from", "de", "von", "van"),
    "to": ("to", "à", "a", "an", "aan", "para", "pour"),
    "cc": ("cc", "kopie", "cc.", "kopie (cc)", "copie", "copie à", "copia"),
    "date": ("date", "sent", "datum", "gesendet", "envoyé", "enviado", "enviado el", "fecha", "verzonden", "verstuurd"),
    "subject": ("subject", "objet", "sujet", "betreff", "asunto", "onderwerp"),
}
_FIELD_OF = {name: key for key, names in _FIELDS.items() for name in names}
_HEADER_LINE = re.compile(r"^\s*\**\s*([A-Za-zÀ-ÿ.() ]{1,20}?)\s*:\**\s*(.*)$")
_MAILTO = re.compile(r"\[mailto:([^\]]+)\]")

_MONTHS = {}
for _number, _names in enumerate(
    (
        "january jan janvier janv januar jän enero ene januari",
        "february feb février févr fév februar febrero februari",
        "march mar mars märz mär marzo maart mrt",
        "april apr avril avr abril",
        "may mai mayo mei",
        "june jun juin juni junio",
        "july jul juillet juil juli julio",
        "august aug août agosto augustus ago",
        "september sep sept septembre septiembre",
        "october oct octobre oktober okt octubre",
        "november nov novembre noviembre",
        "december dec décembre déc dezember dez diciembre dic",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\.?\s+(?:de\s+)?([^\W\d_]+)\.?,?\s+(?:de\s+)?(\d{4})", re.UNICODE)
_MONTH_DAY_YEAR = re.compile(r"([^\W\d_]+)\.?\s+(\d{1,2}),?\s+(\d{4})", re.UNICODE)
_NUMERIC = re.compile(r"(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})")
_TIME = re.compile(r"(\d{1,2})[:h.](\d{2})(?::(\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?")
_RFC2822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[+-]\d{4}|[A-Z]{1,5})?"
)


@dataclass(slots=True)
class Forwarded:
    original: MailRecord
    how: str  # 'attachment' or 'inline'
    comment: str = ""  # what the salesperson wrote above the forwarded block
    notes: list = field(default_factory=list)  # what could not be recovered, in words


def parse_localized_date(text):
    """An aware UTC datetime from a date as mail clients print it in the five
    languages (or RFC 2822); None when it cannot be read."""
    text = (text or "").strip()
    parsed = None
    if _RFC2822.match(text):  # the stdlib reader is lenient: "3:05 PM" would come out as 03:05
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    lowered = text.lower()
    day = month = year = None
    match = _DAY_MONTH_YEAR.search(lowered)
    if match and match[2] in _MONTHS:
        day, month, year = int(match[1]), _MONTHS[match[2]], int(match[3])
    else:
        match = _MONTH_DAY_YEAR.search(lowered)
        if match and match[1] in _MONTHS:
            month, day, year = _MONTHS[match[1]], int(match[2]), int(match[3])
        else:
            match = _NUMERIC.search(lowered)
            if not match:
                return None
            first, second, third = (int(g) for g in match.groups())
            if first > 31:  # 2026-11-02
                year, month, day = first, second, third
            else:  # 02/11/2026 (day first: the five languages but US English write it so)
                day, month, year = first, second, third if third > 99 else 2000 + third
    rest = lowered[match.end() :]
    hour = minute = second = 0
    clock = _TIME.search(rest)
    if clock:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        meridiem = (clock[4] or "").replace(".", "").replace(" ", "").lower()
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
    try:
        # The printed time has no zone: taken as UTC (what a synced copy would show may differ by hours).
        return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _html_to_text(markup):
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|h\d|blockquote)>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("\xa0", " ")


def _addresses(value):
    value = _MAILTO.sub(r"<\1>", value)  # Outlook writes Name [mailto:a@b]
    found = []
    for name, address in email.utils.getaddresses([value.replace(";", ",")]):
        normalized = addresses.normalize(address)
        if normalized:
            found.append(Address(normalized, name.strip(' "')))
    if not found:
        for match in re.finditer(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", value):
            found.append(Address(addresses.normalize(match[0]), ""))
    return tuple(a for a in found if a.email)


def _header_block(lines, start):
    """Fields of the header block from ``start`` (skipping blank lines), and the
    index of the first body line."""
    fields, i, last = {}, start, None
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            if fields:
                break
            i += 1
            continue
        match = _HEADER_LINE.match(line)
        key = _FIELD_OF.get(match[1].strip().lower()) if match else None
        if key and key not in fields:
            fields[key] = match[2].strip()
            last = key
        elif last and line.startswith((" ", "\t")):  # a long To: list wrapped
            fields[last] += " " + line.strip()
        else:
            break
        i += 1
    return fields, i


def _inline(text, bare_block=False):
    """``(comment, fields, body)`` of the first forwarded block of ``text``.
    ``bare_block``: also a header block with no marker line above it (new Outlook
    and Outlook 2013 write none)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    for i, line in enumerate(lines):
        marked = _MARKERS.match(line) or (_OUTLOOK_RULE.match(line) and i + 1 < len(lines))
        start = i + 1 if marked else i
        if not marked and not (bare_block and (i == 0 or not lines[i - 1].strip()) and _is_from_line(line)):
            continue
        fields, body_start = _header_block(lines, start)
        complete = "from" in fields and ("subject" in fields or "date" in fields)
        if complete and (marked or ("subject" in fields and ("date" in fields or "to" in fields))):
            return "\n".join(lines[:i]).strip(), fields, "\n".join(lines[body_start:]).strip("\n")
    return None


def _is_from_line(line):
    match = _HEADER_LINE.match(line)
    return bool(match) and _FIELD_OF.get(match[1].strip().lower()) == "from"


def _attribution_sender(line):
    """'Name <a@b>' from an attribution line (the name sits between the date and the address)."""
    match = re.search(r"<([^<>\s]+@[^<>\s]+)>", line)
    if not match:
        return line
    before = re.split(r",|\bschrieb\b|\bheeft\b|\d{1,2}:\d{2}", line[: match.start()])[-1]
    name = before.strip().strip('"«»“” ').strip()
    return f'"{name}" <{match[1]}>' if name else match[1]


def _unquote(text):
    """One level of ``>`` quoting off (Apple Mail quotes what it forwards)."""
    return "\n".join(re.sub(r"^> ?", "", line) for line in text.replace("\r\n", "\n").split("\n"))


def _attribution(text):
    """Outlook for Mac forwards with a reply-style line: 'On <date>, "Name" <a@b> wrote:'
    and the original indented below. ``(comment, sender, date text, body)`` or None."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    for i, line in enumerate(lines):
        if _ATTRIBUTION.match(line.strip()):
            body = "\n".join(re.sub(r"^ {4}|^\t", "", rest) for rest in lines[i + 1 :]).strip("\n")
            return "\n".join(lines[:i]).strip(), line.strip(), body
    return None


def _rfc822_part(msg_bytes):
    msg = email.message_from_bytes(msg_bytes)
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if inner is not None:
                return inner.as_bytes()
    return None


def recover(raw, forward=None):
    """The original of a forwarded email (raw bytes), or None when it is not a forward.

    ``forward`` is the already parsed outer message, when the caller has it.
    """
    inner = _rfc822_part(raw)
    forward = forward or parse_message(raw)
    if inner:
        original = parse_message(inner, keep_attachment_content=True)
        comment = forward.body_text or _html_to_text(forward.body_html)
        return Forwarded(original, "attachment", comment.strip())
    text = forward.body_text or _html_to_text(forward.body_html or "")
    looks_forwarded = bool(_FORWARD_SUBJECT.match(forward.subject or "")) or not _REPLY_SUBJECT.match(
        forward.subject or ""
    )
    found = _inline(text) or _inline(_unquote(text))
    if not found and looks_forwarded:
        found = _inline(text, bare_block=True) or _inline(_unquote(text), bare_block=True)
    if not found and _FORWARD_SUBJECT.match(forward.subject or ""):
        attributed = _attribution(text)
        if attributed:
            comment, line, body = attributed
            fields = {
                "from": _attribution_sender(line),
                "date": line,
                "subject": _FORWARD_SUBJECT.sub("", forward.subject).strip(),
            }
            found = comment, fields, body
    if not found:
        return None
    comment, fields, body = found
    notes = []
    original = MailRecord(message_id="")
    original.sender = _addresses(fields["from"])
    original.to = _addresses(fields.get("to", ""))
    original.cc = _addresses(fields.get("cc", ""))
    original.subject = fields.get("subject", "").strip()
    original.date = parse_localized_date(fields.get("date", ""))
    original.date_source = "header" if original.date else "fallback"
    if not original.date:
        original.date = forward.date
        notes.append(f"The original's date ({fields.get('date', 'none')}) could not be read: the forward's is used.")
    original.body_text = body
    # Attachments of an inline forward are the original's (the forwarder adds none in practice).
    original.attachments = parse_message(raw, keep_attachment_content=True).attachments
    own_date = original.date if original.date_source == "header" else None
    original.message_id = synthesize_message_id(original.sender, own_date, original.subject, original.to)
    original.message_id_synthesized = True
    return Forwarded(original, "inline", comment, notes)
