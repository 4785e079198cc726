import datetime

from odoo import api, models
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.mail import email_normalize, email_split_tuples

from odoo.addons.mail.tools.discuss import Store

from ..pipeline.posting import sender_contacts

# The order of a record's chatter: the emails' own dates (a history import or a
# retroactive link creates old emails after new ones), the id breaking ties.
CHATTER_ORDER = "date DESC, id DESC"


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

    def _to_store(self, store, /, **kwargs):
        """Synced emails also carry their "why" line (``mail_sync_why``), shown
        beside the email and not in it: the CRM's note on why the email is on the
        record. Only employees get it, and only in answers to their own requests
        (never in what Odoo broadcasts)."""
        super()._to_store(store, **kwargs)
        if not kwargs.get("for_current_user") or not self.env.user._is_internal():
            return
        # sudo: links are the sync's bookkeeping; the messages are the caller's to read.
        Link = self.env["mail.sync.link"].sudo()
        links = Link.search([("mail_message_id", "in", self.ids), ("state", "=", "linked")])
        for link in links:
            store.add(self.browse(link.mail_message_id.id), {"mail_sync_why": link._why_line()})

    @api.model
    def _message_fetch(self, domain, search_term=None, before=None, after=None, around=None, limit=30):
        """A record's chatter (the thread controller asks with ``mail_sync_by_date``)
        pages by date: the cursors Odoo's client sends (``before``, ``after``,
        ``around``: a message id) stand for that message's place in the order
        (date, id), so a page never skips or repeats a message. Discuss channels
        and the inbox keep Odoo's order by id."""
        if not self.env.context.get("mail_sync_by_date"):
            return super()._message_fetch(
                domain, search_term=search_term, before=before, after=after, around=around, limit=limit
            )
        res = {}
        if search_term:
            # As Odoo's own search in a chatter: the words anywhere in the message.
            search_term = search_term.replace(" ", "%")
            attachments = self.env["ir.attachment"].sudo()._search([("name", "ilike", search_term)])
            domain = expression.AND([domain, expression.OR([
                [("attachment_ids", "in", attachments)],
                [("body", "ilike", search_term)],
                [("subject", "ilike", search_term)],
                [("subtype_id.description", "ilike", search_term)],
            ])])  # fmt: skip
            domain = expression.AND([domain, [("message_type", "not in", ["user_notification", "notification"])]])
            res["count"] = self.search_count(domain)
        if around is not None:
            older = self.search([*domain, *self._chatter_cursor(around, "<=")], limit=limit // 2, order=CHATTER_ORDER)
            newer = self.search([*domain, *self._chatter_cursor(around, ">")], limit=limit // 2, order="date, id")
            return {**res, "messages": (newer | older).sorted(_chatter_key, reverse=True)}
        if before:
            domain = expression.AND([domain, self._chatter_cursor(before, "<")])
        if after:
            domain = expression.AND([domain, self._chatter_cursor(after, ">")])
        messages = self.search(domain, limit=limit, order="date, id" if after else CHATTER_ORDER)
        res["messages"] = messages.sorted(_chatter_key, reverse=True) if after else messages
        return res

    @api.model
    def _chatter_cursor(self, message_id, operator):
        """The domain of the messages on the ``operator`` side of a message in the
        order (date, id). Only the message's date is read (sudo: the client names
        a message it was shown; the domain the cursor joins keeps the user's access)."""
        pivot = self.sudo().browse(int(message_id)).exists()
        if not pivot or not pivot.date:
            return [("id", operator, int(message_id))]
        strict = operator.rstrip("=")
        return ["|", ("date", strict, pivot.date), "&", ("date", "=", pivot.date), ("id", operator, pivot.id)]


def _chatter_key(message):
    return message.date or datetime.datetime.min, message.id
