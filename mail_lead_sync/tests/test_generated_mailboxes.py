"""Whole mailboxes generated to break the sync (hypothesis), each synced by Odoo
from its own Dovecot mailbox: duplicated and missing Message-IDs, copies in
several folders, broken MIME, huge headers, wrong charsets, nested forwards,
bytes that are no email at all. The invariant: the sync completes, no email is
twice on a record, and no valid email is lost.

CI runs a few examples (MAIL_LEAD_SYNC_HYPOTHESIS_EXAMPLES, default 12);
scripts/hypothesis_long.sh runs many more.
"""

import datetime
import email.utils
import itertools
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import MailSyncCase

EXAMPLES = int(os.environ.get("MAIL_LEAD_SYNC_HYPOTHESIS_EXAMPLES", "12"))
_runs = itertools.count(1)

KINDS = ("plain", "broken_mime", "huge_header", "wrong_charset", "nested_forward", "list", "garbage")

emails = st.fixed_dictionaries(
    {
        "id": st.one_of(st.none(), st.sampled_from(["a", "b", "c"])),  # few ids: they collide
        "contact": st.sampled_from([0, 1, None]),  # None: strangers only
        "outgoing": st.booleans(),
        "kind": st.sampled_from(KINDS),
        "minutes_ago": st.one_of(st.none(), st.integers(0, 60 * 24 * 40)),  # None: no Date header
        "places": st.lists(st.sampled_from(["INBOX", "Sent"]), min_size=1, max_size=3),
        "same_subject": st.booleans(),  # a broken client: another email, same subject too
    }
)
mailboxes = st.lists(emails, min_size=1, max_size=10)


def build(spec, token, run, owner, contacts, now):
    """One email's bytes from its spec; its token is in its subject."""
    if spec["kind"] == "garbage":
        return b"\x00\xff\xfe not an email at all \r\n\r\n\x00"
    other = contacts[spec["contact"]] if spec["contact"] is not None else f"stranger{token}@nowhere.test"
    sender, to = (owner, other) if spec["outgoing"] else (other, owner)
    subject = f"Subject {run}" if spec["same_subject"] else f"Subject {token}"
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    if spec["kind"] == "wrong_charset":
        headers[-1] += " =?x-no-such-charset?q?caf=E9?="
    if spec["minutes_ago"] is not None:
        date = now - datetime.timedelta(minutes=spec["minutes_ago"])
        headers.append(f"Date: {email.utils.format_datetime(date)}")
    if spec["id"]:
        headers.append(f"Message-ID: <{spec['id']}.{run}@gen.test>")
    if spec["kind"] == "list":
        headers.append("List-Id: <news.gen.test>")
    if spec["kind"] == "huge_header":
        refs = " ".join(f"<ref{n}.{run}@gen.test>" for n in range(2000))
        headers += [f"References: {refs}", "X-Long: " + "x" * 20000]
    body = f"Body of {token}\r\n".encode()
    if spec["kind"] == "wrong_charset":
        headers.append("Content-Type: text/plain; charset=utf-8")
        body = f"Body of {token} caf\xe9 na\xefve\r\n".encode("latin-1")  # Latin-1 bytes said to be UTF-8
    elif spec["kind"] == "broken_mime":
        headers.append('Content-Type: multipart/mixed; boundary="never-closed"')
        body = (
            f"--never-closed\r\nContent-Type: text/plain\r\n\r\nBody of {token}\r\n--never-closed\r\n"
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n!!not base64%PDF"
        ).encode()
    elif spec["kind"] == "nested_forward":
        inner = f"From: deep@gen.test\r\nSubject: Inner {token}\r\n\r\nDeepest\r\n"
        middle = f"From: mid@gen.test\r\nSubject: Fwd\r\nContent-Type: message/rfc822\r\n\r\n{inner}"
        headers.append('Content-Type: multipart/mixed; boundary="fw"')
        body = (
            f"--fw\r\nContent-Type: text/plain\r\n\r\nBody of {token}\r\n--fw\r\nContent-Type: message/rfc822\r\n\r\n"
            f"{middle}\r\n--fw--\r\n"
        ).encode()
    return "\r\n".join(headers).encode() + b"\r\n\r\n" + body


@tagged("post_install", "-at_install")
class TestGeneratedMailboxes(MailSyncCase):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize="MAIL_LEAD_SYNC_HYPOTHESIS_EXAMPLES" not in os.environ,  # CI: the same examples every run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mailboxes)
    # Found by a longer run: the list copy read first in both folders, the direct copy in Sent.
    @example([
        {"id": None, "contact": 0, "outgoing": True, "kind": "list", "minutes_ago": None,
         "places": ["INBOX", "Sent"], "same_subject": True},
        {"id": None, "contact": 0, "outgoing": True, "kind": "plain", "minutes_ago": None,
         "places": ["Sent"], "same_subject": True},
    ])  # fmt: skip
    def test_generated_mailbox_syncs_without_loss_or_duplicate(self, specs):
        run = next(_runs)
        box = self.connect(self.bob)
        addresses = [f"c0.{run}@client{run}.test", f"c1.{run}@client{run}.test"]
        contacts = self.env["res.partner"].create([{"name": a, "email": a} for a in addresses])
        now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
        # Emails that agree on every header that names one (Message-ID, From, To,
        # Subject, Date) cannot be told apart: they are copies of one email, which
        # must land once, whichever copy brings it.
        valid = {}  # identity -> (contact it must reach, tokens of its copies)
        for n, spec in enumerate(specs):
            token = f"t{run}x{n}"
            raw = build(spec, token, run, box.email, addresses, now)
            for folder in spec["places"]:
                self.dovecot.append(box.email, folder, raw)
            if spec["kind"] == "garbage" or spec["contact"] is None:
                continue
            key = (spec["id"], spec["contact"], spec["outgoing"], spec["minutes_ago"],
                   spec["kind"] == "wrong_charset", run if spec["same_subject"] else token)  # fmt: skip
            if spec["kind"] != "list" and valid.get(key) is None:
                valid[key] = (contacts[spec["contact"]], set())
            if valid.get(key) is None:
                valid[key] = None  # list mail alone is skipped; a direct copy of it is not
            else:
                valid[key][1].add(token)

        box.action_sync_now()
        self.assertEqual((box.state, box.last_error), ("ok", False), specs)
        chatter = self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "in", contacts.ids), ("message_type", "=", "email")]
        )
        pairs = [(m.message_id, m.res_id) for m in chatter]
        self.assertEqual(len(pairs), len(set(pairs)), f"an email twice on a record: {specs}")
        for value in valid.values():
            if value is None:
                continue
            contact, tokens = value
            found = chatter.filtered(
                lambda m, ts=tokens, c=contact: m.res_id == c.id and any(t in (m.body or "") for t in ts)
            )
            self.assertEqual(len(found), 1, f"{tokens} on {contact.email}: {len(found)} times; {specs}")
        rows = self.env["mail.sync.index"].search([("account_id", "=", box.id), ("state", "=", "failed")])
        self.assertTrue(all(rows.mapped("reason")), "every failure says why")
