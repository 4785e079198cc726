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
        believes). Users change their own in Preferences, as Odoo lets them, but not
        to the address of an existing contact: a client's address typed there would
        silence the company's sync with that client. A colleague's is changed by
        user administrators only. Addresses at the user's companies' own domains are
        internal anyway: those changes are free."""
        if self.env.su or self.env.user.has_group("base.group_erp_manager"):
            return
        new = addresses.normalize(email or "")
        for partner in self.sudo():
            users = partner.with_context(active_test=False).user_ids.filtered(lambda u: not u.share)
            if not users or addresses.normalize(partner.email or "") == new:
                continue
            own_domains = set().union(*(c._mail_sync_excluded_domain_set() for c in users.company_ids))
            if new and addresses.domain_of(new) in own_domains:
                continue
            if users != self.env.user:
                raise AccessError(_("Only an administrator can change the email of %(name)s.", name=partner.name))
            if new and self.search_count([("email_normalized", "=", new), ("partner_share", "=", True)], limit=1):
                raise AccessError(
                    _("%(email)s is a contact's address: only an administrator can make it yours.", email=new)
                )
