from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        self.env["mail.sync.pending.address"]._queue(partners.mapped("email_normalized"))
        return partners

    def write(self, vals):
        result = super().write(vals)
        if "email" in vals:
            self.env["mail.sync.pending.address"]._queue(self.mapped("email_normalized"))
        return result
