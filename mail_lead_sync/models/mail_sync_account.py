import datetime
import logging
import secrets
import ssl
import threading
import time
from types import SimpleNamespace

import psycopg2
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import addresses, errors
from ..engine.mailbox import Failure, MailboxSettings, open_mailbox
from ..engine.netguard import HostPolicy, host_name

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

# Written only by Odoo itself (sudo inside methods), never through write() / RPC.
SYSTEM_FIELDS = {"send_verified_email", "send_verified_by", "send_code", "send_code_date"}
# Moving one of these moves the credentials to another server.
SERVER_FIELDS = ("host", "port", "smtp_host", "smtp_port")

# Advisory-lock namespace ("mls\0"): one worker at a time per mailbox.
LOCK_NAMESPACE = 0x6D6C7300
BATCH_SIZE = 500
# Failures that are no email's fault: the batch is tried again at the next sync.
TRANSIENT = (errors.SyncError, psycopg2.OperationalError)


class MailSyncAccount(models.Model):
    _name = "mail.sync.account"
    _inherit = ["mail.sync.oauth.mixin"]
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
    sync_enabled = fields.Boolean("Sync Emails", default=True)
    # Sending: the mailbox owns an outgoing server that carries only its owner's own
    # mail From its address (chosen in mail_mail.py; never one of Odoo's candidates).
    send_enabled = fields.Boolean(
        "Send Emails", help="Emails you write from Odoo with this address go through its server.", copy=False
    )
    # Proof that the address is the owner's, required to send: set by the system only
    # (OAuth sign-in, a code read back from the inbox, an administrator), never by write().
    send_verified_email = fields.Char("Proven Address", readonly=True, copy=False)
    send_verified_by = fields.Selection(
        [("oauth", "Provider sign-in"), ("code", "Code read back from the inbox"), ("admin", "Administrator")],
        string="Proven By",
        readonly=True,
        copy=False,
    )
    send_verified = fields.Boolean("Address Proven", compute="_compute_send_verified")
    send_blocked_reason = fields.Char(compute="_compute_send_verified")
    send_code = fields.Char(groups="base.group_system", copy=False)
    send_code_date = fields.Datetime("Code Sent On", readonly=True, copy=False)
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
        for vals in vals_list:
            self._check_system_fields(vals)
            if not self.env.su and "user_id" in vals and vals["user_id"] != self.env.uid:
                self._check_admin(_("Only an administrator can add a mailbox for someone else."))
        accounts = super().create(vals_list)
        accounts._check_send_proven()
        accounts.filtered("send_enabled")._sync_mail_server()
        return accounts

    @api.model
    def _check_system_fields(self, vals):
        if not self.env.su and SYSTEM_FIELDS & set(vals):
            raise AccessError(_("How a mailbox's address was proven is set by Odoo only."))

    def _check_admin(self, message):
        if not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(message)

    def _check_send_proven(self):
        for account in self:
            if account.send_enabled and not account.send_verified:
                raise UserError(account._send_unproven_words())

    def _send_unproven_words(self):
        how = {
            "gmail": _("sign in with Google"),
            "microsoft": _("sign in with Microsoft"),
            "exchange": _("ask an administrator to confirm it"),
        }.get(self.provider, _("click Verify Address (Odoo emails a code to it and reads it back from the inbox)"))
        return _(
            "Sending from %(email)s stays off until the address is proven to be yours: %(how)s.",
            email=self.email,
            how=how,
        )

    @api.depends("email", "send_verified_email", "provider")
    def _compute_send_verified(self):
        for account in self:
            proven = bool(account.email) and account.send_verified_email == addresses.normalize(account.email or "")
            account.send_verified = proven
            account.send_blocked_reason = False if proven else account._send_unproven_words()

    def _set_send_proven(self, how):
        """Record that the owner controls the mailbox's current address."""
        self.sudo().write(
            {
                "send_verified_email": addresses.normalize(self.email),
                "send_verified_by": how,
                "send_code": False,
                "send_code_date": False,
            }
        )

    def _clear_send_proof(self):
        self.sudo().with_context(mail_sync_no_server=True).write(
            {"send_verified_email": False, "send_verified_by": False, "send_code": False, "send_code_date": False}
        )
        self.filtered("send_enabled").sudo().write({"send_enabled": False})

    def action_confirm_address(self):
        """An administrator vouches that the address belongs to the owner."""
        self._check_admin(_("Only an administrator can confirm a mailbox's address."))
        for account in self:
            account._set_send_proven("admin")
        return True

    def action_send_verification_code(self):
        """Email a code to the address through Odoo's normal outgoing server (never the
        mailbox's: its owner chose that one), to be read back from the inbox."""
        self.ensure_one()
        self._check_owner()
        if self.provider not in ("imap", "gmail"):
            raise UserError(self._send_unproven_words())
        if self.send_code_date and self.send_code_date > fields.Datetime.now() - datetime.timedelta(minutes=1):
            raise UserError(_("A code was sent to %(email)s less than a minute ago: wait for it.", email=self.email))
        # One a minute per owner, not per mailbox: each mailbox a user adds would
        # otherwise be one more email a minute from the company's address to anybody.
        recent = fields.Datetime.now() - datetime.timedelta(minutes=1)
        if self.sudo().search_count([("user_id", "=", self.user_id.id), ("send_code_date", ">", recent)]):
            raise UserError(_("A code was sent for another of your mailboxes less than a minute ago: wait a minute."))
        company = self.company_id.sudo()
        email_from = company.email_formatted or self.env["ir.mail_server"].sudo()._get_default_from_address()
        if not email_from:
            raise UserError(
                _("Odoo has no address to send the code from: an administrator must set the company's email.")
            )
        code = f"{secrets.token_hex(4)}-{secrets.token_hex(4)}".upper()
        self.sudo().write({"send_code": code, "send_code_date": fields.Datetime.now()})
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": _("Odoo address check %(code)s", code=code),
                    "body_html": Markup("<p>%s</p><p>%s</p>")
                    % (
                        _(
                            "Odoo checks that %(email)s is the mailbox of %(name)s before sending from it.",
                            email=self.email,
                            name=self.user_id.name,
                        ),
                        _(
                            "Nothing to do: Odoo reads this code back from the inbox. If you did not ask for it, "
                            "tell your administrator."
                        ),
                    ),
                    "email_to": self.email,
                    "email_from": email_from,
                    "author_id": self.env.ref("base.partner_root").id,
                    "auto_delete": True,
                }
            )
        )
        mail.send()
        if mail.exists() and mail.state == "exception":
            return self._notify(
                _("Code not sent"),
                _("Odoo's outgoing server could not send the code: %(reason)s", reason=mail.failure_reason),
                "danger",
            )
        return self._notify(
            _("Code sent"),
            _("A code was sent to %(email)s. When it has arrived, click Check Code.", email=self.email),
            "info",
        )

    def action_check_verification_code(self):
        """Look for the code in the inbox, through the mailbox's own connection."""
        self.ensure_one()
        self._check_owner()
        code, sent = self.sudo().send_code, self.send_code_date
        if not code or not sent or sent < fields.Datetime.now() - datetime.timedelta(days=1):
            raise UserError(_("No code is waiting for %(email)s: click Verify Address first.", email=self.email))
        try:
            with self._open_mailbox() as box:
                # The code is never sent to the server (its SEARCH could echo it):
                # the last subjects are read and compared here.
                found = any(code in subject for subject in box.recent_subjects())
        except errors.SyncError as exc:
            return self._notify(_("Connection failed"), str(exc), "danger")
        if not found:
            return self._notify(
                _("Not arrived yet"),
                _("The code is not in the inbox of %(email)s yet. Try again in a minute.", email=self.email),
                "warning",
            )
        self._set_send_proven("code")
        self.write({"send_enabled": True})
        return self._notify(
            _("Address proven"), _("Emails you write from %(email)s now leave through it.", email=self.email), "success"
        )

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
        self._check_system_fields(vals)
        if {"user_id", "company_id"} & set(vals):
            self._check_admin(_("Only an administrator can give a mailbox to another owner or company."))
        before = {account.id: account.share_level for account in self} if "share_level" in vals else {}
        # Credentials follow the server they were given for: another host or port
        # (incoming or outgoing) needs the password or sign-in again.
        moved = self.filtered(
            lambda a: any(key in vals and (vals[key] or False) != (a[key] or False) for key in SERVER_FIELDS)
        )
        # A proof holds for one address and one owner.
        renamed = self.filtered(
            lambda a: (
                ("email" in vals and addresses.normalize(vals["email"] or "") != addresses.normalize(a.email or ""))
                or ("user_id" in vals and vals["user_id"] != a.user_id.id)
            )
        )
        result = super().write(vals)
        if moved and not ({"password", "password_input"} & set(vals)):
            moved.sudo().with_context(mail_sync_no_server=True).write(
                {
                    "password": False,
                    "oauth_refresh_token": False,
                    "oauth_access_token": False,
                    "oauth_expires_at": False,
                    "last_error": _("The server changed: enter the password again, or sign in again."),
                }
            )
        if renamed:
            renamed._clear_send_proof()
        if "send_enabled" in vals:
            self._check_send_proven()
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

    @api.constrains("company_id", "user_id")
    def _check_company_of_owner(self):
        # The company decides which records the mailbox posts on: only one its owner works in.
        for account in self.sudo():
            if account.company_id not in account.user_id.company_ids:
                raise ValidationError(
                    _(
                        "%(email)s can only belong to a company of %(user)s.",
                        email=account.email,
                        user=account.user_id.name,
                    )
                )

    def _check_may_connect(self):
        # Sales managers read their colleagues' mailboxes: reading is not opening
        # them with their owners' passwords.
        if self.user_id != self.env.user:
            self._check_admin(_("Only the owner of %(email)s can connect to it.", email=self.email))

    def _check_owner(self):
        if self.user_id != self.env.user and not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only the owner of a mailbox can change its credentials."))

    # -- connection ------------------------------------------------------------
    def _ssl_context(self):
        # A company mail server with its own certificate authority: the admin can
        # name its certificate file (tests point it at their Dovecot's).
        cafile = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.ca_file")
        return ssl.create_default_context(cafile=cafile or None)

    @api.constrains("host", "smtp_host", "provider")
    def _check_host(self):
        for account in self:
            names = [account.smtp_host]
            if account.provider in ("imap", "exchange"):
                names.append(account.host)
            for name in filter(None, names):
                try:
                    host_name(name)
                except errors.SyncError as exc:
                    raise ValidationError(str(exc)) from exc

    @api.model
    def _host_policy(self):
        """Where mailboxes may connect: public servers only, unless an administrator
        set ``mail_lead_sync.allow_private_hosts`` to 1 (servers on the company
        network, tests and demos on loopback)."""
        allowed = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.allow_private_hosts")
        return HostPolicy(allow_private=(allowed or "").strip().lower() in ("1", "true"), lookup=self._host_lookup())

    @api.model
    def _host_lookup(self):
        """How server names are resolved: the system's resolver (tests use their own DNS)."""
        return None

    def _exchange_endpoint(self, host):
        """The EWS URL of an Exchange server named by the user (a name, never a URL:
        the URL's shape is the administrator's, tests point it at loopback)."""
        template = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.exchange_url")
        return (template or "https://{host}/EWS/Exchange.asmx").format(host=host_name(host))

    def _mailbox_settings(self):
        """What the engine needs to open this mailbox, whatever its provider."""
        self.ensure_one()
        account = self.sudo()
        params = self.env["ir.config_parameter"].sudo()
        if self.provider == "microsoft":
            return MailboxSettings(
                provider="microsoft",
                access_token=self._oauth_access_token(),
                graph_url=params.get_param("mail_lead_sync.graph_url") or "",
            )
        if self.provider == "exchange":
            return MailboxSettings(
                provider="exchange",
                email=account.email,
                login=account.login or account.email,
                password=account.password or "",
                server=self._exchange_endpoint(account.host) if account.host else "",
                ca_file=params.get_param("mail_lead_sync.ca_file") or "",
                policy=self._host_policy(),
            )
        if not account.host:
            raise UserError(_("Set the mail server of %(email)s first.", email=account.email))
        return MailboxSettings(
            provider=self.provider,
            email=account.email,
            host=account.host,
            port=account.port,
            security=account.security,
            login=account.login or account.email,
            password=account.password or "",
            access_token=self._oauth_access_token() if account.oauth_refresh_token else "",
            timeout=30,
            ssl_context=self._ssl_context(),
            policy=self._host_policy(),
        )

    def _open_mailbox(self):
        """The engine's reader for this mailbox's provider (a context manager)."""
        return open_mailbox(self._mailbox_settings())

    def _owner_addresses(self):
        user = self.user_id
        return frozenset(filter(None, (addresses.normalize(a) for a in (self.email, user.login, user.email))))

    def action_test_connection(self):
        self.ensure_one()
        self._check_may_connect()
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
            account._check_may_connect()
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

    def _commit(self):
        # Tests run in one transaction that must not be committed.
        if not getattr(threading.current_thread(), "testing", False):
            # One mailbox's progress survives another's failure in the same cron run.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _rollback(self):
        # Tests run in one transaction (savepoints there undo a failed batch).
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.rollback()

    @api.model
    def _unexpected_error(self, exc):
        return _(
            "The sync stopped on an unexpected problem (%(error)s). What was synced before it is kept, and the "
            "next sync starts again where this one stopped. If this message stays, tell your administrator: "
            "the server log has the details.",
            error=type(exc).__name__,
        )

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
        except Exception as exc:
            _logger.exception("mailbox %s: sync failed", self.id)
            self._rollback()
            self.write({"state": "error", "last_error": self._unexpected_error(exc)})
        finally:
            self._unlock()
        return True

    def _land_batch(self, folder, batch, box, context):
        """Index, match and post one batch, and move the folder's cursor past it.

        Whatever the emails hold, the batch lands: when the database refuses the
        batch as a whole, its emails are taken one by one and those it still
        refuses are kept as failed with the reason, so one email never stops a
        mailbox. The mailbox itself failing (SyncError), or the database for a
        moment (a lost connection, a deadlock, a concurrent update), stops the
        run instead: the next one starts again at this batch."""
        Message = self.env["mail.sync.message"]
        try:
            with self.env.cr.savepoint():
                Message._process_batch(self, folder, batch, box, context)
                folder._store_cursor(batch.cursor, len(batch.entries), batch.remaining)
            return
        except TRANSIENT:
            raise
        except Exception:
            _logger.exception("mailbox %s: batch of %s refused, landing it email by email", self.id, folder.name)
        for entry in batch.entries:
            try:
                with self.env.cr.savepoint():
                    Message._process_batch(self, folder, SimpleNamespace(entries=[entry], failures=[]), box, context)
            except TRANSIENT:
                raise
            except Exception as exc:
                _logger.exception("mailbox %s: email %s of %s could not be saved", self.id, entry.key, folder.name)
                self._keep_failed(folder, [Failure(entry.key, self._unexpected_reason(exc))])
        for failure in batch.failures:
            self._keep_failed(folder, [failure])
        with self.env.cr.savepoint():
            folder._store_cursor(batch.cursor, len(batch.entries), batch.remaining)

    def _keep_failed(self, folder, failures):
        try:
            with self.env.cr.savepoint():
                self.env["mail.sync.message"]._insert_failures(self, folder, failures)
        except Exception:
            _logger.exception("mailbox %s: failed emails of %s could not be recorded", self.id, folder.name)

    @api.model
    def _unexpected_reason(self, exc):
        return _(
            "This email could not be saved (%(error)s); the rest of the mailbox was synced.",
            error=type(exc).__name__,
        )

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
                    self._land_batch(folder, batch, box, context)
                    self._commit()
                    if deadline and time.monotonic() > deadline:
                        return False
            self.env["mail.sync.message"]._follow_threads(self, box)
        return True
