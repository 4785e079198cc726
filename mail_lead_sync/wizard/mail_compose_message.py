from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import formataddr


class MailComposeMessage(models.TransientModel):
    """ "Send From": which of the user's sending mailboxes sends this email."""

    _inherit = "mail.compose.message"

    mail_sync_account_id = fields.Many2one(
        "mail.sync.account",
        string="Send From",
        domain=lambda self: [("user_id", "=", self.env.uid), ("send_enabled", "=", True)],
        compute="_compute_mail_sync_account_id",
        readonly=False,
        store=True,
        help="The mailbox this email leaves through (its outgoing server is chosen by this address).",
    )
    mail_sync_account_count = fields.Integer(compute="_compute_mail_sync_account_count")

    def _mail_sync_accounts(self):
        return self.env["mail.sync.account"].search([("user_id", "=", self.env.uid), ("send_enabled", "=", True)])

    @api.depends("composition_mode")
    @api.depends_context("uid")
    def _compute_mail_sync_account_count(self):
        count = len(self._mail_sync_accounts())
        for composer in self:
            composer.mail_sync_account_count = count

    @api.depends("composition_mode")
    def _compute_mail_sync_account_id(self):
        accounts = self._mail_sync_accounts()
        # The default is the mailbox whose address is the user's own.
        default = accounts.filtered(lambda a: a.email == (self.env.user.email or "").lower())[:1]
        for composer in self:
            composer.mail_sync_account_id = default if composer.composition_mode == "comment" else False

    @api.onchange("mail_sync_account_id")
    def _onchange_mail_sync_account_id(self):
        if self.mail_sync_account_id:
            self.email_from = formataddr((self.env.user.name, self.mail_sync_account_id.email))

    @api.constrains("mail_sync_account_id")
    def _check_mail_sync_account_id(self):
        # Sales managers can read every mailbox: picking a colleague's is refused here,
        # whatever the client sends (mail.mail would send it through Odoo's server anyway).
        for composer in self:
            account = composer.mail_sync_account_id
            if account and (account.user_id != self.env.user or not account.send_enabled):
                raise AccessError(_("You can only send from your own mailboxes."))

    def _prepare_mail_values(self, res_ids):
        self._check_mail_sync_account_id()
        values = super()._prepare_mail_values(res_ids)
        if self.mail_sync_account_id and self.composition_mode == "comment":
            email_from = formataddr((self.env.user.name, self.mail_sync_account_id.email))
            for res_values in values.values():
                res_values["email_from"] = email_from
        return values
