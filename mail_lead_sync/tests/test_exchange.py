from unittest.mock import patch

from odoo import modules
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import raw_email as _raw
from .common import why_lines
from .ews_server import READ_ONLY_OPERATIONS, EwsServer


@tagged("post_install", "-at_install")
class TestExchangeOnPremises(TransactionCase):
    """An Exchange Server mailbox added from the wizard and synced, through
    exchangelib against an EWS endpoint on loopback answering as Microsoft
    documents (no open-source Exchange server exists)."""

    def setUp(self):
        super().setUp()
        self.ews = EwsServer("ACME\\lee", "winter-2026").start()
        self.addCleanup(self.ews.stop)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.allow_private_hosts", "1")  # the EWS endpoint is on loopback
        # Users name a server, never a URL; the URL's shape is the administrator's (here: plain HTTP on loopback).
        params.set_param("mail_lead_sync.exchange_url", self.ews.url.replace("127.0.0.1", "{host}"))

    def _wizard(self, password):
        wizard = self.env["mail.sync.account.wizard"].create(
            {"email": "lee@acme.test", "password": password, "step": "manual", "kind": "exchange",
             "host": "127.0.0.1", "login": "ACME\\lee"}
        )  # fmt: skip
        return wizard, wizard.action_connect()

    def test_added_from_the_wizard_then_synced(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.ews.deliver("inbox", _raw("Dana <dana@client.test>", "lee@acme.test", "Hello", "<x1@client.test>"))
        self.ews.deliver("sentitems", _raw("lee@acme.test", "other@else.test", "Quote", "<x2@acme.test>",
                                           "Bcc: dana@client.test\r\n"))  # fmt: skip
        _wizard, action = self._wizard("winter-2026")
        account = self.env["mail.sync.account"].browse(action["res_id"])
        self.assertEqual((account.provider, account.login, account.sudo().password),
                         ("exchange", "ACME\\lee", "winter-2026"))  # fmt: skip
        account.action_sync_now()
        self.assertEqual(account.state, "ok", account.last_error)
        chatter = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                   ("message_type", "=", "email")])  # fmt: skip
        self.assertEqual(sorted(chatter.mapped("subject")), ["Hello", "Quote"])  # Quote: Dana was in Bcc
        quote = chatter.filtered(lambda m: m.subject == "Quote")
        self.assertIn("Linked by dana@client.test in Bcc", why_lines(quote, self.env.user)[quote])
        self.assertTrue(all(f.cursor["state"] for f in account.folder_ids))

        self.ews.deliver("inbox", _raw("dana@client.test", "lee@acme.test", "Again", "<x3@client.test>"))
        self.ews.forget_sync_states()  # and Exchange forgot where we were: nothing twice
        account.action_sync_now()
        self.assertEqual(account.state, "ok", account.last_error)
        chatter = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                   ("message_type", "=", "email")])  # fmt: skip
        self.assertEqual(sorted(chatter.mapped("subject")), ["Again", "Hello", "Quote"])
        self.assertLessEqual(set(self.ews.operations), READ_ONLY_OPERATIONS)

    def test_wrong_password_stays_in_the_wizard_with_words(self):
        wizard, _action = self._wizard("summer")
        self.assertEqual(wizard.step, "manual")
        self.assertIn("the password is wrong", wizard.message)
        self.assertFalse(self.env["mail.sync.account"].search([("email", "=", "lee@acme.test")]))

    def test_password_changed_later_shows_on_the_mailbox(self):
        _wizard, action = self._wizard("winter-2026")
        account = self.env["mail.sync.account"].browse(action["res_id"])
        self.ews.password = "spring-2027"
        account.action_sync_now()
        self.assertEqual(account.state, "error")
        self.assertIn("Exchange refused the login ACME\\lee", account.last_error)

    def test_sends_through_ews(self):
        _wizard, action = self._wizard("winter-2026")
        account = self.env["mail.sync.account"].browse(action["res_id"])
        with self.assertRaises(UserError):  # Exchange has no sign-in naming the address: an administrator vouches
            account.send_enabled = True
        account.action_confirm_address()
        account.send_enabled = True
        self.assertFalse(account.save_sent)  # Exchange keeps its own copy
        self.env.user.partner_id.email = "lee@acme.test"
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        posted = dana.with_context(mail_notify_force_send=False).message_post(
            body="Hello through EWS", partner_ids=dana.ids, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        with patch.object(modules.module, "current_test", None):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
        [raw] = self.ews.sent
        self.assertIn(posted.message_id.encode(), raw)
        self.assertIn("CreateItem", self.ews.operations)
        account.action_sync_now()  # the copy in Sent Items is not posted a second time
        self.assertEqual(account.state, "ok", account.last_error)
        self.assertEqual(self.env["mail.message"].search_count([("message_id", "=", posted.message_id)]), 1)
