from unittest.mock import patch

from odoo.tests import tagged

from .common import DovecotHttpCase
from .dns_server import DnsServer


@tagged("post_install", "-at_install")
class TestMailboxScreensUi(DovecotHttpCase):
    """The mailbox screens as a person sees them, in a browser."""

    def deliver(self, address, sender, subject, n, extra=""):
        raw = (
            f"From: {sender}\r\nTo: {address}\r\nSubject: {subject}\r\nMessage-ID: <ui{n}@example.test>\r\n"
            f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n{extra}\r\nHello\r\n"
        )
        self.dovecot.append(address, "INBOX", raw.encode())

    def test_mailbox_form_counts_and_sync_now(self):
        self.env.company.write({"email": "info@acme.test", "mail_sync_excluded_domains": "acme.test"})
        self.dovecot.add_user("tour-form@acme.test", "pw")
        admin = self.env.ref("base.user_admin")
        box = self.env["mail.sync.account"].create(
            {"user_id": admin.id, "email": "tour-form@acme.test", "host": self.dovecot.host,
             "port": self.dovecot.port_ssl, "password": "pw"}
        )  # fmt: skip
        self.assertGreaterEqual(box.port, 1000)  # shows a thousands separator when formatted
        self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.deliver(box.email, "Dana <dana@client.test>", "Offer", 1)
        self.deliver(box.email, "Karen <karen@acme.test>", "Lunch?", 2)
        self.deliver(box.email, "Pat <pat@stranger.test>", "Hello", 3)
        self.deliver(box.email, "News <news@shop.test>", "Sale!", 4, "List-Id: <offers.shop.test>\r\n")
        self.start_tour("/odoo/action-mail_lead_sync.mail_sync_account_action", "mail_lead_sync_mailbox_tour",
                        login="admin")  # fmt: skip
        self.assertEqual(box.state, "ok")

    def test_wizard_corrects_the_address_and_finds_its_server(self):
        self.dovecot.add_user("dana@srv.test", "right")
        # srv.test has its server in DNS; srv-typo.test, the mistyped domain, has nothing.
        zone = {("_imaps._tcp.srv.test", "SRV"): [f"0 1 {self.dovecot.port_ssl} imap.srv.test."],
                ("imap.srv.test", "A"): ["127.0.0.1"]}  # fmt: skip
        dns_server = DnsServer(zone).start()
        self.addCleanup(dns_server.stop)
        detector = dns_server.detector(self.dovecot.cafile)
        with patch.object(type(self.env["mail.sync.account.wizard"]), "_detector", lambda self: detector):
            self.start_tour("/odoo/action-mail_lead_sync.mail_sync_account_action",
                            "mail_lead_sync_wizard_retry_tour", login="admin")  # fmt: skip
        account = self.env["mail.sync.account"].search([("email", "=", "dana@srv.test")])
        self.assertEqual((account.host, account.port), ("imap.srv.test", self.dovecot.port_ssl))
        self.assertFalse(self.env["mail.sync.account"].search([("email", "=", "dana@srv-typo.test")]))

    def test_settings_log_address_and_sign_in_labels(self):
        self.env.ref("mail_lead_sync.mail_sync_log_alias").sudo().alias_domain_id = False
        self.start_tour("/odoo/settings#crm", "mail_lead_sync_settings_words_tour", login="admin")
