"""Read a Microsoft 365 mailbox through Microsoft Graph.

Exchange Online is leaving EWS, so Microsoft 365 mailboxes are read with Graph's
delta query: ``/me/mailFolders/{inbox|sentitems}/messages/delta`` pages through a
folder and ends with a delta link, the cursor of the next sync. Headers come as
JSON (no body), bodies as MIME (``/messages/{id}/$value``) only for the messages
that matched. Reading writes nothing: no read flag, no move. The owner's emails
sent from Odoo go out through ``/me/sendMail`` (:meth:`GraphMailbox.send_mime`).
"""

import base64
import datetime
import time
from dataclasses import dataclass

import requests

from . import addresses, errors
from .mailbox import Batch, Entry, Folder
from .message import ARRIVAL_MARGIN, Address, MailRecord, before_window, parse_headers, synthesize_message_id

GRAPH = "https://graph.microsoft.com/v1.0"
# Graph's well-known folder names, whatever the mailbox's language.
FOLDERS = (Folder("inbox", "inbox"), Folder("sentitems", "sent"))
SELECT = ",".join(
    (
        "internetMessageId",
        "subject",
        "from",
        "toRecipients",
        "ccRecipients",
        "bccRecipients",
        "receivedDateTime",
        "sentDateTime",
        "internetMessageHeaders",
    )
)
# Graph names no header the noise rules use unless asked: these come with the rest.
_NOISE_HEADERS = {"auto-submitted", "precedence", "list-id", "list-unsubscribe", "x-autoreply", "x-autorespond"}


@dataclass(slots=True)
class DeltaCursor:
    link: str = ""  # a next link while a pass is under way, the delta link after it


def _addresses(items):
    found = []
    for item in items or ():
        email = (item or {}).get("emailAddress") or {}
        normalized = addresses.normalize(email.get("address") or "")
        if normalized:
            found.append(Address(normalized, email.get("name") or ""))
    return tuple(found)


def _date(value):
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(datetime.timezone.utc)


def record_from_json(item):
    """A Graph message (JSON) as the same MailRecord a MIME header block gives."""
    headers = {}
    for header in item.get("internetMessageHeaders") or ():
        headers.setdefault(header.get("name", "").lower(), header.get("value") or "")
    rec = MailRecord(message_id=(item.get("internetMessageId") or "").strip())
    rec.subject = item.get("subject") or ""
    rec.sender = _addresses([item["from"]] if item.get("from") else [])
    rec.to = _addresses(item.get("toRecipients"))
    rec.cc = _addresses(item.get("ccRecipients"))
    rec.bcc = _addresses(item.get("bccRecipients"))
    rec.in_reply_to = headers.get("in-reply-to", "").strip()
    rec.references = tuple(headers.get("references", "").split())
    rec.date = _date(item.get("sentDateTime")) or _date(item.get("receivedDateTime"))
    rec.date_source = "header" if rec.date else ""
    rec.odoo_objects = tuple(filter(None, (o.strip() for o in headers.get("x-odoo-objects", "").split(","))))
    noise = {name: value for name, value in headers.items() if name in _NOISE_HEADERS}
    if noise:
        # The same rules as for MIME: rebuild those header lines for the header reader.
        raw = "".join(f"{name}: {value}\r\n" for name, value in noise.items()) + "\r\n"
        rec.noise = parse_headers(raw.encode()).noise
    if not rec.message_id:
        rec.message_id = synthesize_message_id(rec.sender, _date(item.get("sentDateTime")), rec.subject, rec.to)
        rec.message_id_synthesized = True
    return rec


class GraphMailbox:
    """A session on one Microsoft 365 mailbox (a :class:`~.mailbox.Mailbox`), with
    an OAuth access token. Entry keys are Graph message ids."""

    cursor_type = DeltaCursor

    def __init__(self, access_token, base_url=GRAPH, page_size=100, timeout=30, max_wait=60, session=None):
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.timeout = timeout
        self.max_wait = max_wait  # longest Retry-After honoured before giving up for this run
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.session.close()

    def sync_folders(self):
        # A first call that proves the token works, as an IMAP login would.
        response = self._get(f"{self.base_url}/me/mailFolders/inbox?$select=id")
        if response.status_code != 200:
            raise errors.ServerError.of("graph_status", response.text[:300], status=response.status_code)
        return list(FOLDERS)

    def is_unchanged(self, folder, cursor):
        # Asking the delta link is itself the cheap "anything new?" question.
        return False

    def _get(self, url, **headers):
        return self._request("GET", url, headers=headers)

    def _request(self, method, url, headers=None, data=None):
        for _attempt in range(5):
            try:
                response = self.session.request(method, url, headers=headers, data=data, timeout=self.timeout)
            except requests.RequestException as exc:
                raise errors.ConnectionFailed.of("graph_unreachable", str(exc)) from exc
            if response.status_code == 429 or response.status_code == 503:
                wait = float(response.headers.get("Retry-After") or 5)
                if wait > self.max_wait:
                    raise errors.ServerError.of("graph_slow_down", response.text)
                time.sleep(wait)
                continue
            if response.status_code == 401:
                raise errors.TokenRejected.of("oauth_token_rejected", response.text[:300], provider="Microsoft")
            return response
        raise errors.ServerError.of("graph_still_slow_down")

    def _start_url(self, folder, since):
        url = f"{self.base_url}/me/mailFolders/{folder.name}/messages/delta?$select={SELECT}"
        if since:
            # The one filter Graph's message delta accepts, on the arrival date: a
            # pre-filter only, the email's own date decides (see index()).
            url += f"&$filter=receivedDateTime+ge+{(since - ARRIVAL_MARGIN).isoformat()}T00:00:00Z"
        return url

    def index(self, folder, cursor=None, since=None, batch_size=None):
        """Yield one :class:`~.mailbox.Batch` per page of the folder's delta, from
        ``cursor`` (a next or delta link) or from the start (mail received on or
        after the date ``since``)."""
        if isinstance(folder, str):
            folder = next((f for f in FOLDERS if f.name == folder), Folder(folder, folder))
        link = cursor.link if isinstance(cursor, DeltaCursor) else cursor
        url = link or self._start_url(folder, since)
        page_size = batch_size or self.page_size
        reset = False
        while True:
            response = self._get(url, Prefer=f"odata.maxpagesize={page_size}")
            if response.status_code == 410 and link and not reset:
                # The delta link expired (Graph keeps sync state for a limited time):
                # read the folder again; Message-IDs keep it from being posted twice.
                url, reset = self._start_url(folder, since), True
                continue
            if response.status_code != 200:
                raise errors.ServerError.of("graph_status", response.text[:300], status=response.status_code)
            body = response.json()
            batch = Batch(folder, reset=reset)
            reset = False
            for item in body.get("value", ()):
                if "@removed" in item:
                    batch.removed.append(item["id"])
                else:
                    record = record_from_json(item)
                    if not before_window(record, since):
                        batch.entries.append(Entry(item["id"], record))
            next_link = body.get("@odata.nextLink")
            batch.cursor = DeltaCursor(next_link or body.get("@odata.deltaLink", ""))
            batch.done = not next_link
            yield batch
            if batch.done:
                return
            url = next_link

    def send_mime(self, raw):
        """Send an email given as MIME bytes (``/me/sendMail``); Microsoft keeps the
        copy in Sent Items itself. Used only when the owner sends from Odoo."""
        response = self._request(
            "POST", f"{self.base_url}/me/sendMail", headers={"Content-Type": "text/plain"}, data=base64.b64encode(raw)
        )
        if response.status_code != 202:
            raise errors.ServerError.of("graph_not_sent", response.text[:300], status=response.status_code)

    def fetch_bodies(self, folder, keys):
        """Yield ``(id, MIME bytes or None)``, like the IMAP reader."""
        for key in keys:
            yield key, self.fetch_mime(key)

    def fetch_mime(self, message_id):
        """The whole message as MIME bytes (None when it is gone)."""
        response = self._get(f"{self.base_url}/me/messages/{message_id}/$value")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise errors.ServerError.of("graph_status", response.text[:300], status=response.status_code)
        return response.content
