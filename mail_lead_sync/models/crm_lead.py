from odoo import api, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        self.env["mail.sync.pending.address"]._queue(leads.mapped("email_normalized"))
        return leads

    def write(self, vals):
        result = super().write(vals)
        if "email_from" in vals or "partner_id" in vals:
            self.env["mail.sync.pending.address"]._queue(
                self.mapped("email_normalized") + self.mapped("partner_id.email_normalized")
            )
        return result
