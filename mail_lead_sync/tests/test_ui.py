import datetime
import email.utils
from unittest.mock import patch

from odoo.tests import tagged

from .common import DovecotHttpCase
from .dns_server import DnsServer


@tagged("post_install", "-at_install")
class TestMailSyncUi(DovecotHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot.add_user("tour@acme.test", "tour-password")

    def test_settings_and_new_mailbox(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.ca_file", self.dovecot.cafile)
        self.env.company.mail_sync_excluded_domains = False
        self.env.company.email = "info@acme.test"  # fills the empty domain list in
        self.env["ir.default"].set("mail.sync.account", "host", self.dovecot.host)
        self.env["ir.default"].set("mail.sync.account", "port", self.dovecot.port_ssl)
        self.start_tour("/odoo/settings", "mail_lead_sync_tour", login="admin")
        account = self.env["mail.sync.account"].search([("email", "=", "tour@acme.test")])
        self.assertEqual(account.state, "new")
        self.assertFalse(account.last_error)

    def test_add_mailbox_wizard(self):
        """The server of dana@srv.test is found through SRV records of a DNS
        server on loopback, and tested against Dovecot."""
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.ca_file", self.dovecot.cafile)
        self.dovecot.add_user("dana@srv.test", "right")
        dns_server = DnsServer().start()
        self.addCleanup(dns_server.stop)
        dns_server.add("_imaps._tcp.srv.test", "SRV", f"0 1 {self.dovecot.port_ssl} imap.srv.test.")
        dns_server.add("imap.srv.test", "A", "127.0.0.1")
        detector = dns_server.detector(self.dovecot.cafile)
        with patch.object(type(self.env["mail.sync.account.wizard"]), "_detector", lambda self: detector):
            self.start_tour("/odoo/action-mail_lead_sync.mail_sync_account_action", "mail_lead_sync_wizard_tour",
                            login="admin")  # fmt: skip
        account = self.env["mail.sync.account"].search([("email", "=", "dana@srv.test")])
        self.assertEqual((account.host, account.port), ("imap.srv.test", self.dovecot.port_ssl))

    def test_not_related_in_a_leads_chatter(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.ca_file", self.dovecot.cafile)
        self.dovecot.add_user("tour-nr@acme.test", "pw")
        admin = self.env.ref("base.user_admin")
        box = self.env["mail.sync.account"].create(
            {"user_id": admin.id, "email": "tour-nr@acme.test", "host": self.dovecot.host,
             "port": self.dovecot.port_ssl, "password": "pw"}
        )  # fmt: skip
        lead = self.env["crm.lead"].create(
            {"name": "Tour Deal", "email_from": "dana@client.test", "type": "opportunity", "user_id": admin.id}
        )
        now = email.utils.format_datetime(datetime.datetime.now(datetime.timezone.utc))
        raw = (
            "From: Dana <dana@client.test>\r\nTo: tour-nr@acme.test\r\nSubject: Price question\r\n"
            f"Message-ID: <{{n}}@client.test>\r\nDate: {now}\r\n\r\nHow much?\r\n"
        )
        self.dovecot.append(box.email, "INBOX", raw.replace("{n}", "nr1").encode())
        box.action_sync_now()
        self.dovecot.append(
            box.email,
            "INBOX",
            raw.replace("{n}", "nr2")
            .replace("Price question", "Follow-up")
            .replace("How much?", "Next step?")
            .encode(),
        )
        self.start_tour(f"/odoo/crm/{lead.id}", "mail_lead_sync_not_related_tour", login="admin")
        subjects = self.env["mail.message"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id),
                                                    ("message_type", "=", "email")]).mapped("subject")  # fmt: skip
        self.assertEqual(subjects, ["Follow-up"])
        link = self.env["mail.sync.link"].sudo().search([("message_id", "=", "<nr1@client.test>")])
        self.assertEqual((link.res_id, link.state), (lead.id, "rejected"))

    def test_send_from_a_chosen_mailbox(self):
        admin = self.env.ref("base.user_admin")
        admin.partner_id.email = "tour-main@acme.test"
        boxes = self.env["mail.sync.account"].create(
            [{"user_id": admin.id, "email": email, "host": "127.0.0.1", "sync_enabled": False,
              "smtp_host": "127.0.0.1", "smtp_port": 2525} for email in ("tour-main@acme.test", "tour-sales@acme.test")]
        )  # fmt: skip
        boxes.action_confirm_address()
        boxes.send_enabled = True
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        lead = self.env["crm.lead"].create(
            {"name": "Send Deal", "partner_id": dana.id, "type": "opportunity", "user_id": admin.id}
        )
        self.start_tour(f"/odoo/crm/{lead.id}", "mail_lead_sync_send_from_tour", login="admin")
        message = self.env["mail.message"].search(
            [("model", "=", "crm.lead"), ("res_id", "=", lead.id), ("body", "ilike", "The offer is attached.")]
        )
        self.assertIn("tour-sales@acme.test", message.email_from)
        self.assertEqual(message.author_id, admin.partner_id)  # the owner's own: it leaves through that mailbox
