from odoo import models
from odoo.tools import SQL


class MailMessage(models.Model):
    _inherit = "mail.message"

    # Synced emails are the company's correspondence: Odoo lets portal users read the
    # chatter of every contact of their own company, never these.
    def _search(self, domain, offset=0, limit=None, order=None):
        query = super()._search(domain, offset, limit, order)
        if self.env.su or self.env.user._is_internal() or query.is_empty():
            return query
        query.add_where(
            SQL(
                "NOT EXISTS (SELECT 1 FROM mail_sync_link l WHERE l.mail_message_id = %s)",
                SQL.identifier(query.table, "id"),
            )
        )
        return query

    def _get_forbidden_access(self, operation):
        forbidden = super()._get_forbidden_access(operation)
        if self.env.su or self.env.user._is_internal():
            return forbidden
        links = self.env["mail.sync.link"].sudo().search([("mail_message_id", "in", (self - forbidden).ids)])
        return forbidden | self.browse(links.mail_message_id.ids)
