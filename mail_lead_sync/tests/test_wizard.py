import http.server
import socket
import threading
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged

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
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.ca_file", cls.dovecot.cafile)
        params.set_param("mail_lead_sync.allow_private_hosts", "1")  # the servers are on loopback
        cls.salesperson = new_test_user(
            cls.env, login="sam", email="sam@srv.test", name="Sam", groups="sales_team.group_sale_salesman"
        )

    def setUp(self):
        super().setUp()
        # Names resolve through the loopback DNS server; the policy is the addon's own
        # (it follows mail_lead_sync.allow_private_hosts).
        dns = self.dns
        cafile = self.dovecot.cafile
        self.startPatcher(patch.object(type(self.env["mail.sync.account"]), "_host_lookup", lambda self: dns.lookup))
        self.startPatcher(patch.object(
            type(self.env["mail.sync.account.wizard"]), "_detector",
            lambda self: dns.detector(cafile, policy=self.env["mail.sync.account"]._host_policy()),
        ))  # fmt: skip

    def wizard(self, email, password, user=None):
        model = self.env["mail.sync.account.wizard"]
        return (model.with_user(user) if user else model).create({"email": email, "password": password})

    def private_hosts(self, allowed):
        self.env["ir.config_parameter"].sudo().set_param(
            "mail_lead_sync.allow_private_hosts", "1" if allowed else False
        )

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

    def test_send_emails_ticked_starts_the_address_check(self):
        self.env.company.email = "info@srv.test"  # Odoo's own sender for the code
        wizard = self.env["mail.sync.account.wizard"].create(
            {"email": "dana@srv.test", "password": "right", "send_enabled": True}
        )
        account = self.env["mail.sync.account"].browse(wizard.action_detect()["res_id"])
        # Not sending yet: a code is on its way to the address, the form says why.
        self.assertEqual((account.send_enabled, bool(account.send_code_date)), (False, True))
        self.assertIn("until the address is proven", account.send_blocked_reason)

    def test_nothing_found_shows_the_server_fields_and_why(self):
        wizard = self.wizard("eve@nowhere.test", "x")
        wizard.action_detect()
        self.assertEqual(wizard.step, "manual")
        self.assertEqual(wizard.host, "imap.nowhere.test")
        self.assertIn("No server named imap.nowhere.test was found", wizard.message)
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

    # -- the probe is no network scanner (as a salesperson, through the wizard's buttons) --
    def test_metadata_and_loopback_hosts_are_refused_in_words(self):
        self.private_hosts(False)
        wizard = self.wizard("x@169.254.169.254", "pw", self.salesperson)
        wizard.action_detect()
        self.assertEqual(wizard.step, "manual")
        self.assertIn("private or local network", wizard.message)
        for host, port in (("169.254.169.254", 80), ("127.0.0.1", self.dovecot.port_ssl), ("::1", 993),
                           ("imap.srv.test", self.dovecot.port_ssl)):  # fmt: skip
            wizard.write({"host": host, "port": port, "security": "ssl", "step": "manual"})
            wizard.action_connect()
            self.assertIn("private or local network", wizard.message, host)
        self.assertFalse(self.env["mail.sync.account"].search([("user_id", "=", self.salesperson.id)]))

    def test_test_connection_refuses_private_hosts_in_words(self):
        self.private_hosts(False)
        account = (
            self.env["mail.sync.account"]
            .with_user(self.salesperson)
            .create({"email": "sam@srv.test", "host": "169.254.169.254", "port": 80, "password_input": "pw"})
        )
        result = account.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("169.254.169.254 is on a private or local network", result["params"]["message"])
        self.assertEqual(account.state, "error")

    def test_a_name_resolving_to_loopback_is_refused_when_private_hosts_are_off(self):
        self.dovecot.add_user("sam@srv.test", "right")
        self.private_hosts(False)
        wizard = self.wizard("sam@srv.test", "right", self.salesperson)
        wizard.action_detect()
        self.assertEqual(wizard.step, "manual")
        self.assertIn("imap.srv.test is on a private or local network", wizard.message)
        self.assertFalse(self.env["mail.sync.account"].search([("email", "=", "sam@srv.test")]))
        self.private_hosts(True)  # the administrator's switch
        wizard = self.wizard("sam@srv.test", "right", self.salesperson)
        self.assertEqual(wizard.action_detect()["res_model"], "mail.sync.account")

    def test_another_service_answers_in_words_never_its_banner(self):
        """Port 22 typed by hand: the user reads words, not the SSH server's line."""
        with socket.socket() as ssh:
            ssh.bind(("127.0.0.1", 0))
            ssh.listen()

            def banner():
                conn, _addr = ssh.accept()
                with conn:
                    conn.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                    conn.recv(1024)

            threading.Thread(target=banner, daemon=True).start()
            wizard = self.wizard("sam@srv.test", "pw", self.salesperson)
            wizard.write({"host": "127.0.0.1", "port": ssh.getsockname()[1], "security": "none", "step": "manual"})
            wizard.action_connect()
        self.assertIn("did not answer as an IMAP mail server", wizard.message)
        self.assertNotIn("SSH", wizard.message)

    def test_exchange_host_is_a_name_not_a_url(self):
        wizard = self.wizard("sam@srv.test", "pw", self.salesperson)
        wizard.write({"kind": "exchange", "host": "http://169.254.169.254/latest/meta-data/", "step": "manual"})
        wizard.action_connect()
        self.assertIn("is not a server name", wizard.message)
        with self.assertRaises(ValidationError):
            self.env["mail.sync.account"].with_user(self.salesperson).create(
                {"email": "sam@srv.test", "provider": "exchange", "host": "https://evil.test/EWS"}
            )

    def test_autoconfig_over_plain_http_is_ignored(self):
        """An autoconfig document served in the clear (which anyone on the path could
        rewrite) is never read: nothing is found from it."""
        served = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                served.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"<clientConfig/>")

            def log_message(self, *args):
                pass

        web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=web.serve_forever, daemon=True).start()
        self.addCleanup(web.shutdown)
        self.dns.add("autoconfig.http.test", "A", "127.0.0.1")
        dns, cafile = self.dns, self.dovecot.cafile
        with patch.object(
            type(self.env["mail.sync.account.wizard"]), "_detector",
            lambda wiz: dns.detector(cafile, policy=wiz.env["mail.sync.account"]._host_policy(),
                                     https_port=web.server_address[1]),
        ):  # fmt: skip
            self.wizard("sam@http.test", "pw", self.salesperson).action_detect()
        self.assertEqual(served, [])

    def test_a_detected_server_outside_the_domain_needs_the_users_yes(self):
        """DNS of the address's domain names a server elsewhere: the password is not
        sent there until the user confirms that server's name."""
        self.dovecot.add_user("sam@far.test", "right")
        self.dns.add("_imaps._tcp.far.test", "SRV", f"0 1 {self.dovecot.port_ssl} imap.outside.test.")
        self.dns.add("imap.outside.test", "A", "127.0.0.1")
        wizard = self.wizard("sam@far.test", "right", self.salesperson)
        wizard.action_detect()
        self.assertEqual(wizard.step, "confirm")
        self.assertEqual(wizard.confirm_hosts, "imap.outside.test")
        self.assertIn("imap.outside.test", wizard.message)
        self.assertFalse(self.env["mail.sync.account"].search([("email", "=", "sam@far.test")]))
        action = wizard.action_confirm_hosts()
        account = self.env["mail.sync.account"].browse(action["res_id"])
        self.assertEqual((account.email, account.host), ("sam@far.test", "imap.outside.test"))
