import datetime
import json
import logging
import secrets
import time

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from ..engine import addresses, errors, oauth

_logger = logging.getLogger(__name__)

# A sign-in started longer ago than this is refused on return (a state leaked in a
# log or a browser history is worthless after it).
OAUTH_STATE_SECONDS = 15 * 60


def _now():
    # One place to read the clock, so tests can move it.
    return time.time()


class MailSyncOAuthMixin(models.AbstractModel):
    """Google and Microsoft sign-in of a mailbox, as ``google.gmail.mixin`` and
    ``microsoft.outlook.mixin`` do it for Odoo's mail servers: the grant's fields,
    the flow's start, its return and the token's renewal.

    The model that inherits it is a mailbox: it has ``user_id`` (the owner, the only
    one whose sign-in returns to it), ``email``, ``provider``, ``host``, ``state``,
    ``last_error``, ``last_sync_date``, ``_check_owner`` and the address proof
    (``_set_send_proven``, ``_clear_send_proof``, ``send_verified``, ``send_verified_by``)."""

    _name = "mail.sync.oauth.mixin"
    _description = "Mailbox sign-in with Google or Microsoft"

    # The providers whose consent page returns to /mail_lead_sync/oauth/<provider>,
    # with the name the user sees.
    _OAUTH_PROVIDERS = {"google": "Google", "microsoft": "Microsoft"}

    # OAuth grants (Google, Microsoft): the same protection as passwords.
    oauth_refresh_token = fields.Char(groups="base.group_system", copy=False)
    oauth_access_token = fields.Char(groups="base.group_system", copy=False)
    oauth_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    # A Microsoft sign-in under way: msal's flow, with its PKCE verifier.
    oauth_flow = fields.Json(groups="base.group_system", copy=False)
    # The nonce of the sign-in under way: a state is accepted once, and only the latest.
    oauth_state_nonce = fields.Char(groups="base.group_system", copy=False)
    oauth_connected = fields.Boolean(compute="_compute_oauth_connected")

    def _compute_oauth_connected(self):
        for account in self:
            account.oauth_connected = bool(account.sudo().oauth_refresh_token)

    def _google_client(self):
        params = self.env["ir.config_parameter"].sudo()
        client_id = params.get_param("mail_lead_sync.google_client_id")
        if not client_id:
            raise UserError(_("An administrator must first enter Google's OAuth client in Settings > CRM."))
        # The token endpoint can be pointed elsewhere (tests use one on loopback).
        token_uri = params.get_param("mail_lead_sync.google_token_uri") or oauth.GOOGLE.token_uri
        return client_id, params.get_param("mail_lead_sync.google_client_secret") or "", token_uri

    def _microsoft_app(self):
        params = self.env["ir.config_parameter"].sudo()
        client_id = params.get_param("mail_lead_sync.microsoft_client_id")
        if not client_id:
            raise UserError(_("An administrator must first enter the Microsoft (Entra) app in Settings > CRM."))
        return oauth.MicrosoftApp(
            client_id,
            params.get_param("mail_lead_sync.microsoft_client_secret") or "",
            tenant=params.get_param("mail_lead_sync.microsoft_tenant") or "common",
            # Another authority (a national cloud; tests use one on loopback).
            authority_host=params.get_param("mail_lead_sync.microsoft_authority") or oauth.MICROSOFT_AUTHORITY_HOST,
            verify=params.get_param("mail_lead_sync.ca_file") or True,
        )

    def _oauth_redirect_uri(self, provider="google"):
        return f"{self.get_base_url()}/mail_lead_sync/oauth/{provider}"

    def _oauth_state(self):
        self.ensure_one()
        nonce = secrets.token_urlsafe(16)
        self.sudo().oauth_state_nonce = nonce
        payload = json.dumps({"a": self.id, "u": self.env.uid, "n": nonce, "t": int(_now())}, separators=(",", ":"))
        return f"{payload}.{hmac(self.env(su=True), 'mail_lead_sync.oauth', payload)}"

    @api.model
    def _oauth_account_from_state(self, state):
        """The mailbox a returning sign-in is for, if the state is ours, recent, not
        used yet, and the current user owns that mailbox; else an empty recordset.
        A state that passes is spent."""
        payload, _dot, signature = (state or "").rpartition(".")
        expected = hmac(self.env(su=True), "mail_lead_sync.oauth", payload)
        if not payload or not consteq(signature, expected):
            return self.browse()
        data = json.loads(payload)
        account = self.browse(data.get("a")).exists()
        if not account or data.get("u") != self.env.uid or account.user_id != self.env.user:
            return self.browse()
        issued = data.get("t")
        if not isinstance(issued, int) or not 0 <= _now() - issued <= OAUTH_STATE_SECONDS:
            _logger.info("mailbox %s: expired sign-in state refused", account.id)
            return self.browse()
        stored = account.sudo().oauth_state_nonce
        if not stored or not isinstance(data.get("n"), str) or not consteq(stored, data["n"]):
            _logger.info("mailbox %s: used or superseded sign-in state refused", account.id)
            return self.browse()
        account.sudo().oauth_state_nonce = False
        return account

    def action_connect_google(self):
        self.ensure_one()
        self._check_owner()
        client_id, _secret, _token_uri = self._google_client()
        url = oauth.authorization_url(
            oauth.GOOGLE, client_id, self._oauth_redirect_uri(), self._oauth_state(), login_hint=self.email
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def action_connect_microsoft(self):
        self.ensure_one()
        self._check_owner()
        url, flow = self._microsoft_app().start_sign_in(
            self._oauth_redirect_uri("microsoft"), self._oauth_state(), login_hint=self.email
        )
        self.sudo().oauth_flow = flow
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    @api.model
    def oauth_finish(self, provider, params):
        """Finish the sign-in a provider's consent page returned with ``params`` (its
        query string). Only the user who started it comes back with a valid state:
        for anyone else, an unknown provider or a spent state, nothing is done and
        the result is empty; else the mailbox signed in (or told why not)."""
        if provider not in self._OAUTH_PROVIDERS:
            return self.browse()
        account = self._oauth_account_from_state(params.get("state"))
        if not account:
            return account
        error, description = params.get("error"), params.get("error_description")
        if error or not params.get("code"):
            # Microsoft explains in error_description (e.g. an admin must consent first).
            detail = f"{error or 'no code'}{': ' + description[:200] if description else ''}"
            message = _(
                "%(provider)s sign-in was not completed (%(detail)s).",
                provider=self._OAUTH_PROVIDERS[provider],
                detail=detail,
            )
            account.write({"last_error": message, "state": "error"})
            return account
        response = {key: value for key, value in params.items() if key not in ("error", "error_description")}
        try:
            if provider == "google":
                account._oauth_finish_google(response)
            else:
                account._oauth_finish_microsoft(response)
        except errors.SyncError as exc:
            account._record_error(exc)
        return account

    def _oauth_finish_microsoft(self, params):
        flow = self.sudo().oauth_flow
        if not flow:
            raise errors.TokenRejected.of("microsoft_sign_in_expired", "no flow")
        self.sudo().oauth_flow = False  # single use, whatever happens next
        grant = self._microsoft_app().finish_sign_in(flow, params)
        self.write({"provider": "microsoft", "state": "new" if not self.last_sync_date else "ok", "last_error": False})
        self._oauth_store(grant)
        self._oauth_prove_address(grant)

    def _oauth_finish_google(self, params):
        code = params["code"]
        client_id, secret, token_uri = self._google_client()
        grant = oauth.exchange_code(oauth.GOOGLE, client_id, secret, code, self._oauth_redirect_uri(), token_uri)
        values = {"provider": "gmail", "state": "new" if not self.last_sync_date else "ok", "last_error": False}
        if not self.host:
            values.update(host="imap.gmail.com", port=993, security="ssl")
        self.write(values)
        self._oauth_store(grant)
        self._oauth_prove_address(grant)

    def _oauth_prove_address(self, grant):
        """The provider's word for the signed-in address proves the mailbox's own, if
        they are the same; a sign-in to another account takes a former proof away."""
        if grant.email and addresses.normalize(grant.email) == addresses.normalize(self.email):
            self._set_send_proven("oauth")
        elif self.send_verified_by == "oauth" or self.send_verified:
            self._clear_send_proof()

    def _oauth_store(self, grant):
        values = {
            "oauth_access_token": grant.access_token,
            "oauth_expires_at": grant.expires_at.astimezone(datetime.timezone.utc).replace(tzinfo=None),
        }
        if grant.refresh_token:
            values["oauth_refresh_token"] = grant.refresh_token
        self.sudo().write(values)

    def _oauth_access_token(self):
        """A valid access token, renewed when it expires within five minutes."""
        account = self.sudo()
        soon = fields.Datetime.now() + datetime.timedelta(minutes=5)
        if account.oauth_access_token and account.oauth_expires_at and account.oauth_expires_at > soon:
            return account.oauth_access_token
        if not account.oauth_refresh_token:
            raise errors.TokenRejected(_("This mailbox is not signed in: connect it."), "no refresh token")
        if self.provider == "microsoft":
            grant = self._microsoft_app().refresh(account.oauth_refresh_token)
        else:
            client_id, secret, token_uri = self._google_client()
            grant = oauth.refresh(oauth.GOOGLE, client_id, secret, account.oauth_refresh_token, token_uri)
        self._oauth_store(grant)
        return grant.access_token
