import datetime
import secrets

from markupsafe import Markup

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..engine import addresses, errors
from ..i18n_words import error_words


class MailSyncSendingMixin(models.AbstractModel):
    """Sending from a synced mailbox: the proof that its address is the owner's,
    and the outgoing server that carries only the owner's own mail. The mailbox
    (``mail.sync.account``) inherits it and computes whether the proof holds."""

    _name = "mail.sync.sending.mixin"
    _description = "Sending from a synced mailbox"

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
    send_code = fields.Char(groups="base.group_system", copy=False)
    send_code_date = fields.Datetime("Code Sent On", readonly=True, copy=False)
    smtp_host = fields.Char("Outgoing Server")
    smtp_port = fields.Integer("Outgoing Port", default=587)
    smtp_security = fields.Selection(
        [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None (unencrypted)")], default="starttls"
    )
    mail_server_id = fields.Many2one("ir.mail_server", readonly=True, copy=False, groups="base.group_system")

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
            return self._notify(_("Connection failed"), error_words(self.env, exc), "danger")
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
