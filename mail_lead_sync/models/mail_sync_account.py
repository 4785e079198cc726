import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..engine import addresses, errors
from ..engine.netguard import host_name
from ..i18n_words import error_words
from ..pipeline.run import MailboxSync, commit, rollback
from ..pipeline.sharing import Resharer

_logger = logging.getLogger(__name__)

# Written only by Odoo itself (sudo inside methods), never through write() / RPC.
SYSTEM_FIELDS = {"send_verified_email", "send_verified_by", "send_code", "send_code_date"}
# Moving one of these moves the credentials to another server.
SERVER_FIELDS = ("host", "port", "smtp_host", "smtp_port")


class MailSyncAccount(models.Model):
    _name = "mail.sync.account"
    _inherit = [
        "mail.sync.oauth.mixin",
        "mail.sync.connection.mixin",
        "mail.sync.sending.mixin",
        "mail.sync.schedule.mixin",
    ]
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
    send_verified = fields.Boolean("Address Proven", compute="_compute_send_verified")
    send_blocked_reason = fields.Char(compute="_compute_send_verified")
    save_sent = fields.Boolean(
        "Save a Copy in Sent",
        compute="_compute_save_sent",
        store=True,
        readonly=False,
        help="Plain IMAP servers keep nothing of what is sent by SMTP; Google and Microsoft save it themselves.",
    )
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
        "mail.sync.index", "account_id", string="Synced Emails", domain=[("state", "=", "posted")], readonly=True
    )

    _sql_constraints = [("user_email_uniq", "unique(user_id, email)", "This mailbox is already connected.")]

    @api.depends("provider")
    def _compute_save_sent(self):
        for account in self:
            account.save_sent = account.provider == "imap"

    @api.depends("email", "send_verified_email", "provider")
    def _compute_send_verified(self):
        for account in self:
            proven = bool(account.email) and account.send_verified_email == addresses.normalize(account.email or "")
            account.send_verified = proven
            account.send_blocked_reason = False if proven else account._send_unproven_words()

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

    @api.depends("email")
    def _compute_name(self):
        for account in self:
            account.name = account.name or account.email

    def _compute_password_input(self):
        for account in self:
            account.password_input = False

    def _inverse_password_input(self):
        for account in self:
            if account.password_input:
                account._check_owner()
                account.sudo().password = account.password_input

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
        Resharer(self.env, self).apply(previous)

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
                    raise ValidationError(error_words(self.env, exc)) from exc

    def _check_may_connect(self):
        # Sales managers read their colleagues' mailboxes: reading is not opening
        # them with their owners' passwords.
        if self.user_id != self.env.user:
            self._check_admin(_("Only the owner of %(email)s can connect to it.", email=self.email))

    def _check_owner(self):
        if self.user_id != self.env.user and not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only the owner of a mailbox can change its credentials."))

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
        commit(self.env)

    def _rollback(self):
        rollback(self.env)

    def _sync(self, time_budget=None):
        """Index new mail of every folder and post what matches, one batch per
        transaction. Returns False when another worker holds this mailbox."""
        self.ensure_one()
        run = MailboxSync(self.env, self)
        if not run.lock():
            return False
        try:
            finished = run.run(time_budget)
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
            self._record_crash(exc)
        finally:
            run.unlock()
        return True
