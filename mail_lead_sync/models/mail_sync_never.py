from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..engine import rules


class MailSyncNever(models.Model):
    """A never-sync entry: an address or an ``@domain`` whose emails are synced
    nowhere. Company-wide (set by administrators) or a user's own (for the
    mailboxes that user owns)."""

    _name = "mail.sync.never"
    _description = "Never-sync address or domain"
    _order = "entry"

    entry = fields.Char("Address or @domain", required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    user_id = fields.Many2one(
        "res.users", string="Owner", index=True, ondelete="cascade", help="Empty: the whole company's list."
    )

    _sql_constraints = [
        ("entry_uniq", "unique(company_id, user_id, entry)", "This entry is already on the list."),
    ]

    @api.model
    def _normalize_entry(self, entry):
        domains, found = rules.parse_never_list([entry])
        if found:
            return next(iter(found))
        if domains:
            return "@" + next(iter(domains))
        raise ValidationError(_("%(entry)s is neither an email address nor a domain.", entry=entry))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_owner_values(vals)
            if vals.get("entry"):
                vals["entry"] = self._normalize_entry(vals["entry"])
        return super().create(vals_list)

    def write(self, vals):
        self._check_owner_values(vals)
        if vals.get("entry"):
            vals["entry"] = self._normalize_entry(vals["entry"])
        return super().write(vals)

    @api.model
    def _check_owner_values(self, vals):
        """A user's entry stays theirs, in one of their companies. Record rules are
        checked before a write, not after: without this, a user would turn their
        own entry into a company entry (no owner) or another user's."""
        if self.env.su or self.env.user.has_group("base.group_system"):
            return
        if "user_id" in vals and vals["user_id"] != self.env.uid:
            raise AccessError(_("Only administrators change the company's never-sync list or another user's."))
        if "company_id" in vals and vals["company_id"] not in self.env.user.company_ids.ids:
            raise AccessError(_("A never-sync entry belongs to one of your companies."))

    # -- what an entry takes away ------------------------------------------------
    @api.model
    def _links_for(self, entries, company, user=None):
        """Synced links an entry list would remove: emails with such a participant,
        from the company's mailboxes (or only ``user``'s)."""
        domains, found = rules.parse_never_list(entries)
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT DISTINCT l.id FROM mail_sync_link l
              JOIN mail_sync_index m ON m.message_id = l.message_id
              JOIN mail_sync_account a ON a.id = m.account_id
             WHERE l.state = 'linked' AND l.mail_message_id IS NOT NULL AND a.company_id = %(company)s
               AND (%(user)s IS NULL OR (a.user_id = %(user)s AND l.account_id = a.id))
               AND EXISTS (SELECT 1 FROM unnest(m.participants) p
                            WHERE p = ANY(%(found)s) OR split_part(p, '@', 2) = ANY(%(domains)s))
            """,
            {"company": company.id, "user": user.id if user else None, "found": list(found), "domains": list(domains)},
        )
        return self.env["mail.sync.link"].sudo().browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _mark_index(self, links):
        # Only the index of the mailboxes that posted these links: the same email in
        # another user's (or company's) mailbox is theirs, and stays as it is.
        self.env["mail.sync.index"].sudo().search(
            [
                ("message_id", "in", links.mapped("message_id")),
                ("account_id", "in", links.account_id.ids),
                ("state", "=", "posted"),
            ]
        ).write({"state": "skipped", "reason": "never-sync list"})
