from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MailSyncForwardAssign(models.TransientModel):
    """Put a forwarded email that matched nothing on a contact or a lead."""

    _name = "mail.sync.forward.assign"
    _description = "Assign a forwarded email"

    forward_id = fields.Many2one("mail.sync.forward", required=True, ondelete="cascade")
    # Read as the user (not sudo, as related fields are by default): a wizard
    # pointed at someone else's forward shows nothing of it.
    email_from = fields.Char(related="forward_id.email_from", compute_sudo=False)
    partner_id = fields.Many2one("res.partner", string="Contact")
    lead_id = fields.Many2one("crm.lead", string="Lead / Opportunity")
    add_address = fields.Boolean(
        "Add the sender's address", default=True, help="When the contact or lead has no email address yet."
    )

    @api.constrains("forward_id")
    def _check_forward_id(self):
        self.forward_id._check_forwarder()

    def action_confirm(self):
        self.ensure_one()
        targets = [t for t in (self.partner_id, self.lead_id) if t]
        if not targets:
            raise UserError(_("Pick a contact or a lead."))
        for target in targets:
            self.forward_id._assign(target, self.add_address)
        return {"type": "ir.actions.act_window_close"}
