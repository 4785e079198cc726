from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from .dns_server import DnsServer
from .dovecot import DovecotServer
from .oauth_server import OAuthServer
from .smtp_server import SmtpServer


@tagged("post_install", "-at_install")
class TestAddMailboxWizard(TransactionCase):
    """The wizard with the real detector, pointed at a DNS server on loopback,
    and a real Dovecot."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot = DovecotServer().start()
        cls.addClassCleanup(cls.dovecot.stop)
        cls.dns = DnsServer().start()
        cls.addClassCleanup(cls.dns.stop)
        cls.dovecot.add_user("dana@srv.test", "right")
        cls.dns.add("_imaps._tcp.srv.test", "SRV", f"0 1 {cls.dovecot.port_ssl} imap.srv.test.")
        cls.dns.add("imap.srv.test", "A", "127.0.0.1")
        # Its outgoing server, found at the same time (RFC 6186 submission SRV).
        cls.smtp = SmtpServer({}, certificate=(cls.dovecot.cafile, str(cls.dovecot.root / "key.pem"))).start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.dns.add("_submission._tcp.srv.test", "SRV", f"0 1 {cls.smtp.port} smtp.srv.test.")
        cls.dns.add("smtp.srv.test", "A", "127.0.0.1")
        cls.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.ca_file", cls.dovecot.cafile)

    def setUp(self):
        super().setUp()
        detector = self.dns.detector(self.dovecot.cafile)
        patcher = patch.object(type(self.env["mail.sync.account.wizard"]), "_detector", lambda self: detector)
        patcher.start()
        self.addCleanup(patcher.stop)

    def wizard(self, email, password):
        return self.env["mail.sync.account.wizard"].create({"email": email, "password": password})

    def test_detected_and_connected(self):
        wizard = self.wizard("Dana <dana@srv.test>", "right")
        action = wizard.action_detect()
        account = self.env["mail.sync.account"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "mail.sync.account")
        self.assertEqual(
            (account.email, account.host, account.port, account.security),
            ("dana@srv.test", "imap.srv.test", self.dovecot.port_ssl, "ssl"),
        )
        self.assertEqual(account.sudo().password, "right")
        self.assertFalse(account.login)  # the address itself
        self.assertEqual((account.smtp_host, account.smtp_port, account.smtp_security),
                         ("smtp.srv.test", self.smtp.port, "starttls"))  # fmt: skip
        self.assertFalse(account.send_enabled)  # found, but sending is the user's choice

    def test_nothing_found_shows_the_server_fields_and_why(self):
        wizard = self.wizard("eve@nowhere.test", "x")
        wizard.action_detect()
        self.assertEqual(wizard.step, "manual")
        self.assertEqual(wizard.host, "imap.nowhere.test")
        self.assertIn("No mail server named imap.nowhere.test was found", wizard.message)
        self.assertFalse(self.env["mail.sync.account"].search([("email", "=", "eve@nowhere.test")]))

    def test_wrong_password_in_plain_words(self):
        wizard = self.wizard("dana@srv.test", "wrong")
        wizard.write({"host": "127.0.0.1", "port": self.dovecot.port_ssl, "security": "ssl", "step": "manual"})
        wizard.action_connect()
        self.assertIn("password is wrong", wizard.message)
        wizard.provider_name = "Google"
        wizard.action_connect()
        self.assertIn("Google says the password is wrong", wizard.message)
        self.assertIn("app password", wizard.message)

    def test_not_an_address(self):
        wizard = self.wizard("not an address", "x")
        wizard.action_detect()
        self.assertIn("is not an email address", wizard.message)

    def test_google_address_goes_to_googles_sign_in(self):
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.google_client_id", "client-1")
        self.dns.add("acme-google.test", "MX", "1 aspmx.l.google.com.")  # a company domain on Google Workspace
        action = self.wizard("dana@acme-google.test", False).action_detect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith("https://accounts.google.com/o/oauth2/v2/auth?"))
        account = self.env["mail.sync.account"].search([("email", "=", "dana@acme-google.test")])
        self.assertEqual((account.provider, account.host), ("gmail", "imap.gmail.com"))

    def test_microsoft_365_domain_goes_to_microsofts_sign_in(self):
        # Microsoft's authority on loopback, with Dovecot's certificate (the CA the addon trusts here).
        authority = OAuthServer(certificate=(self.dovecot.cafile, str(self.dovecot.root / "key.pem"))).start()
        self.addCleanup(authority.stop)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.microsoft_client_id", "entra-app-1")
        params.set_param("mail_lead_sync.microsoft_authority", authority.url)
        self.dns.add("acme-ms.test", "MX", "0 acme-ms-test.mail.protection.outlook.com.")  # a domain on Microsoft 365
        action = self.wizard("lee@acme-ms.test", False).action_detect()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(action["url"].startswith(f"{authority.url}/common/oauth2/v2.0/authorize?"), action["url"])
        account = self.env["mail.sync.account"].search([("email", "=", "lee@acme-ms.test")])
        self.assertEqual(account.provider, "microsoft")
        self.assertTrue(account.sudo().oauth_flow["code_verifier"])
