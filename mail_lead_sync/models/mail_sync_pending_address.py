from odoo import api, fields, models

from ..pipeline.retro import RetroLinker


class MailSyncPendingAddress(models.Model):
    """Addresses new on a contact or lead, waiting for their past mail to be
    linked from the header index (no mailbox rescan, see ``pipeline/retro.py``)."""

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

    @api.model
    def _cron_link_new_addresses(self, chunk=200, time_budget=240):
        """Post the past emails of the queued addresses, found in the header index
        by address; asks to run again when its time is up."""
        RetroLinker(self.env).run(chunk=chunk, time_budget=time_budget)
