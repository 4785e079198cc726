import datetime
import urllib.parse
from unittest.mock import patch

from odoo import modules
from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..engine import oauth
from ..models import mail_sync_oauth_mixin as oauth_module
from .dovecot import DovecotServer
from .oauth_server import OAuthServer
from .smtp_server import SmtpServer


@tagged("post_install", "-at_install")
class TestGoogleSignIn(HttpCase):
    """Google's part is played by a token endpoint on loopback whose tokens
    Dovecot's oauth2 passdb accepts for XOAUTH2 logins."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oauth = OAuthServer().start()
        cls.addClassCleanup(cls.oauth.stop)
        cls.dovecot = DovecotServer(oauth_introspection_url=cls.oauth.introspection_url).start()
        cls.addClassCleanup(cls.dovecot.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.google_client_id", "client-1")
        params.set_param("mail_lead_sync.google_client_secret", "secret")
        params.set_param("mail_lead_sync.google_token_uri", cls.oauth.token_url)
        params.set_param("mail_lead_sync.ca_file", cls.dovecot.cafile)
        params.set_param("mail_lead_sync.allow_private_hosts", "1")  # its servers are on loopback

    def setUp(self):
        super().setUp()
        # The owner starts the sign-in and comes back to it: both as admin.
        self.env = self.env(user=self.env.ref("base.user_admin"))
        self.email = f"dana{self.id()[-8:].replace('_', '')}@gmail.test".lower()
        self.dovecot.add_user(self.email, "app-password-unused")
        self.account = self.env["mail.sync.account"].create(
            {"email": self.email, "provider": "gmail", "host": self.dovecot.host, "port": self.dovecot.port_ssl}
        )

    def _consent(self, signed_in_as=None):
        """What Google's consent page does: back to our return URL with a code
        (``signed_in_as``: the account the user chose, default the mailbox's)."""
        url = self.account.action_connect_google()["url"]
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        self.assertTrue(url.startswith(oauth.GOOGLE.auth_uri))
        self.assertEqual(query["login_hint"], self.email)
        self.assertIn("email", query["scope"].split())  # the ID token names the account
        code = self.oauth.issue_code(self.email, "client-1", query["redirect_uri"], email=signed_in_as)
        return query["state"], code

    def test_sign_in_sync_and_revocation(self):
        state, code = self._consent()
        self.authenticate("admin", "admin")
        response = self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(self.account.oauth_connected)
        self.assertTrue(self.account.sudo().oauth_refresh_token)

        partner = self.env["res.partner"].create({"name": "Eve", "email": "eve@client.test"})
        raw = b"From: eve@client.test\r\nTo: x@gmail.test\r\nSubject: Hi\r\nMessage-ID: <g1@client.test>\r\n\r\nHi\r\n"
        self.dovecot.append(self.email, "INBOX", raw)
        self.account.action_sync_now()  # XOAUTH2 with the access token from the exchange
        self.assertEqual(self.account.state, "ok")
        self.assertEqual(self.env["mail.message"].search_count([("model", "=", "res.partner"),
                                                                ("res_id", "=", partner.id)]), 2)  # fmt: skip

        # The user removes the app's access in their Google account; the access token expires.
        self.oauth.revoke(self.account.sudo().oauth_refresh_token)
        self.account.sudo().oauth_expires_at = datetime.datetime(2020, 1, 1)
        other = self.env["mail.sync.account"].create(
            {"email": "pw@example.test", "host": self.dovecot.host, "port": self.dovecot.port_ssl, "password": "pw"}
        )
        self.dovecot.add_user("pw@example.test", "pw")
        (self.account | other).action_sync_now()
        self.assertEqual(self.account.state, "reconnect")
        self.assertIn("reconnect", self.account.last_error)
        self.assertEqual(other.state, "ok")

    def test_forged_or_foreign_state_is_refused(self):
        state, code = self._consent()
        self.authenticate("admin", "admin")
        forged = state[:-4] + "AAAA"
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={forged}&code={code}").status_code, 403)
        new_test_user(self.env, login="mallory", password="mallory-pw", groups="base.group_user")
        self.authenticate("mallory", "mallory-pw")
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}").status_code, 403)
        self.assertFalse(self.account.sudo().oauth_refresh_token)

    def test_finishing_by_rpc_needs_the_owners_state_and_a_known_provider(self):
        """oauth_finish is public (the return route calls it), so RPC reaches it too:
        there it is worth no more than the route."""
        state, code = self._consent()
        mallory = new_test_user(self.env, login="mallory", groups="base.group_user")
        accounts = self.env["mail.sync.account"]
        self.assertFalse(accounts.with_user(mallory).oauth_finish("google", {"state": state, "code": code}))
        # A provider of the caller's choosing names no method to run, and spends nothing.
        for provider in ("yahoo", "_oauth_store", "microsoft_", ""):
            self.assertFalse(accounts.oauth_finish(provider, {"state": state, "code": code}))
        self.assertFalse(self.account.sudo().oauth_refresh_token)
        self.assertEqual(accounts.oauth_finish("google", {"state": state, "code": code}), self.account)
        self.assertTrue(self.account.sudo().oauth_refresh_token)

    def test_state_works_once_and_expires(self):
        """A state copied from a browser history or a log: refused once used, when a
        newer sign-in was started, and 15 minutes after it was issued."""
        state, code = self._consent()
        self.authenticate("admin", "admin")
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}").status_code, 200)
        token = self.account.sudo().oauth_refresh_token
        self.assertTrue(token)
        # Replayed: refused, the grant is untouched.
        code = self.oauth.issue_code(self.email, "client-1", self.account._oauth_redirect_uri())
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}").status_code, 403)
        # Superseded by a newer sign-in of the same mailbox.
        older, _code = self._consent()
        newer, code = self._consent()
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={older}&code={code}").status_code, 403)
        # Expired: 16 minutes later.
        clock = oauth_module._now()
        with patch.object(oauth_module, "_now", return_value=clock + 16 * 60):
            self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={newer}&code={code}").status_code, 403)
        self.assertEqual(self.account.sudo().oauth_refresh_token, token)
        # Within its time it works (once).
        with patch.object(oauth_module, "_now", return_value=clock + 14 * 60):
            self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/google?state={newer}&code={code}").status_code, 200)

    def test_refusal_on_googles_page(self):
        state, _code = self._consent()
        self.authenticate("admin", "admin")
        self.url_open(f"/mail_lead_sync/oauth/google?state={state}&error=access_denied")
        self.assertEqual(self.account.state, "error")
        self.assertIn("Google sign-in was not completed (access_denied)", self.account.last_error)
        self.assertFalse(self.account.oauth_connected)

    def test_sends_with_its_google_grant(self):
        """A Google-signed-in mailbox sends by SMTP with XOAUTH2 (the token endpoint's
        access tokens are what the loopback SMTP server accepts)."""
        smtp = SmtpServer({}, token_owner=self.oauth.access_tokens.get).start()
        self.addCleanup(smtp.stop)
        self.account.write({"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "starttls"})
        state, code = self._consent()
        self.authenticate("admin", "admin")
        self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}")
        self.assertEqual((self.account.send_verified, self.account.send_verified_by), (True, "oauth"))
        self.account.send_enabled = True
        self.assertFalse(self.account.save_sent)  # Google keeps its own copy
        self.env.user.partner_id.email = self.email
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

        def post_and_send(body):
            dana.with_context(mail_notify_force_send=False).message_post(
                body=body, partner_ids=dana.ids, message_type="comment", subtype_xmlid="mail.mt_comment"
            )
            with patch.object(modules.module, "current_test", None):
                self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()

        post_and_send("Hello from Gmail")
        [(mail_from, rcpt_tos, _raw)] = smtp.received
        self.assertEqual((mail_from, rcpt_tos), (self.email, ["dana@client.test"]))

        # The grant is revoked: the mail stays queued with the reason, the mailbox says why.
        self.oauth.revoke(self.account.sudo().oauth_refresh_token)
        self.account.sudo().oauth_expires_at = datetime.datetime(2020, 1, 1)
        post_and_send("Second")
        self.assertEqual(len(smtp.received), 1)
        self.assertIn("Google refused", self.account.last_error)
        failed = self.env["mail.mail"].sudo().search([("body_html", "ilike", "Second")])
        self.assertEqual(failed.state, "exception")

    def test_a_sign_in_to_another_account_proves_nothing(self):
        state, code = self._consent(signed_in_as="someone.else@gmail.test")
        self.authenticate("admin", "admin")
        self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}")
        self.assertTrue(self.account.oauth_connected)
        self.assertFalse(self.account.send_verified)
        with self.assertRaises(UserError):
            self.account.send_enabled = True
        state, code = self._consent()  # the mailbox's own account this time
        self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}")
        self.assertTrue(self.account.send_verified)
        # A new sign-in to another account takes the proof away.
        state, code = self._consent(signed_in_as="someone.else@gmail.test")
        self.url_open(f"/mail_lead_sync/oauth/google?state={state}&code={code}")
        self.assertFalse(self.account.send_verified)
