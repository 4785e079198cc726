import email
import email.policy
from unittest.mock import patch

from odoo import modules
from odoo.tests import tagged

from .common import MailSyncCase
from .smtp_server import SmtpServer


@tagged("post_install", "-at_install")
class TestSendFromOwnMailbox(MailSyncCase):
    """Mail sent from Odoo with a mailbox's address goes through that mailbox's
    outgoing server (a real SMTP server with STARTTLS and AUTH on loopback), a copy
    lands in its Sent folder on Dovecot, and the sync does not post it twice."""

    def setUp(self):
        super().setUp()
        self.password = self.box.sudo().password
        self.smtp = SmtpServer({self.box.email: self.password}).start()
        self.addCleanup(self.smtp.stop)
        self.box.action_confirm_address()
        self.box.write({"send_enabled": True, "smtp_host": "127.0.0.1", "smtp_port": self.smtp.port,
                        "smtp_security": "starttls", "password_input": self.password})  # fmt: skip
        self.bob.partner_id.email = self.box.email
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.lead = self.env["crm.lead"].create({"name": "Deal", "partner_id": self.dana.id, "user_id": self.bob.id})

    def send(self):
        # Odoo neither connects nor sends in test mode: this test wants the real thing.
        with patch.object(modules.module, "current_test", None):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()

    def test_sent_through_the_mailbox_with_a_copy_in_sent(self):
        server = self.box.sudo().mail_server_id
        self.assertEqual((server.from_filter, server.smtp_user, server.smtp_port),
                         (self.box.email, self.box.email, self.smtp.port))  # fmt: skip
        posted = self.lead.with_user(self.bob).with_context(mail_notify_force_send=False).message_post(
            body="Here is the offer.", subject="Offer", partner_ids=self.dana.ids, message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.send()
        [(mail_from, rcpt_tos, raw)] = self.smtp.received
        self.assertEqual((mail_from, rcpt_tos), (self.box.email, ["dana@client.test"]))
        sent = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual((sent["From"], sent["Message-Id"]), (f"Bob <{self.box.email}>", posted.message_id))
        self.assertIn("Here is the offer.", sent.get_body(("plain",)).get_content())
        with self.dovecot.client(self.box.email) as client:
            client.select_folder("Sent", readonly=True)
            [uid] = client.search(["ALL"])
            self.assertIn(b"\\Seen", client.get_flags([uid])[uid])
        # The sync reads the copy in Sent: the lead keeps Odoo's own post only.
        self.box.action_sync_now()
        on_lead = self.env["mail.message"].search([("model", "=", "crm.lead"), ("res_id", "=", self.lead.id),
                                                    ("subject", "=", "Offer")])  # fmt: skip
        self.assertEqual(on_lead, posted)
        self.assertEqual(self.box.last_error, False)

    def test_wrong_smtp_password_keeps_the_mail_queued_with_the_reason(self):
        self.smtp.logins[self.box.email] = "changed-on-the-server"
        self.lead.with_user(self.bob).with_context(mail_notify_force_send=False).message_post(
            body="Hello", partner_ids=self.dana.ids,
            message_type="comment", subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.send()
        mail = self.env["mail.mail"].sudo().search([("mail_message_id.model", "=", "crm.lead"),
                                                    ("mail_message_id.res_id", "=", self.lead.id)])  # fmt: skip
        self.assertEqual(mail.state, "exception")  # still in Odoo's queue, with the reason
        self.assertTrue(mail.failure_reason)
        self.assertFalse(self.smtp.received)
        self.assertIn("Sending failed", self.box.last_error)
        self.assertIn("password is wrong", self.box.last_error)

    def test_sending_only_mailbox_and_switching_off(self):
        self.box.sync_enabled = False  # "uncheck Sync Emails": a mailbox to send from only
        self.assertTrue(self.box.sudo().mail_server_id.active)
        self.box.send_enabled = False
        self.assertFalse(self.box.sudo().mail_server_id.active)

    def test_an_email_another_odoo_sent_from_this_lead_is_not_posted_on_it_again(self):
        # Mass mailings give each copy its own Message-ID; X-Odoo-Objects names the
        # records it was sent from, which have it in their chatter already.
        self.deliver(self.box, "Sent", self.box.email, "dana@client.test", "Newsletter", "<copy-7@acme.test>",
                     extra=f"X-Odoo-Objects: crm.lead-{self.lead.id}")  # fmt: skip
        self.box.action_sync_now()
        self.assertFalse(self.synced(self.lead))
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Newsletter"])
