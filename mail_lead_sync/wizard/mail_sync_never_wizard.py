from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MailSyncNeverWizard(models.TransientModel):
    """Add a never-sync entry, after saying what it removes."""

    _name = "mail.sync.never.wizard"
    _description = "Add a never-sync entry"

    entry = fields.Char("Address or @domain", required=True)
    scope = fields.Selection([("company", "Whole company"), ("user", "My mailboxes")], default="user", required=True)
    preview = fields.Char(compute="_compute_preview")

    def _target(self):
        user = self.env.user if self.scope == "user" else None
        return self.env.company, user

    @api.depends("entry", "scope")
    def _compute_preview(self):
        Never = self.env["mail.sync.never"]
        for wizard in self:
            wizard.preview = False
            if not wizard.entry:
                continue
            # What a company entry takes away counts every mailbox of the company:
            # only those who may add one see it.
            if wizard.scope == "company" and not self.env.user.has_group("base.group_system"):
                wizard.preview = _("Only administrators change the company's never-sync list.")
                continue
            try:
                entry = Never._normalize_entry(wizard.entry)
            except Exception:  # noqa: BLE001 - the message comes when the user confirms
                continue
            links = Never._links_for([entry], *wizard._target())
            records = {(link.res_model, link.res_id) for link in links}
            wizard.preview = self._removes_words(entry, len(set(links.mapped("message_id"))), len(records))

    @api.model
    def _removes_words(self, entry, messages, records):
        # One sentence per plural form, each translated whole.
        if not messages:
            return _("Adding %(entry)s removes no synced email.", entry=entry)
        if messages == 1 and records == 1:
            return _("Adding %(entry)s removes 1 synced email, from 1 record.", entry=entry)
        if messages == 1:
            return _("Adding %(entry)s removes 1 synced email, from %(records)s records.", entry=entry, records=records)
        if records == 1:
            return _("Adding %(entry)s removes %(messages)s synced emails, from 1 record.", entry=entry,
                     messages=messages)  # fmt: skip
        return _(
            "Adding %(entry)s removes %(messages)s synced emails, from %(records)s records.",
            entry=entry,
            messages=messages,
            records=records,
        )

    def action_confirm(self):
        self.ensure_one()
        company, owner = self._target()
        if not owner and not self.env.user.has_group("base.group_system"):
            raise UserError(_("Only administrators change the company's never-sync list."))
        Never = self.env["mail.sync.never"].sudo()
        entry = Never._normalize_entry(self.entry)
        if not Never.search_count([("entry", "=", entry), ("company_id", "=", company.id),
                                   ("user_id", "=", owner.id if owner else False)]):  # fmt: skip
            Never.create({"entry": entry, "company_id": company.id, "user_id": owner.id if owner else False})
        links = Never._links_for([entry], company, owner)
        Never._mark_index(links)
        # Not remembered as "not related": the list itself keeps them out, and
        # taking the entry off the list lets them be synced again.
        links.mapped("mail_message_id").sudo().unlink()
        links.unlink()
        return {"type": "ir.actions.act_window_close"}
