"""Microsoft Graph delta reads against a server on 127.0.0.1 that answers the way
Microsoft documents (no Microsoft 365 server can run here): paging with
@odata.nextLink, @odata.deltaLink cursors, @removed items, 429 + Retry-After,
410 for an expired delta link, 401 for a refused token, MIME by $value."""

import datetime
import json
import time
import urllib.parse

import pytest

from mail_lead_sync.engine import errors
from mail_lead_sync.engine.graph import SELECT, GraphMailbox
from mail_lead_sync.tests.loopback_http import LoopbackHttp


def message(n, sender="dana@client.test", headers=()):
    return {
        "@odata.type": "#microsoft.graph.message",
        "@odata.etag": f'W/"CQAAABYAAAD{n}"',
        "id": f"AAMkAGI2TG93AAA{n}=",
        "receivedDateTime": f"2026-11-02T10:00:0{n}Z",
        "sentDateTime": f"2026-11-02T09:59:5{n}Z",
        "subject": f"Message {n}",
        "internetMessageId": f"<m{n}@client.test>",
        "from": {"emailAddress": {"name": "Dana Müller", "address": sender}},
        "toRecipients": [{"emailAddress": {"name": "Bob", "address": "Bob@Acme.test"}}],
        "ccRecipients": [],
        "bccRecipients": [],
        "internetMessageHeaders": [{"name": n_, "value": v} for n_, v in headers],
    }


class FakeGraph(LoopbackHttp):
    """Plays Graph's HTTP side with scripted answers; records what it was asked."""

    def __init__(self):
        self.requests = []
        self.script = {}  # path+query -> list of (status, headers, body) served in turn
        self.start()
        self.base = f"http://127.0.0.1:{self.port}/v1.0"

    def answer(self, method, path, headers, body):
        self.requests.append((path, dict(headers)))
        answers = self.script.get(path) or [(404, {}, {"error": {"code": "ErrorItemNotFound"}})]
        status, reply_headers, reply = answers.pop(0) if len(answers) > 1 else answers[0]
        return status, reply_headers, reply if isinstance(reply, bytes) else json.dumps(reply).encode()

    def path(self, url):
        parts = urllib.parse.urlsplit(url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def page(self, url, items, next_link=None, delta_link=None, status=200, headers=None):
        body = {"@odata.context": f"{self.base}/$metadata#Collection(message)", "value": items}
        if next_link:
            body["@odata.nextLink"] = next_link
        if delta_link:
            body["@odata.deltaLink"] = delta_link
        self.script.setdefault(self.path(url), []).append((status, headers or {}, body))


@pytest.fixture
def graph():
    with FakeGraph() as server:
        yield server


def start_url(graph, folder="inbox"):
    return f"{graph.base}/me/mailFolders/{folder}/messages/delta?$select={SELECT}"


def test_first_pass_pages_then_keeps_the_delta_link(graph):
    first = start_url(graph)
    second = f"{graph.base}/me/mailFolders/inbox/messages/delta?$skiptoken=GwcBoTmPuoTQWfcsAbkYM"
    delta = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=LztZwWjo5IivWBhyxw5rACKxf7m"
    reply_headers = [("In-Reply-To", "<m1@client.test>"), ("References", "<m0@acme.test> <m1@client.test>")]
    graph.page(first, [message(1), message(2, headers=reply_headers)], next_link=second)
    graph.page(second, [message(3, sender="news@list.test", headers=[("List-Id", "<news.list.test>")])],
               delta_link=delta)  # fmt: skip
    box = GraphMailbox("token-1", base_url=graph.base, page_size=2)
    batches = list(box.index("inbox"))
    assert [(len(b.entries), b.done, b.cursor.link) for b in batches] == [(2, False, second), (1, True, delta)]
    rec = batches[0].entries[1].record
    assert (rec.message_id, rec.subject, rec.in_reply_to) == ("<m2@client.test>", "Message 2", "<m1@client.test>")
    assert rec.thread_ids == ["<m1@client.test>", "<m0@acme.test>"]
    assert [(a.email, a.name) for a in rec.sender] == [("dana@client.test", "Dana Müller")]
    assert [a.email for a in rec.to] == ["bob@acme.test"]
    assert rec.date.isoformat() == "2026-11-02T09:59:52+00:00"
    assert batches[1].entries[0].record.noise == "mailing-list"
    _path, headers = graph.requests[0]
    assert headers["Authorization"] == "Bearer token-1"
    assert headers["Prefer"] == "odata.maxpagesize=2"


def test_next_sync_reads_only_the_changes(graph):
    delta = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=abc"
    new_delta = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=def"
    graph.page(delta, [message(4), {"id": "AAMkAGI2TG93AAA1=", "@removed": {"reason": "deleted"}}],
               delta_link=new_delta)  # fmt: skip
    [batch] = list(GraphMailbox("t", base_url=graph.base).index("inbox", cursor=delta))
    assert [e.record.message_id for e in batch.entries] == ["<m4@client.test>"]
    assert batch.removed == ["AAMkAGI2TG93AAA1="]
    assert (batch.cursor.link, batch.done, batch.reset) == (new_delta, True, False)


def test_throttling_waits_as_told(graph):
    delta = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=abc"
    busy = {"error": {"code": "TooManyRequests", "message": "Please retry after 1 second."}}
    graph.script[graph.path(delta)] = [(429, {"Retry-After": "1"}, busy)]
    graph.page(delta, [message(5)], delta_link=delta)
    started = time.monotonic()
    [batch] = list(GraphMailbox("t", base_url=graph.base).index("inbox", cursor=delta))
    assert time.monotonic() - started >= 1
    assert [e.record.subject for e in batch.entries] == ["Message 5"]
    assert len(graph.requests) == 2


def test_throttled_too_long_stops_this_run_in_words(graph):
    delta = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=abc"
    graph.script[graph.path(delta)] = [(429, {"Retry-After": "3600"}, {"error": {"code": "TooManyRequests"}})]
    with pytest.raises(errors.ServerError) as caught:
        list(GraphMailbox("t", base_url=graph.base, max_wait=5).index("inbox", cursor=delta))
    assert "slow down" in str(caught.value)


def test_expired_delta_link_reads_the_folder_again(graph):
    old = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=expired"
    fresh = f"{graph.base}/me/mailFolders/inbox/messages/delta?$deltatoken=new"
    gone = {"error": {"code": "SyncStateNotFound", "message": "The sync state generation is not found."}}
    graph.script[graph.path(old)] = [(410, {}, gone)]
    graph.page(start_url(graph), [message(1), message(2)], delta_link=fresh)
    [batch] = list(GraphMailbox("t", base_url=graph.base).index("inbox", cursor=old))
    assert batch.reset and batch.cursor.link == fresh
    assert [e.record.message_id for e in batch.entries] == ["<m1@client.test>", "<m2@client.test>"]


def test_refused_token_asks_to_reconnect(graph):
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}
    graph.script[graph.path(start_url(graph))] = [(401, {}, expired)]
    with pytest.raises(errors.TokenRejected) as caught:
        list(GraphMailbox("t", base_url=graph.base).index("inbox"))
    assert "reconnect" in str(caught.value)


def test_bodies_as_mime(graph):
    mime = b"From: Dana <dana@client.test>\r\nTo: bob@acme.test\r\nSubject: Offer\r\n\r\nThe offer.\r\n"
    graph.script["/v1.0/me/messages/AAMkAGI2TG93AAA1=/$value"] = [(200, {"Content-Type": "text/plain"}, mime)]
    box = GraphMailbox("t", base_url=graph.base)
    assert box.fetch_mime("AAMkAGI2TG93AAA1=") == mime
    assert box.fetch_mime("AAMkAGI2TG93AAA9=") is None


def test_history_window_is_judged_on_the_emails_own_date(graph):
    since = datetime.date(2026, 5, 1)
    first = (
        start_url(graph) + "&$filter=receivedDateTime+ge+2026-04-28T00:00:00Z"
    )  # the arrival pre-filter, 3 days early
    moved = dict(message(1), sentDateTime="2020-01-10T09:00:00Z")  # on this server lately, written in 2020
    late_clock = dict(message(2), sentDateTime="2026-05-01T08:00:00Z", receivedDateTime="2026-04-30T23:00:00Z")
    graph.page(first, [moved, late_clock, message(3)], delta_link=start_url(graph) + "&$deltatoken=x")
    [batch] = list(GraphMailbox("t", base_url=graph.base).index("inbox", since=since))
    assert [e.record.message_id for e in batch.entries] == ["<m2@client.test>", "<m3@client.test>"]
