from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    mail_sync_account_ids = fields.One2many("mail.sync.account", "user_id", string="Synced Mailboxes")

    def action_mail_sync_my_accounts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail_lead_sync.mail_sync_account_action_my")
        action["context"] = {"default_user_id": self.env.user.id}
        return action

    def _mail_sync_never_entries(self):
        """This user's own never-sync list (applies to the mailboxes they own)."""
        self.ensure_one()
        return self.env["mail.sync.never"].sudo().search([("user_id", "=", self.id)]).mapped("entry")

    def action_mail_sync_my_never_list(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail_lead_sync.mail_sync_never_action_my")
        action["context"] = {"default_user_id": self.env.user.id}
        return action
