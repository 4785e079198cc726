import datetime
import email
import email.policy
import urllib.parse
from unittest.mock import patch

from odoo import modules
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import raw_email as _raw
from .graph_server import GraphServer
from .oauth_server import OAuthServer


@tagged("post_install", "-at_install")
class TestMicrosoftSignIn(HttpCase):
    """Microsoft's sign-in is played by an HTTPS authority on loopback (msal, the
    real client, discovers it and trades codes there); Microsoft Graph by a
    loopback server holding real messages and answering in Graph's documented
    shapes (no Microsoft server can run here)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.oauth = OAuthServer(tls=True).start()
        cls.addClassCleanup(cls.oauth.stop)
        cls.graph = GraphServer(cls.oauth).start()
        cls.addClassCleanup(cls.graph.stop)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.microsoft_client_id", "entra-app-1")
        params.set_param("mail_lead_sync.microsoft_client_secret", "entra-secret")
        params.set_param("mail_lead_sync.microsoft_tenant", "acme.test")
        params.set_param("mail_lead_sync.microsoft_authority", cls.oauth.url)
        params.set_param("mail_lead_sync.graph_url", cls.graph.base_url)
        params.set_param("mail_lead_sync.ca_file", cls.oauth.cafile)
        params.set_param("mail_lead_sync.allow_private_hosts", "1")  # its servers are on loopback

    def setUp(self):
        super().setUp()
        self.env = self.env(user=self.env.ref("base.user_admin"))
        self.email = f"karen{self.id()[-8:].replace('_', '')}@acme.test".lower()
        self.account = self.env["mail.sync.account"].create({"email": self.email, "provider": "microsoft"})
        self.authenticate("admin", "admin")

    def _sign_in(self, signed_in_as=None):
        """What Microsoft's consent page does: back to our return URL with a code
        (``signed_in_as``: the account the user chose, default the mailbox's)."""
        url = self.account.action_connect_microsoft()["url"]
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self.assertEqual(endpoint, f"{self.oauth.url}/acme.test/oauth2/v2.0/authorize")
        self.assertEqual(query["client_id"], "entra-app-1")
        self.assertIn("https://graph.microsoft.com/Mail.Read", query["scope"].split())
        self.assertIn("offline_access", query["scope"].split())  # what brings a refresh token
        self.assertEqual(query["login_hint"], self.email)
        self.assertEqual(query["code_challenge_method"], "S256")  # PKCE: the server checks the verifier
        code = self.oauth.issue_code(self.email, "entra-app-1", query["redirect_uri"], query["code_challenge"],
                                     email=signed_in_as, nonce=query["nonce"])  # fmt: skip
        response = self.url_open(f"/mail_lead_sync/oauth/microsoft?state={query['state']}&code={code}")
        self.assertEqual(response.status_code, 200)

    def _chatter(self, record):
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("message_type", "=", "email")]
        )

    def test_sign_in_sync_delta_and_reconnect(self):
        self._sign_in()
        self.assertTrue(self.account.oauth_connected)
        self.assertEqual(self.account.provider, "microsoft")
        self.assertTrue(self.account.sudo().oauth_refresh_token)

        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        lead = self.env["crm.lead"].create({"name": "Globex deal", "email_from": "lee@globex.test"})
        old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
        self.graph.deliver(self.email, "inbox", _raw("dana@client.test", self.email, "Hello", "<ms1@client.test>"))
        self.graph.deliver(self.email, "inbox", _raw("dana@client.test", self.email, "Ancient", "<ms0@client.test>"),
                           received=old)  # fmt: skip
        self.graph.deliver(self.email, "sentitems", _raw(self.email, "lee@globex.test", "Offer", "<ms2@acme.test>"))
        self.graph.deliver(self.email, "inbox", _raw("someone@else.test", self.email, "Unrelated", "<ms3@else.test>"))
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(self._chatter(partner).mapped("subject"), ["Hello"])  # "Ancient" is before the window
        self.assertEqual(self._chatter(lead).mapped("subject"), ["Offer"])
        folders = self.account.folder_ids.sorted("name")
        self.assertEqual(folders.mapped("name"), ["inbox", "sentitems"])
        self.assertTrue(all("$deltatoken=" in f.cursor["link"] for f in folders))
        rows = self.env["mail.sync.index"].sudo().search([("account_id", "=", self.account.id)])
        self.assertEqual(len(rows), 3)
        self.assertTrue(all(r.key.startswith("AAMkAD") for r in rows))

        # New mail, read from the delta links only; Graph throttles once on the way.
        reply = _raw("dana@client.test", self.email, "Re: Hello", "<ms4@client.test>",
                     "In-Reply-To: <ms1@client.test>\r\n")  # fmt: skip
        self.graph.deliver(self.email, "inbox", reply)
        self.graph.throttle = [1]
        self.graph.requests.clear()
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(sorted(self._chatter(partner).mapped("subject")), ["Hello", "Re: Hello"])
        delta_calls = [path for path, _h in self.graph.requests if "/messages/delta" in path]
        self.assertTrue(delta_calls and all("$deltatoken=" in path for path in delta_calls), delta_calls)

        # Graph forgot the sync state (410): the folders are read again, nothing posted twice.
        self.graph.expire_delta_links()
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self._chatter(partner)), 2)
        self.assertEqual(len(self._chatter(lead)), 1)

        # A contact added later gets its past mail, fetched from Graph by id.
        someone = self.env["res.partner"].create({"name": "Someone", "email": "someone@else.test"})
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.assertEqual(self._chatter(someone).mapped("subject"), ["Unrelated"])

        # The user removes the app in their Microsoft account; the access token expires.
        self.oauth.revoke(self.account.sudo().oauth_refresh_token)
        self.account.sudo().oauth_expires_at = datetime.datetime(2020, 1, 1)
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "reconnect")
        self.assertIn("Microsoft refused", self.account.last_error)
        self.assertEqual(len(self._chatter(partner)), 2)

    def test_revoked_access_token_mid_sync_asks_to_reconnect(self):
        self._sign_in()
        # Graph refuses the (still unexpired) access token: an admin revoked the sessions.
        self.oauth.access_tokens.clear()
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "reconnect")
        self.assertIn("reconnect", self.account.last_error)

    def test_refused_consent_is_shown_on_the_mailbox(self):
        url = self.account.action_connect_microsoft()["url"]
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
        query = urllib.parse.urlencode(
            {"state": state, "error": "access_denied", "error_description": "AADSTS65004: User declined to consent."}
        )
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/microsoft?{query}").status_code, 200)
        self.assertEqual(self.account.state, "error")
        self.assertIn("User declined to consent", self.account.last_error)
        self.assertFalse(self.account.oauth_connected)

    def test_foreign_state_is_refused(self):
        url = self.account.action_connect_microsoft()["url"]
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
        forged = f"/mail_lead_sync/oauth/microsoft?state={state[:-3]}xyz&code=c"
        self.assertEqual(self.url_open(forged).status_code, 403)
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/yahoo?state={state}&code=c").status_code, 403)
        self.assertFalse(self.account.oauth_connected)

    def test_state_is_single_use(self):
        url = self.account.action_connect_microsoft()["url"]
        state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
        query = urllib.parse.urlencode({"state": state, "error": "access_denied"})
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/microsoft?{query}").status_code, 200)
        self.assertEqual(self.url_open(f"/mail_lead_sync/oauth/microsoft?{query}").status_code, 403)

    def test_sends_through_graph(self):
        self._sign_in()
        self.assertEqual((self.account.send_verified, self.account.send_verified_by), (True, "oauth"))
        self.account.send_enabled = True
        self.assertFalse(self.account.save_sent)  # Microsoft keeps its own copy
        self.env.user.partner_id.email = self.email
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        posted = dana.with_context(mail_notify_force_send=False).message_post(
            body="Hello through Graph", partner_ids=dana.ids, message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        with patch.object(modules.module, "current_test", None):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
        [(login, raw)] = self.graph.sent
        sent = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual((login, sent["To"], sent["Message-Id"]), (self.email, "Dana <dana@client.test>",
                                                                   posted.message_id))  # fmt: skip
        # Graph put it in Sent Items; the sync reads it and posts nothing twice.
        self.account.action_sync_now()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(self.env["mail.message"].search_count([("message_id", "=", posted.message_id)]), 1)

    def test_a_sign_in_to_another_account_proves_nothing(self):
        self._sign_in(signed_in_as="someone.else@acme.test")
        self.assertTrue(self.account.oauth_connected)
        self.assertFalse(self.account.send_verified)
        with self.assertRaises(UserError):
            self.account.send_enabled = True
