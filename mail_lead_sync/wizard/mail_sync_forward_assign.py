from odoo import _, fields, models
from odoo.exceptions import UserError


class MailSyncForwardAssign(models.TransientModel):
    """Put a forwarded email that matched nothing on a contact or a lead."""

    _name = "mail.sync.forward.assign"
    _description = "Assign a forwarded email"

    forward_id = fields.Many2one("mail.sync.forward", required=True, ondelete="cascade")
    email_from = fields.Char(related="forward_id.email_from")
    partner_id = fields.Many2one("res.partner", string="Contact")
    lead_id = fields.Many2one("crm.lead", string="Lead / Opportunity")
    add_address = fields.Boolean(
        "Add the sender's address", default=True, help="When the contact or lead has no email address yet."
    )

    def action_confirm(self):
        self.ensure_one()
        targets = [t for t in (self.partner_id, self.lead_id) if t]
        if not targets:
            raise UserError(_("Pick a contact or a lead."))
        for target in targets:
            self.forward_id._assign(target, self.add_address)
        return {"type": "ir.actions.act_window_close"}
