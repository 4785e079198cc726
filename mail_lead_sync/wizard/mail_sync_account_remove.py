from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class MailSyncAccountRemove(models.TransientModel):
    _name = "mail.sync.account.remove"
    _description = "Remove a synced mailbox"

    account_id = fields.Many2one("mail.sync.account", required=True, ondelete="cascade")
    synced_count = fields.Integer(compute="_compute_synced_count")
    keep_messages = fields.Selection(
        [("keep", "Keep them in the chatter"), ("delete", "Delete them from the chatter")],
        string="Emails it synced",
        default="keep",
        required=True,
    )

    def _is_owner(self):
        return self.account_id.sudo().user_id == self.env.user or self.env.user.has_group("base.group_system")

    @api.constrains("account_id")
    def _check_account_id(self):
        for wizard in self:
            if not wizard._is_owner():
                raise AccessError(_("Only the owner of a mailbox can remove it."))

    @api.depends("account_id")
    def _compute_synced_count(self):
        # Also computed for unsaved wizards (onchange), where no constraint runs yet:
        # nobody counts another user's synced emails through it.
        for wizard in self:
            wizard.synced_count = (
                self.env["mail.sync.link"]
                .sudo()
                .search_count([("account_id", "=", wizard.account_id.id), ("mail_message_id", "!=", False)])
                if wizard.account_id and wizard._is_owner()
                else 0
            )

    def action_confirm(self):
        self.ensure_one()
        account = self.account_id
        account._check_owner()
        if self.keep_messages == "delete":
            links = self.env["mail.sync.link"].sudo().search([("account_id", "=", account.id)])
            links.mail_message_id.sudo().unlink()
            links.unlink()
        account.unlink()
        return {"type": "ir.actions.act_window_close"}
