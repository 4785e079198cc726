from odoo import models
from odoo.tools import SQL
from odoo.tools.mail import email_normalize, email_split_tuples

from odoo.addons.mail.tools.discuss import Store

from ..pipeline.posting import sender_contacts


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

    def _author_to_store(self, store: Store):
        super()._author_to_store(store)
        # A synced email whose sender matched no contact when it was posted (a reply
        # by thread from another address): the contact with that address, if one was
        # added since and the reader may see it; otherwise the sender's name and
        # address as people write them, not the raw header. No contact is created.
        authorless = self.filtered(lambda m: not m.sudo().author_id and not m.sudo().author_guest_id and m.email_from)
        if not authorless:
            return
        synced = self.env["mail.sync.link"].sudo().search([("mail_message_id", "in", authorless.ids)])
        messages = authorless & synced.mail_message_id
        senders = {message: email_split_tuples(message.email_from)[:1] for message in messages}
        addresses = {email_normalize(address) for pairs in senders.values() for _name, address in pairs}
        self.env["res.partner"].flush_model()
        authors = sender_contacts(self.env, addresses - {False}, self.env.company)
        partners = self.env["res.partner"].browse(set(authors.values()))._filtered_access("read")
        for message, pairs in senders.items():
            if not pairs:
                continue
            name, address = pairs[0]
            partner = partners.browse(authors.get(email_normalize(address))) & partners
            if partner:
                store.add(message, {"author": Store.one(partner, fields=["name", "is_company", "user", "write_date"])})
            else:
                store.add(message, {"email_from": f"{name} ({address})" if name and name != address else address})
