from odoo import api, fields, models

from ..engine import addresses


class ResCompany(models.Model):
    _inherit = "res.company"

    mail_sync_excluded_domains = fields.Text(
        string="Excluded Email Domains",
        compute="_compute_mail_sync_excluded_domains",
        store=True,
        readonly=False,
        help="Mail whose only other participants are at these domains is never synced "
        "(one domain per line or comma separated). Defaults to the domain of the company's email.",
    )
    mail_sync_history_months = fields.Integer(
        string="Email History (months)",
        default=6,
        help="How far back a newly connected mailbox is imported, and how far back a new "
        "contact address finds its past conversations.",
    )

    @api.depends("email")
    def _compute_mail_sync_excluded_domains(self):
        # Fill in the company's own domain once; never overwrite what an admin typed.
        for company in self:
            if not company.mail_sync_excluded_domains:
                domain = addresses.domain_of(addresses.normalize(company.email or "") or "")
                company.mail_sync_excluded_domains = domain or False

    def _mail_sync_excluded_domain_set(self):
        self.ensure_one()
        return addresses.parse_domain_list(self.mail_sync_excluded_domains)
