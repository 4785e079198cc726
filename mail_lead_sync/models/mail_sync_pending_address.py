from odoo import api, fields, models


class MailSyncPendingAddress(models.Model):
    """Addresses new on a contact or lead, waiting for their past mail to be
    linked from the header index (no mailbox rescan)."""

    _name = "mail.sync.pending.address"
    _description = "New contact address to link past emails to"

    address = fields.Char(required=True, index=True)

    @api.model
    def _queue(self, addresses):
        addresses = {a for a in addresses if a}
        if not addresses:
            return
        known = set(self.sudo().search([("address", "in", list(addresses))]).mapped("address"))
        new = addresses - known
        if new:
            self.sudo().create([{"address": a} for a in new])
            self.env.ref("mail_lead_sync.ir_cron_mail_sync_link").sudo()._trigger()
