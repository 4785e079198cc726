from odoo.tests import HttpCase, tagged

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
