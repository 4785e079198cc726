import datetime
import json
import logging
import secrets
import ssl
import threading
import time

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import consteq
from odoo.tools.misc import hmac

from ..engine import addresses, errors, oauth
from ..engine.ews import EwsMailbox
from ..engine.graph import GRAPH, GraphMailbox
from ..engine.imap import ImapMailbox, ImapSettings

_logger = logging.getLogger(__name__)

# Reasons an email was skipped, in words (the index keeps the engine's codes).
SKIP_REASONS = {
    "auto-submitted": "Automatic replies (Auto-Submitted)",
    "bulk": "Bulk mail (Precedence)",
    "mailing-list": "Mailing lists and newsletters (List-Id, List-Unsubscribe)",
    "internal only": "Only coworkers and company domains",
    "never-sync list": "On a never-sync list",
    "no parsable participant": "No readable address",
    "ambiguous thread": "Reply to a thread shared by several records",
    "failed": "Could not be read",
    "deleted by its owner": "Deleted everywhere by the mailbox owner",
}

# Advisory-lock namespace ("mls\0"): one worker at a time per mailbox.
LOCK_NAMESPACE = 0x6D6C7300
BATCH_SIZE = 500
CRON_BUDGET_SECONDS = 240


class MailSyncAccount(models.Model):
    _name = "mail.sync.account"
    _description = "Mailbox synced to the CRM"
    _order = "user_id, email"

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    user_id = fields.Many2one(
        "res.users", string="Owner", required=True, index=True, ondelete="cascade", default=lambda self: self.env.user
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    email = fields.Char(required=True)
    provider = fields.Selection(
        [("imap", "IMAP"), ("gmail", "Google"), ("microsoft", "Microsoft 365"), ("exchange", "Exchange")],
        required=True,
        default="imap",
    )
    host = fields.Char("Server")
    port = fields.Integer(default=993)
    security = fields.Selection(
        [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None (unencrypted)")], default="ssl", required=True
    )
    login = fields.Char(help="Defaults to the email address.")
    # Secrets: readable by system administrators only; owners set them through
    # password_input and never read them back.
    password = fields.Char("Stored Password", groups="base.group_system", copy=False)
    password_input = fields.Char(
        "Password", compute="_compute_password_input", inverse="_inverse_password_input", copy=False
    )
    # OAuth grants (Google, Microsoft): the same protection as passwords.
    oauth_refresh_token = fields.Char(groups="base.group_system", copy=False)
    oauth_access_token = fields.Char(groups="base.group_system", copy=False)
    oauth_expires_at = fields.Datetime(groups="base.group_system", copy=False)
    # A Microsoft sign-in under way: msal's flow, with its PKCE verifier.
    oauth_flow = fields.Json(groups="base.group_system", copy=False)
    oauth_connected = fields.Boolean(compute="_compute_oauth_connected")
    sync_enabled = fields.Boolean("Sync Emails", default=True)
    # Sending: the mailbox owns an outgoing server whose from_filter is its address,
    # so Odoo's own queue sends its owner's mail through it.
    send_enabled = fields.Boolean("Send Emails", help="Mail sent from Odoo with this address goes through its server.")
    smtp_host = fields.Char("Outgoing Server")
    smtp_port = fields.Integer("Outgoing Port", default=587)
    smtp_security = fields.Selection(
        [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None (unencrypted)")], default="starttls"
    )
    save_sent = fields.Boolean(
        "Save a Copy in Sent",
        compute="_compute_save_sent",
        store=True,
        readonly=False,
        help="Plain IMAP servers keep nothing of what is sent by SMTP; Google and Microsoft save it themselves.",
    )
    mail_server_id = fields.Many2one("ir.mail_server", readonly=True, copy=False, groups="base.group_system")
    share_level = fields.Selection(
        [
            ("full", "Everything"),
            ("subject", "Subject and metadata"),
            ("metadata", "Metadata only"),
        ],
        string="What Colleagues See",
        default="full",
        required=True,
        help="Everything: the emails as they are. Subject and metadata: who, when, subject and the names of "
        "attachments; the body is not stored. Metadata only: who and when. A change applies to what was "
        "already synced from this mailbox too.",
    )
    state = fields.Selection(
        [
            ("new", "Not synced yet"),
            ("ok", "Up to date"),
            ("partial", "Importing"),
            ("error", "Error"),
            ("reconnect", "Reconnect needed"),
        ],
        default="new",
        required=True,
        readonly=True,
        copy=False,
    )
    last_error = fields.Text(readonly=True, copy=False)
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    history_start = fields.Date(readonly=True, copy=False, help="Mail older than this is not imported.")
    folder_ids = fields.One2many("mail.sync.folder", "account_id", readonly=True)
    posted_message_ids = fields.One2many(
        "mail.sync.message", "account_id", string="Synced Emails", domain=[("state", "=", "posted")], readonly=True
    )
    progress = fields.Integer("History Imported (%)", compute="_compute_progress")
    indexed_count = fields.Integer("Emails Read", compute="_compute_counts")
    posted_count = fields.Integer("Emails Synced", compute="_compute_counts")
    skipped_count = fields.Integer("Emails Skipped", compute="_compute_counts")
    skipped_summary = fields.Html("Skipped, by Reason", compute="_compute_skipped_summary", sanitize=False)

    _sql_constraints = [("user_email_uniq", "unique(user_id, email)", "This mailbox is already connected.")]

    @api.depends("provider")
    def _compute_save_sent(self):
        for account in self:
            account.save_sent = account.provider == "imap"

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts.filtered("send_enabled")._sync_mail_server()
        return accounts

    def _sync_mail_server(self):
        """Create, update or archive the outgoing server of each mailbox."""
        for account in self.sudo():
            server = account.mail_server_id
            if not account.send_enabled:
                server.active = False
                continue
            host, port, encryption = account.smtp_host or account.host, account.smtp_port, account.smtp_security
            if account.provider == "microsoft":  # sent through Graph (see ir_mail_server.py), not SMTP
                host, port, encryption = "graph.microsoft.com", 443, "ssl"
            elif account.provider == "exchange":  # sent through EWS
                host, port, encryption = account.host or "autodiscover", 443, "ssl"
            elif account.provider == "gmail" and not account.smtp_host:
                host, port, encryption = "smtp.gmail.com", 465, "ssl"
            values = {
                "name": _("Mailbox %(email)s", email=account.email),
                "smtp_host": host,
                "smtp_port": port,
                "smtp_encryption": encryption or "starttls",
                "smtp_authentication": "login",
                "smtp_user": account.login or account.email,
                "smtp_pass": account.password,
                "from_filter": account.email,
                "sequence": 5,
                "active": True,
                "mail_sync_account_id": account.id,
            }
            if server:
                server.write(values)
            else:
                account.mail_server_id = self.env["ir.mail_server"].sudo().create(values)

    def _save_sent_copy(self, raw):
        """Keep what Odoo sent through this mailbox in its Sent folder (never fails the send)."""
        if self.provider not in ("imap", "gmail"):
            return
        try:
            with self._open_mailbox() as box:
                box.save_sent_copy(raw)
        except errors.SyncError as exc:
            self.sudo().write({"last_error": _("The copy in Sent could not be saved: %(reason)s", reason=exc)})

    def _record_send_error(self, reason):
        self.sudo().write({"last_error": _("Sending failed: %(reason)s", reason=reason)})

    @api.depends("email")
    def _compute_name(self):
        for account in self:
            account.name = account.name or account.email

    @api.depends("folder_ids.message_count", "folder_ids.remaining_count")
    def _compute_progress(self):
        for account in self:
            done = sum(account.folder_ids.mapped("message_count"))
            left = sum(account.folder_ids.mapped("remaining_count"))
            account.progress = 100 if not left else int(100 * done / (done + left))

    def _compute_oauth_connected(self):
        for account in self:
            account.oauth_connected = bool(account.sudo().oauth_refresh_token)

    def _compute_password_input(self):
        for account in self:
            account.password_input = False

    def _inverse_password_input(self):
        for account in self:
            if account.password_input:
                account._check_owner()
                account.sudo().password = account.password_input

    def _compute_counts(self):
        stats = {}
        if self.ids:
            self.env["mail.sync.message"].flush_model()
            self.env.cr.execute(
                """SELECT account_id, count(*), count(*) FILTER (WHERE state = 'posted'),
                          count(*) FILTER (WHERE state IN ('skipped', 'failed'))
                     FROM mail_sync_message WHERE account_id = ANY(%s) GROUP BY account_id""",
                [self.ids],
            )
            stats = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for account in self:
            account.indexed_count, account.posted_count, account.skipped_count = stats.get(account.id, (0, 0, 0))

    def _compute_skipped_summary(self):
        by_account = {}
        if self.ids:
            self.env["mail.sync.message"].flush_model()
            self.env.cr.execute(
                """SELECT account_id, coalesce(reason, state), count(*) FROM mail_sync_message
                    WHERE account_id = ANY(%s) AND state IN ('skipped', 'failed')
                    GROUP BY 1, 2 ORDER BY 3 DESC, 2""",
                [self.ids],
            )
            for account_id, reason, count in self.env.cr.fetchall():
                by_account.setdefault(account_id, []).append((reason, count))
        for account in self:
            rows = by_account.get(account.id)
            account.skipped_summary = (
                Markup("<table class='table table-sm o_mail_sync_skipped'>%s</table>")
                % Markup().join(
                    Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (SKIP_REASONS.get(r, r), c)
                    for r, c in rows
                )
                if rows
                else False
            )

    def write(self, vals):
        before = {account.id: account.share_level for account in self} if "share_level" in vals else {}
        result = super().write(vals)
        sending = {"send_enabled", "smtp_host", "smtp_port", "smtp_security", "login", "password", "email", "host"}
        if sending & set(vals) and not self.env.context.get("mail_sync_no_server"):
            self.filtered(lambda a: a.send_enabled or a.sudo().mail_server_id)._sync_mail_server()
        for account in self:
            if before and before[account.id] != account.share_level:
                account._apply_share_level(before[account.id])
        return result

    def _apply_share_level(self, previous):
        """Bring what this mailbox already posted to its (new) sharing level. Lower
        levels are applied from what Odoo has, so they hold even when the mailbox is
        unreachable; higher ones read the emails again from the mailbox."""
        self.ensure_one()
        self.env["mail.sync.message"]._reshare(self, previous)

    def _check_owner(self):
        if self.user_id != self.env.user and not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only the owner of a mailbox can change its credentials."))

    # -- connection ------------------------------------------------------------
    def _ssl_context(self):
        # A company mail server with its own certificate authority: the admin can
        # name its certificate file (tests point it at their Dovecot's).
        cafile = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.ca_file")
        return ssl.create_default_context(cafile=cafile or None)

    def _imap_settings(self):
        self.ensure_one()
        account = self.sudo()
        if not account.host:
            raise UserError(_("Set the mail server of %(email)s first.", email=account.email))
        return ImapSettings(
            host=account.host,
            port=account.port,
            security=account.security,
            login=account.login or account.email,
            password=account.password or "",
            access_token=self._oauth_access_token() if account.oauth_refresh_token else "",
            timeout=30,
            ssl_context=self._ssl_context(),
        )

    def _open_mailbox(self):
        """The engine's reader for this mailbox's provider (a context manager)."""
        self.ensure_one()
        params = self.env["ir.config_parameter"].sudo()
        if self.provider == "microsoft":
            graph_url = params.get_param("mail_lead_sync.graph_url") or GRAPH
            return GraphMailbox(self._oauth_access_token(), base_url=graph_url)
        if self.provider == "exchange":
            account = self.sudo()
            return EwsMailbox(
                account.email, account.login or account.email, account.password or "", server=account.host or None,
                verify=params.get_param("mail_lead_sync.ca_file") or True,
            )  # fmt: skip
        return ImapMailbox(self._imap_settings())

    # -- Google and Microsoft sign-in ------------------------------------------------
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
        payload = json.dumps({"a": self.id, "u": self.env.uid, "n": secrets.token_urlsafe(8)}, separators=(",", ":"))
        return f"{payload}.{hmac(self.env(su=True), 'mail_lead_sync.oauth', payload)}"

    @api.model
    def _oauth_account_from_state(self, state):
        """The mailbox a returning sign-in is for, if the state is ours and the
        current user owns that mailbox; else an empty recordset."""
        payload, _dot, signature = (state or "").rpartition(".")
        expected = hmac(self.env(su=True), "mail_lead_sync.oauth", payload)
        if not payload or not consteq(signature, expected):
            return self.browse()
        data = json.loads(payload)
        account = self.browse(data["a"]).exists()
        if not account or data["u"] != self.env.uid or account.user_id != self.env.user:
            return self.browse()
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

    def _oauth_finish_microsoft(self, params):
        flow = self.sudo().oauth_flow
        if not flow:
            raise errors.TokenRejected(_("This Microsoft sign-in is not valid any more: start again."), "no flow")
        self.sudo().oauth_flow = False  # single use, whatever happens next
        grant = self._microsoft_app().finish_sign_in(flow, params)
        self.write({"provider": "microsoft", "state": "new" if not self.last_sync_date else "ok", "last_error": False})
        self._oauth_store(grant)

    def _oauth_finish_google(self, params):
        code = params["code"]
        client_id, secret, token_uri = self._google_client()
        grant = oauth.exchange_code(oauth.GOOGLE, client_id, secret, code, self._oauth_redirect_uri(), token_uri)
        values = {"provider": "gmail", "state": "new" if not self.last_sync_date else "ok", "last_error": False}
        if not self.host:
            values.update(host="imap.gmail.com", port=993, security="ssl")
        self.write(values)
        self._oauth_store(grant)

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

    def _owner_addresses(self):
        user = self.user_id
        return frozenset(filter(None, (addresses.normalize(a) for a in (self.email, user.login, user.email))))

    def action_test_connection(self):
        self.ensure_one()
        try:
            with self._open_mailbox() as box:
                folders = box.sync_folders()
        except errors.SyncError as exc:
            self._record_error(exc)
            return self._notify(_("Connection failed"), str(exc), "danger")
        if self.state in ("error", "reconnect"):
            self.write({"state": "new" if not self.last_sync_date else "ok", "last_error": False})
        names = ", ".join(f.name for f in folders)
        return self._notify(_("Connection works"), _("Connected. Folders to sync: %(names)s", names=names), "success")

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def _record_error(self, exc):
        state = "reconnect" if isinstance(exc, errors.TokenRejected) else "error"
        self.write({"state": state, "last_error": str(exc)})
        _logger.info("mailbox %s: %s (%s)", self.id, exc, getattr(exc, "detail", ""))

    # -- syncing ---------------------------------------------------------------
    def action_sync_now(self):
        """Sync synchronously until every selected mailbox is up to date."""
        for account in self:
            if not account._sync():
                raise UserError(_("%(name)s is being synced by another worker right now.", name=account.name))
        return True

    def action_remove(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Remove %(name)s", name=self.name),
            "res_model": "mail.sync.account.remove",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    def action_disable(self):
        self.write({"sync_enabled": False})

    def action_enable(self):
        self.write({"sync_enabled": True})

    @api.model
    def _cron_sync(self):
        accounts = self.search([("sync_enabled", "=", True), ("state", "!=", "reconnect")], order="last_sync_date asc")
        cron = self.env["ir.cron"]
        for done, account in enumerate(accounts, 1):
            try:
                account._sync(time_budget=CRON_BUDGET_SECONDS)
            except Exception:  # one mailbox's bug must not stop the others
                _logger.exception("mailbox %s: sync failed", account.id)
                self.env.cr.rollback()
                account.write({"state": "error", "last_error": _("Unexpected error: see the server log.")})
            self._commit()
            cron._notify_progress(done=done, remaining=len(accounts) - done)

    def _commit(self):
        # Tests run in one transaction that must not be committed.
        if not getattr(threading.current_thread(), "testing", False):
            # One mailbox's progress survives another's failure in the same cron run.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _lock(self):
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.id])
        return self.env.cr.fetchone()[0]

    def _unlock(self):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.id])

    def _window_start(self):
        if not self.history_start:
            months = self.company_id.mail_sync_history_months or 6
            self.history_start = fields.Date.context_today(self) - relativedelta(months=months)
        return self.history_start

    def _sync(self, time_budget=None):
        """Index new mail of every folder and post what matches, one batch per
        transaction. Returns False when another worker holds this mailbox."""
        self.ensure_one()
        if not self._lock():
            return False
        try:
            finished = self._sync_locked(time_budget)
            self.write(
                {
                    "state": "ok" if finished else "partial",
                    "last_error": False,
                    "last_sync_date": fields.Datetime.now(),
                }
            )
        except (errors.SyncError, UserError) as exc:  # both say in words what the owner must do
            self._record_error(exc)
        finally:
            self._unlock()
        return True

    def _sync_locked(self, time_budget):
        deadline = time.monotonic() + time_budget if time_budget else None
        since = self._window_start()
        context = self.env["mail.sync.message"]._match_context(self)
        # Cursors are the sync's own bookkeeping: users may read them, not write them.
        Folder = self.env["mail.sync.folder"].sudo()
        with self._open_mailbox() as box:
            for found in box.sync_folders():
                folder = self.sudo().folder_ids.filtered(lambda f, name=found.name: f.name == name)
                if not folder:
                    folder = Folder.create({"account_id": self.id, "name": found.name, "role": found.role})
                cursor = folder._engine_cursor(box.cursor_type)
                if box.is_unchanged(found, cursor):
                    continue
                for batch in box.index(found, cursor, since=since, batch_size=BATCH_SIZE):
                    with self.env.cr.savepoint():
                        self.env["mail.sync.message"]._process_batch(self, folder, batch, box, context)
                        folder._store_cursor(batch.cursor, len(batch.entries), batch.remaining)
                    self._commit()
                    if deadline and time.monotonic() > deadline:
                        return False
            self.env["mail.sync.message"]._follow_threads(self, box)
        return True
