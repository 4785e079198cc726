from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mail_sync_excluded_domains = fields.Text(related="company_id.mail_sync_excluded_domains", readonly=False)
    mail_sync_history_months = fields.Integer(related="company_id.mail_sync_history_months", readonly=False)
