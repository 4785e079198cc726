from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .dns_server import DnsServer
from .dovecot import DovecotServer


@tagged("post_install", "-at_install")
class TestMailSyncUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot = DovecotServer().start()
        cls.addClassCleanup(cls.dovecot.stop)
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
