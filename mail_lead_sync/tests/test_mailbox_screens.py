from unittest.mock import patch

from odoo import modules
from odoo.tests import tagged

from odoo.addons.mail.tools.discuss import Store

from .common import MailSyncCase
from .smtp_server import SmtpServer


@tagged("post_install", "-at_install")
class TestMailboxScreens(MailSyncCase):
    """What the mailbox form, its buttons and the never-sync wizard tell a salesperson."""

    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def deliver_one_of_each(self):
        box = self.box.email
        self.deliver(self.box, "INBOX", "Dana <dana@client.test>", box, "Offer", "<s1@client.test>")
        self.deliver(self.box, "INBOX", "Karen <karen@acme.test>", box, "Lunch?", "<s2@acme.test>")
        self.deliver(self.box, "INBOX", "Pat <pat@stranger.test>", box, "Hello", "<s3@stranger.test>")
        self.deliver(self.box, "INBOX", "News <news@shop.test>", box, "Sale!", "<s4@shop.test>",
                     extra="List-Id: <offers.shop.test>\nList-Unsubscribe: <mailto:out@shop.test>")  # fmt: skip

    def test_the_counts_add_up_to_what_was_read(self):
        self.deliver_one_of_each()
        self.box.action_sync_now()
        box = self.box
        self.assertEqual(
            (box.indexed_count, box.posted_count, box.internal_count, box.unmatched_count, box.skipped_count),
            (4, 1, 1, 1, 1),
        )
        self.assertEqual(box.indexed_count, box.posted_count + box.internal_count + box.unmatched_count
                         + box.skipped_count)  # fmt: skip
        # The Skipped tab lists the skipped ones only (coworkers' mail has its own count).
        self.assertIn("Mailing lists", box.skipped_summary)
        self.assertNotIn("coworkers", box.skipped_summary)
        for name in ("indexed_count", "posted_count", "internal_count", "unmatched_count", "skipped_count"):
            self.assertTrue(box._fields[name].help, name)

    def test_a_new_mailbox_has_imported_nothing_yet(self):
        self.assertEqual((self.box.state, self.box.progress), ("new", 0))
        self.deliver_one_of_each()
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.progress), ("ok", 100))

    def test_sync_now_says_what_came_of_it(self):
        self.deliver_one_of_each()
        self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test", "user_id": self.bob.id})
        result = self.box.with_user(self.bob).action_sync_now()
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(result["params"]["message"], "1 new email, on 2 records.")
        self.deliver(self.box, "INBOX", "Dana <dana@client.test>", self.box.email, "Again", "<s5@client.test>")
        self.deliver(self.box, "INBOX", "Dana <dana@client.test>", self.box.email, "More", "<s6@client.test>")
        result = self.box.with_user(self.bob).action_sync_now()
        self.assertEqual(result["params"]["message"], "2 new emails, on 2 records.")
        result = self.box.with_user(self.bob).action_sync_now()
        self.assertEqual(result["params"]["message"], "Up to date: no new email for your contacts and leads.")
        self.box.sudo().password = "wrong"
        result = self.box.with_user(self.bob).action_sync_now()
        self.assertEqual((result["params"]["type"], result["params"]["title"]), ("danger", "Sync failed"))
        self.assertIn(self.box.last_error, result["params"]["message"])

    def test_the_words_of_one_email_and_of_several(self):
        words = self.env["mail.sync.account"]._sync_words
        self.assertEqual(words(1, 1), "1 new email, on 1 record.")
        self.assertEqual(words(1, 3), "1 new email, on 3 records.")
        self.assertEqual(words(4, 1), "4 new emails, on 1 record.")
        removes = self.env["mail.sync.never.wizard"]._removes_words
        self.assertEqual(removes("@x.test", 0, 0), "Adding @x.test removes no synced email.")
        self.assertEqual(removes("@x.test", 1, 1), "Adding @x.test removes 1 synced email, from 1 record.")
        self.assertEqual(removes("@x.test", 2, 1), "Adding @x.test removes 2 synced emails, from 1 record.")
        self.assertEqual(removes("@x.test", 2, 3), "Adding @x.test removes 2 synced emails, from 3 records.")

    def test_test_logs_in_to_the_outgoing_server_too(self):
        password = self.box.sudo().password
        smtp = SmtpServer({self.box.email: password}).start()
        self.addCleanup(smtp.stop)
        self.box.action_confirm_address()
        self.box.write({"send_enabled": True, "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                        "smtp_security": "starttls", "password_input": password})  # fmt: skip
        # Odoo does not connect to outgoing servers in tests: this test wants the real thing.
        with patch.object(modules.module, "current_test", None):
            works = self.box.with_user(self.bob).action_test_connection()
            self.assertEqual(works["params"]["type"], "success")
            self.assertIn("the outgoing server accepted the login", works["params"]["message"])
            smtp.logins[self.box.email] = "changed"
            fails = self.box.with_user(self.bob).action_test_connection()
        self.assertEqual((fails["params"]["type"], fails["params"]["title"]), ("danger", "Outgoing server failed"))
        self.assertIn("refused the login", fails["params"]["message"])
        self.assertEqual(smtp.received, [])  # a login, no email

    def test_my_mailboxes_says_what_to_do_when_empty(self):
        action = self.bob.with_user(self.bob).action_mail_sync_my_accounts()
        self.assertIn("o_view_nocontent_smiling_face", action["help"])


@tagged("post_install", "-at_install")
class TestThreadSender(MailSyncCase):
    """A reply linked by its thread, from an address no contact has."""

    def setUp(self):
        super().setUp()
        self.lead = self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test",
                                                 "user_id": self.bob.id})  # fmt: skip
        self.deliver(self.box, "Sent", f"Bob <{self.box.email}>", "dana@client.test", "Quote", "<t1@acme.test>")
        self.deliver(self.box, "INBOX", "Maria Perez <maria@home.test>", self.box.email, "Re: Quote",
                     "<t2@home.test>", extra="In-Reply-To: <t1@acme.test>")  # fmt: skip
        self.box.action_sync_now()
        self.reply = self.env["mail.message"].search([("model", "=", "crm.lead"), ("res_id", "=", self.lead.id),
                                                      ("subject", "=", "Re: Quote")])  # fmt: skip

    def shown(self):
        store = Store()
        self.reply.with_user(self.bob)._author_to_store(store)
        return store.get_result()["mail.message"][0]

    def test_shown_by_name_and_address_without_the_raw_header(self):
        self.assertFalse(self.reply.author_id)
        shown = self.shown()
        self.assertEqual((shown["author"], shown["email_from"]), (False, "Maria Perez (maria@home.test)"))
        self.assertFalse(self.env["res.partner"].search([("email", "ilike", "maria@home.test")]))  # none created

    def test_shown_as_the_contact_that_has_the_address(self):
        maria = self.env["res.partner"].create({"name": "Maria Perez", "email": "maria@home.test"})
        self.assertEqual(self.shown()["author"], {"id": maria.id, "type": "partner"})
