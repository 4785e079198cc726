import email.message
import email.policy
import email.utils
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import MailSyncCase, raw_email, why_lines

LOG = "log@crm.acme.test"  # the shared address: it proves nothing about the sender
BOB_LOG = "log+bobsecret1@crm.acme.test"  # Bob's personal log address


def forward(sender, body, subject="Fwd: Offer", to=BOB_LOG, attach=None):
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = "Tue, 03 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = email.utils.make_msgid(domain="acme.test")
    msg.set_content(body)
    if attach:
        msg.add_attachment(email.message_from_bytes(attach))
    return msg.as_bytes()


OUTLOOK_FR = (
    "Pour info.\n\n-----Message d'origine-----\nDe : Dana Smith [mailto:dana@client.test]\n"
    "Envoyé : lundi 2 novembre 2026 10:12\nÀ : Bob <bob@acme.test>\nObjet : Offer\n\nHello Bob, the offer?\n"
)
GMAIL_EN = (
    "---------- Forwarded message ---------\nFrom: Dana Smith <dana@client.test>\n"
    "Date: Mon, Nov 2, 2026 at 10:12 AM\nSubject: Offer\nTo: Bob <bob@acme.test>\n\nHello Bob, the offer?\n"
)


@tagged("post_install", "-at_install")
class TestForwardToCrm(MailSyncCase):
    """Emails forwarded to the log address through Odoo's real incoming path
    (``message_process`` on the raw bytes; once through a fetchmail server reading
    a Dovecot mailbox)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_log_alias_domain()
        cls.bob.mail_sync_log_token = "bobsecret1"

    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def process(self, raw):
        return self.env["mail.thread"].message_process(None, raw)

    def chatter(self, record):
        return self.synced(record)

    def test_forward_as_attachment_posts_the_original(self):
        original = raw_email("Dana <dana@client.test>", "bob@acme.test", "Offer", "<orig-1@client.test>")
        self.process(forward("Bob <bob@acme.test>", "see attached", attach=original))
        message = self.chatter(self.dana)
        self.assertEqual((message.message_id, message.subject, message.email_from),
                         ("<orig-1@client.test>", "Offer", '"Dana" <dana@client.test>'))  # fmt: skip
        self.assertEqual(message.author_id, self.dana)
        self.assertIn("from Bob's forward", why_lines(message, self.bob)[message])
        fwd = self.env["mail.sync.forward"].search([("message_id", "=", "<orig-1@client.test>")])
        self.assertEqual((fwd.state, fwd.how, fwd.user_id), ("posted", "attachment", self.bob))
        self.assertFalse(self.env["mail.mail"].search([("model", "=", "mail.sync.forward")]))

    def test_inline_forwards_in_two_languages_post_once(self):
        self.process(forward("bob@acme.test", OUTLOOK_FR))
        self.process(forward("bob@acme.test", GMAIL_EN, subject="Fwd: Offer (again)"))
        message = self.chatter(self.dana)
        self.assertEqual(len(message), 1)
        self.assertIn("Hello Bob, the offer?", message.body)
        self.assertNotIn("Pour info", message.body)

    def test_bcc_to_the_log_address_logs_the_users_own_email(self):
        # Clients don't send the Bcc header; the MTA delivering the copy says where it went.
        raw = raw_email("Bob <bob@acme.test>", "Dana <dana@client.test>", "Proposal", "<bcc-1@acme.test>",
                        f"Delivered-To: {BOB_LOG}\r\n")  # fmt: skip
        self.process(raw)
        self.assertEqual(self.chatter(self.dana).mapped("message_id"), ["<bcc-1@acme.test>"])
        self.assertEqual(self.env["mail.sync.forward"].search([("message_id", "=", "<bcc-1@acme.test>")]).how, "bcc")

    def test_a_strangers_email_is_dropped_and_never_answered(self):
        before = self.env["mail.mail"].search_count([])
        with self.assertLogs("odoo.addons.mail_lead_sync.models.mail_thread", "WARNING") as logs:
            result = self.process(forward("eve@evil.test", GMAIL_EN))
        self.assertFalse(result)
        self.assertIn("dropped (not from a user's personal log address)", logs.output[0])
        self.assertFalse(self.env["mail.sync.forward"].search([]))
        self.assertFalse(self.chatter(self.dana))
        self.assertEqual(self.env["mail.mail"].search_count([]), before)

    def assertDropped(self, raw, reason="not from a user's personal log address"):
        before = self.env["mail.mail"].search_count([])
        with self.assertLogs("odoo.addons.mail_lead_sync.models.mail_thread", "WARNING") as logs:
            result = self.process(raw)
        self.assertFalse(result)
        self.assertIn(f"dropped ({reason})", "".join(logs.output))
        self.assertFalse(self.env["mail.sync.forward"].search([]))
        self.assertFalse(self.chatter(self.dana))
        self.assertEqual(self.env["mail.mail"].search_count([]), before)  # never answered

    def test_forged_from_on_the_shared_address_is_dropped(self):
        """Anybody can write From: ceo@<company>: to the shared address it proves nothing."""
        admin = self.env.ref("base.user_admin")
        admin.write({"login": "ceo@acme.test", "email": "ceo@acme.test"})
        original = raw_email("Dana <dana@client.test>", "bob@acme.test", "Offer", "<forged-1@client.test>")
        self.assertDropped(forward("CEO <ceo@acme.test>", "see attached", to=LOG, attach=original))
        self.assertDropped(forward("Bob <bob@acme.test>", GMAIL_EN, to=LOG))
        # A pattern as the sender matched every user while the lookup used =ilike.
        self.assertDropped(forward("%@%", GMAIL_EN, to=LOG))
        self.assertDropped(forward("%@%", GMAIL_EN))
        self.assertDropped(forward("BOB@ACME.TEST.evil.test", GMAIL_EN))

    def test_the_personal_address_of_another_user_is_not_enough(self):
        """Karen's From on Bob's personal address (a token that leaked through a Cc): dropped."""
        self.assertDropped(forward("Karen <karen.acme@gmail.test>", GMAIL_EN))

    def test_a_guessed_or_renewed_personal_address_is_dropped(self):
        self.assertDropped(forward("Bob <bob@acme.test>", GMAIL_EN, to="log+guess@crm.acme.test"),
                           "unknown or renewed personal log address")  # fmt: skip
        self.bob.with_user(self.bob).action_mail_sync_renew_log_address()
        self.assertDropped(forward("Bob <bob@acme.test>", GMAIL_EN), "unknown or renewed personal log address")
        new_address = self.bob.with_user(self.bob).read(["mail_sync_log_address"])[0]["mail_sync_log_address"]
        self.assertRegex(new_address, r"^log\+[0-9a-f]{20}@crm\.acme\.test$")
        self.process(forward("Bob <bob@acme.test>", GMAIL_EN, to=new_address))
        posted = self.env["mail.sync.forward"].search([])
        self.assertEqual(self.chatter(self.dana).mapped("message_id"), [posted.message_id])

    def test_the_personal_address_is_its_owners_secret(self):
        self.assertEqual(self.bob.with_user(self.bob).mail_sync_log_address, BOB_LOG)
        self.assertFalse(self.bob.with_user(self.karen).mail_sync_log_address)
        self.assertFalse(self.bob.with_user(self.karen).read(["mail_sync_log_address"])[0]["mail_sync_log_address"])
        with self.assertRaises(AccessError):
            self.bob.with_user(self.karen).read(["mail_sync_log_token"])
        with self.assertRaises(AccessError):
            self.bob.with_user(self.karen).action_mail_sync_renew_log_address()
        self.assertEqual(self.bob.mail_sync_log_token, "bobsecret1")
        # A new user has theirs from the start (showing it never has to write).
        self.assertRegex(new_test_user(self.env, login="newcomer").mail_sync_log_token, r"^[0-9a-f]{20}$")
        # Bob's own email Cc'd to his log address: the address does not reach the chatter.
        raw = raw_email("Bob <bob@acme.test>", "Dana <dana@client.test>", "Proposal", "<cc-1@acme.test>",
                        f"Cc: {BOB_LOG}\r\n")  # fmt: skip
        self.process(raw)
        message = self.chatter(self.dana)
        self.assertEqual(message.message_id, "<cc-1@acme.test>")
        self.assertNotIn("bobsecret1", str(message.read()))

    def test_the_shared_address_believes_the_named_servers_dmarc_pass(self):
        """Optional second proof: the receiving server the administrator names says
        DMARC passed for the From domain (its header is the topmost one)."""
        params = self.env["ir.config_parameter"].sudo()
        passed = (
            "Authentication-Results: mx.acme.test; spf=pass smtp.mailfrom=acme.test; dmarc=pass header.from=acme.test"
        )

        def signed(results, sender="Bob <bob@acme.test>"):
            raw = forward(sender, GMAIL_EN, to=LOG)
            return "".join(f"{line}\r\n" for line in results).encode() + raw

        self.assertDropped(signed([passed]))  # no server named: the header is anybody's
        params.set_param("mail_lead_sync.log_authserv_id", "mx.acme.test")
        # A header the sender wrote under the receiving server's own: only the topmost counts.
        self.assertDropped(signed(["Authentication-Results: mx.acme.test; dmarc=fail header.from=acme.test", passed]))
        self.assertDropped(signed([passed.replace("mx.acme.test", "mx.evil.test")]))
        self.assertDropped(signed([passed], sender="%@acme.test"))
        self.assertDropped(signed([passed], sender="nobody@acme.test"))  # passes, but is no user
        self.process(signed([passed]))
        self.assertEqual(self.env["mail.sync.forward"].search([]).user_id, self.bob)
        self.assertTrue(self.chatter(self.dana))

    def test_unmatched_email_waits_then_is_assigned_with_its_address(self):
        body = GMAIL_EN.replace("dana@client.test", "newbie@prospect.test")
        self.process(forward("bob@acme.test", body))
        fwd = self.env["mail.sync.forward"].with_user(self.bob).search([("state", "=", "to_assign")])
        self.assertEqual((len(fwd), fwd.email_from), (1, "newbie@prospect.test"))
        self.assertFalse(self.env["mail.sync.forward"].with_user(self.karen).search([]))  # Bob's own list
        lead = self.env["crm.lead"].create({"name": "Prospect", "user_id": self.bob.id})
        wizard = (
            self.env["mail.sync.forward.assign"]
            .with_user(self.bob)
            .create({"forward_id": fwd.id, "lead_id": lead.id, "add_address": True})
        )
        wizard.action_confirm()
        self.assertEqual(fwd.state, "assigned")
        self.assertEqual(lead.email_from, "newbie@prospect.test")
        self.assertEqual(self.chatter(lead).mapped("subject"), ["Offer"])
        self.assertIn("Assigned by Bob", why_lines(self.chatter(lead), self.bob)[self.chatter(lead)])

    def test_forward_of_an_already_synced_email_is_not_posted_again(self):
        self.deliver(self.box, "INBOX", "Dana Smith <dana@client.test>", "bob@acme.test", "Offer",
                     "<synced-1@client.test>", days_ago=22)  # fmt: skip
        self.box.action_sync_now()
        self.assertEqual(len(self.chatter(self.dana)), 1)
        synced_date = self.chatter(self.dana).date
        body = GMAIL_EN.replace("Mon, Nov 2, 2026 at 10:12 AM", synced_date.strftime("%a, %b %d, %Y at %I:%M %p"))
        self.process(forward("bob@acme.test", body))
        self.assertEqual(len(self.chatter(self.dana)), 1)
        fwd = self.env["mail.sync.forward"].search([])
        self.assertEqual((fwd.message_id, fwd.state), ("<synced-1@client.test>", "posted"))

    def test_through_a_fetchmail_server_reading_dovecot(self):
        self.dovecot.add_user("log@acme.test", "log-pw")
        original = raw_email("Dana <dana@client.test>", "bob@acme.test", "Offer", "<fetch-1@client.test>")
        self.dovecot.append("log@acme.test", "INBOX", forward("Bob <bob@acme.test>", "FYI", attach=original))
        server = self.env["fetchmail.server"].create(
            {"name": "log", "server_type": "imap", "server": self.dovecot.host, "port": self.dovecot.port_ssl,
             "is_ssl": True, "user": "log@acme.test", "password": "log-pw", "state": "done"}
        )  # fmt: skip
        # fetch_mail commits after each email (it is meant for the cron); the test's cursor must not.
        with patch.object(self.env.cr, "commit", lambda: None):
            server.fetch_mail()
        self.assertEqual(self.chatter(self.dana).mapped("message_id"), ["<fetch-1@client.test>"])
