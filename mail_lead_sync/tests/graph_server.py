"""A Microsoft Graph mailbox on 127.0.0.1, for tests (no Microsoft 365 server can
run here). It keeps real messages per user and folder and answers the calls the
addon makes in the shapes Microsoft documents for them:

- ``GET /v1.0/me/mailFolders/{folder}`` (a first call proving the token);
- ``GET /v1.0/me/mailFolders/{inbox|sentitems}/messages/delta`` with
  ``$select``, ``$filter=receivedDateTime ge``, ``Prefer: odata.maxpagesize``,
  ``@odata.nextLink`` pages and an ``@odata.deltaLink`` at the end;
- ``GET /v1.0/me/messages/{id}/$value`` (the MIME bytes);
- ``401 InvalidAuthenticationToken`` for a token the OAuth server does not know,
  ``429`` with ``Retry-After`` on demand, ``410 SyncStateNotFound`` for delta
  links issued before :meth:`expire_delta_links`.

Tokens are checked against an :class:`~.oauth_server.OAuthServer`. Plain Python.
"""

import base64
import datetime
import email
import email.policy
import email.utils
import json
import threading
import urllib.parse
import uuid

from .loopback_http import LoopbackHttp


def _recipients(msg, name):
    return [
        {"emailAddress": {"name": display, "address": address}}
        for display, address in email.utils.getaddresses(msg.get_all(name, []))
        if address
    ]


def _iso(value):
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_json(raw, message_id, received):
    """A Graph ``message`` resource for raw MIME bytes (the properties we select)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    sent = email.utils.parsedate_to_datetime(msg["Date"]) if msg["Date"] else received
    senders = _recipients(msg, "From")
    return {
        "@odata.type": "#microsoft.graph.message",
        "@odata.etag": f'W/"{uuid.uuid4().hex[:20]}"',
        "id": message_id,
        "receivedDateTime": _iso(received),
        "sentDateTime": _iso(sent),
        "subject": str(email.header.make_header(email.header.decode_header(msg["Subject"] or ""))),
        "internetMessageId": (msg["Message-ID"] or "").strip() or None,
        "from": senders[0] if senders else None,
        "toRecipients": _recipients(msg, "To"),
        "ccRecipients": _recipients(msg, "Cc"),
        "bccRecipients": _recipients(msg, "Bcc"),
        "internetMessageHeaders": [{"name": name, "value": str(value)} for name, value in msg.items()],
    }


class GraphServer(LoopbackHttp):
    def __init__(self, oauth):
        self.oauth = oauth
        self.folders = {}  # (login, folder) -> [(id, json, raw)]
        self.requests = []  # (path, headers)
        self.throttle = []  # Retry-After values to answer the next requests with (429)
        self.generation = 0  # delta links of older generations have expired
        self.selects = []  # the $select of each delta query, kept behind its tokens
        self.sent = []  # (login, MIME bytes) posted to sendMail
        self._lock = threading.Lock()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/v1.0"

    def answer(self, method, path, headers, body):
        if method == "POST":
            status, reply_headers, reply = self.handle_post(path, headers, body)
        else:
            status, reply_headers, reply = self.handle(path, headers)
        payload = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        return status, reply_headers, payload

    # -- the mailbox ---------------------------------------------------------------
    def deliver(self, login, folder, raw, received=None):
        """Put a message in ``folder`` ('inbox' or 'sentitems'); returns its Graph id."""
        received = received or datetime.datetime.now(datetime.timezone.utc)
        message_id = "AAMkAD" + uuid.uuid4().hex + "AAA="
        item = (message_id, graph_json(raw, message_id, received), raw)
        with self._lock:
            self.folders.setdefault((login, folder), []).append(item)
        return message_id

    def expire_delta_links(self):
        with self._lock:
            self.generation += 1

    # -- HTTP ------------------------------------------------------------------------
    def _error(self, status, code, message, headers=None):
        return (
            status,
            {"Content-Type": "application/json", **(headers or {})},
            {"error": {"code": code, "message": message}},
        )

    def handle(self, path, headers):
        with self._lock:
            self.requests.append((path, dict(headers)))
            if self.throttle:
                wait = self.throttle.pop(0)
                return self._error(429, "ApplicationThrottled", "Too many requests.", {"Retry-After": str(wait)})
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        login = self.oauth.access_tokens.get(token)
        if not login:
            return self._error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        parts = url.path.removeprefix("/v1.0/me/").split("/")
        if parts[0] == "mailFolders" and len(parts) == 2:
            return 200, {"Content-Type": "application/json"}, {"id": parts[1], "displayName": parts[1]}
        if parts[0] == "mailFolders" and parts[2:] == ["messages", "delta"]:
            return self._delta(login, parts[1], query, headers)
        if parts[0] == "messages" and len(parts) == 3 and parts[2] == "$value":
            for (owner, _folder), items in self.folders.items():
                for message_id, _json, raw in items:
                    if owner == login and message_id == parts[1]:
                        return 200, {"Content-Type": "text/plain"}, raw
            return self._error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return self._error(400, "BadRequest", f"Unsupported request {url.path}")

    def handle_post(self, path, headers, body):
        """``POST /me/sendMail`` with MIME (base64, text/plain): 202, a copy in Sent Items."""
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        login = self.oauth.access_tokens.get(token)
        if not login:
            return self._error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        if path.partition("?")[0] != "/v1.0/me/sendMail" or headers.get("Content-Type") != "text/plain":
            return self._error(400, "BadRequest", f"Unsupported request {path}")
        raw = base64.b64decode(body)
        self.sent.append((login, raw))
        self.deliver(login, "sentitems", raw)
        return 202, {}, b""

    def _delta(self, login, folder, query, headers):
        items = self.folders.get((login, folder), [])
        since = query.get("$filter", "").partition("receivedDateTime ge ")[2]
        if since:
            items = [item for item in items if item[1]["receivedDateTime"] >= since]
        position, select = 0, query.get("$select", "")
        if "$deltatoken" in query or "$skiptoken" in query:
            # Tokens are opaque to the client; like Graph's they carry the query's $select.
            generation, position, select_index = map(int, (query.get("$deltatoken") or query["$skiptoken"]).split("."))
            if generation != self.generation:
                return self._error(410, "SyncStateNotFound", "The sync state generation is not found.")
            select = self.selects[select_index]
        if select not in self.selects:
            self.selects.append(select)
        state = f"{self.selects.index(select)}"
        page_size = 10
        prefer = headers.get("Prefer") or ""
        if prefer.startswith("odata.maxpagesize="):
            page_size = int(prefer.partition("=")[2])
        page = items[position : position + page_size]
        end = position + len(page)
        keep = {"@odata.type", "@odata.etag", "id", *select.split(",")}
        base = f"{self.base_url}/me/mailFolders/{folder}/messages/delta"
        body = {
            "@odata.context": f"{self.base_url}/$metadata#Collection(message)",
            "value": [{k: v for k, v in item[1].items() if k in keep} for item in page],
        }
        filtered = f"&$filter=receivedDateTime+ge+{since}" if since else ""
        if end < len(items):
            body["@odata.nextLink"] = f"{base}?$skiptoken={self.generation}.{end}.{state}{filtered}"
        else:
            body["@odata.deltaLink"] = f"{base}?$deltatoken={self.generation}.{end}.{state}{filtered}"
        return 200, {"Content-Type": "application/json"}, body
