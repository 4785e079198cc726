from odoo import _, api, models
from odoo.exceptions import AccessError

from ..engine import addresses


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        self.env["mail.sync.pending.address"]._queue(partners.mapped("email_normalized"))
        return partners

    def write(self, vals):
        if "email" in vals:
            self._mail_sync_check_user_email(vals["email"])
        result = super().write(vals)
        if "email" in vals:
            self.env["mail.sync.pending.address"]._queue(self.mapped("email_normalized"))
        return result

    def _mail_sync_check_user_email(self, email):
        """An internal user's email is one of the company's own addresses to the sync
        (never synced, the author of their emails, a forwarder the log address
        believes): only user administrators change it. Otherwise a user who typed a
        client's address, their own or a colleague's, would silence the company's
        sync with that client and author the client's emails. An address at one of
        the user's companies' own domains is internal anyway: that change is free."""
        if self.env.su or self.env.user.has_group("base.group_erp_manager"):
            return
        new = addresses.normalize(email or "")
        for partner in self.sudo():
            users = partner.with_context(active_test=False).user_ids.filtered(lambda u: not u.share)
            if not users or addresses.normalize(partner.email or "") == new:
                continue
            own_domains = set().union(*(c._mail_sync_excluded_domain_set() for c in users.company_ids))
            if not new or addresses.domain_of(new) not in own_domains:
                raise AccessError(_("Only an administrator can change the email of %(name)s.", name=partner.name))
