"""Mailboxes as they are: duplicated and missing Message-IDs, copies in several
folders, emails the database refuses, a sync that breaks. None of it may stop a
mailbox's sync, and no email lands twice on a record."""

import datetime
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..pipeline.posting import Poster
from ..pipeline.threads import ThreadFollower
from .common import MailSyncCase, raw_email
from .ews_server import EwsServer
from .graph_server import GraphServer
from .oauth_server import OAuthServer

_real_post = Poster.post


def _poisoned_post(self, items):
    """Poster.post, except that an email whose subject says so makes PostgreSQL fail."""
    if any(rec.subject == "Poison" for _row, rec, _d in items):
        self.env.cr.execute("SELECT 1 / 0")
    return _real_post(self, items)


QUIET = (
    "odoo.sql_db",
    "odoo.addons.mail_lead_sync.models.mail_sync_account",
    "odoo.addons.mail_lead_sync.pipeline.run",
)


@tagged("post_install", "-at_install")
class TestRealMailboxes(MailSyncCase):
    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def test_duplicated_message_ids_in_one_batch_land_once(self):
        # The same email delivered twice, a list copy and the copy in Sent, then a
        # different email a broken client gave the same id (another subject).
        quote = raw_email("dana@client.test", "bob@acme.test", "Quote", "<dup@client.test>")
        invoice = raw_email("dana@client.test", "bob@acme.test", "Invoice", "<dup@client.test>")
        listed = raw_email("dana@client.test", "bob@acme.test", "Quote", "<dup@client.test>", "List-Id: <l.test>\r\n")
        for folder, raw in (("INBOX", quote), ("INBOX", quote), ("INBOX", listed), ("Sent", quote), ("INBOX", invoice)):
            self.dovecot.append(self.box.email, folder, raw)
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Invoice", "Quote"])
        # A later sync finds the same emails again (another batch): still once each.
        self.dovecot.append(self.box.email, "INBOX", invoice)
        self.dovecot.append(self.box.email, "INBOX", quote)
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Invoice", "Quote"])

    def test_the_copies_one_send_leaves_in_sent_reach_each_recipient_and_undated_copies_are_one(self):
        # Odoo's per-recipient copies of one message: one Message-ID, one Date, two To;
        # each recipient's contact gets it once.
        for to in ("dana@client.test", "eve@other.test"):
            self.dovecot.append(self.box.email, "Sent", raw_email("bob@acme.test", to, "Offer", "<one-send@acme.test>"))
        no_date = b"From: dana@client.test\r\nTo: bob@acme.test\r\nSubject: Undated\r\n\r\nHello\r\n"
        self.dovecot.append(self.box.email, "INBOX", no_date, date=datetime.datetime(2026, 11, 1, 9, 0))
        self.dovecot.append(self.box.email, "Sent", no_date, date=datetime.datetime(2026, 11, 1, 9, 7))
        eve = self.env["res.partner"].create({"name": "Eve", "email": "eve@other.test"})
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Offer", "Undated"])
        self.assertEqual(self.synced(eve).mapped("subject"), ["Offer"])

    def test_same_email_in_two_mailboxes_and_without_id_lands_once(self):
        karens = self.connect(self.karen)
        for box in (self.box, karens):
            for folder in ("INBOX", "Sent"):
                raw = (
                    b"From: dana@client.test\r\nTo: bob@acme.test, karen.acme@gmail.test\r\nSubject: No id\r\n"
                    b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n"
                )
                self.dovecot.append(box.email, folder, raw)
        (self.box | karens).action_sync_now()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["No id"])

    def test_an_email_without_message_id_read_through_imap_graph_and_ews_lands_once(self):
        oauth = OAuthServer().start()
        self.addCleanup(oauth.stop)
        graph = GraphServer(oauth).start()
        self.addCleanup(graph.stop)
        ews = EwsServer("ACME\\lee", "winter").start()
        self.addCleanup(ews.stop)
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.graph_url", graph.base_url)
        raw = (
            b"From: Dana <dana@client.test>\r\nTo: Bob <bob@acme.test>, karen@acme.test, lee@acme.test\r\n"
            b"Subject: =?utf-8?q?Devis_r=C3=A9vis=C3=A9?=\r\nDate: Mon, 02 Nov 2026 10:00:07 +0100\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
        )
        self.dovecot.append(self.box.email, "INBOX", raw)
        graph.deliver("karen@acme.test", "inbox", raw, received=datetime.datetime.now(datetime.timezone.utc))
        ews.deliver("inbox", raw)
        microsoft = self.env["mail.sync.account"].create({"user_id": self.karen.id, "email": "karen@acme.test",
                                                           "provider": "microsoft"})  # fmt: skip
        microsoft.sudo().write({
            "oauth_access_token": oauth.issue_token("karen@acme.test"), "oauth_refresh_token": "unused",
            "oauth_expires_at": fields.Datetime.now() + datetime.timedelta(hours=1),
        })  # fmt: skip
        self.env["ir.config_parameter"].sudo().set_param(
            "mail_lead_sync.exchange_url", ews.url.replace("127.0.0.1", "{host}")
        )
        exchange = self.env["mail.sync.account"].create({"user_id": self.karen.id, "email": "lee@acme.test",
                                                          "provider": "exchange", "host": "127.0.0.1",
                                                          "login": "ACME\\lee", "password": "winter"})  # fmt: skip
        for account in (self.box, microsoft, exchange):
            account.action_sync_now()
            self.assertEqual((account.state, account.last_error), ("ok", False))
        ids = self.env["mail.sync.index"].search([("account_id", "in", (self.box | microsoft | exchange).ids)])
        self.assertEqual(len(ids), 3)
        self.assertEqual(len(set(ids.mapped("message_id"))), 1, "one email, one identity in every provider")
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Devis révisé"])

    def test_first_sync_of_a_moved_mailbox_keeps_to_the_history_window(self):
        # Moved to this server last month: every arrival date is recent, the Date headers are not.
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Old", "<old@client.test>", days_ago=900)
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Recent", "<new@client.test>")
        self.box.action_sync_now()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Recent"])

    @mute_logger(*QUIET)
    def test_an_email_the_database_refuses_is_kept_as_failed_and_the_others_land(self):
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Hello", "<ok1@client.test>")
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Poison", "<bad@client.test>")
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Again", "<ok2@client.test>")
        with patch.object(Poster, "post", _poisoned_post):
            self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Again", "Hello"])
        [failed] = self.env["mail.sync.index"].search([("account_id", "=", self.box.id), ("state", "=", "failed")])
        self.assertEqual(failed.reason, "not saved")  # the exception itself is in the log
        self.assertIn("Could not be saved (the rest of the mailbox was synced)", self.box.skipped_summary)

    @mute_logger(*QUIET)
    def test_an_unexpected_crash_says_so_in_words_and_the_next_sync_resumes(self):
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Hello", "<c1@client.test>")
        with patch.object(ThreadFollower, "follow", side_effect=KeyError("boom")):
            self.box.action_sync_now()
        self.assertEqual(self.box.state, "error")
        # Words its owner can act on; the exception is for administrators, beside them.
        self.assertIn("stopped on a problem Odoo did not expect", self.box.last_error)
        self.assertIn("nothing to do for now", self.box.last_error)
        self.assertNotIn("KeyError", self.box.last_error)
        self.assertNotIn("see the server log", self.box.last_error)
        self.assertEqual(self.box.sudo().last_error_detail, "KeyError: 'boom'")
        self.assertFalse(self.box._fields["last_error_detail"].is_accessible(self.box.with_user(self.bob).env))
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Later", "<c2@client.test>")
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error, self.box.sudo().last_error_detail), ("ok", False, False))
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Hello", "Later"])

    @mute_logger(*QUIET)
    def test_a_deadlock_is_no_emails_fault_the_next_sync_lands_the_batch(self):
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Hello", "<d1@client.test>")
        with patch.object(Poster, "post", side_effect=psycopg2.errors.DeadlockDetected()):
            self.box.action_sync_now()
        self.assertEqual(self.box.state, "error")
        self.assertIn("stopped on a problem Odoo did not expect", self.box.last_error)
        self.assertIn("DeadlockDetected", self.box.sudo().last_error_detail)
        self.assertFalse(self.env["mail.sync.index"].search([("account_id", "=", self.box.id)]))
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Hello"])

    @mute_logger(*QUIET)
    def test_the_cron_says_so_in_words_too(self):
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Hello", "<c3@client.test>")
        with patch.object(type(self.box), "_sync", side_effect=KeyError("boom")):
            self.env["mail.sync.account"]._cron_sync()
        self.assertEqual(self.box.state, "error")
        self.assertIn("stopped on a problem Odoo did not expect", self.box.last_error)
        self.assertEqual(self.box.sudo().last_error_detail, "KeyError: 'boom'")
