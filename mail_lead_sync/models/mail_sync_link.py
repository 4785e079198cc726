from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MailSyncLink(models.Model):
    """One synced email on one record: what makes "never twice" hold, what a
    reply from an unknown address follows up its thread, why the email is on the
    record, and a user's "not related" decision."""

    _name = "mail.sync.link"
    _description = "Synced email posted on a record"
    _order = "id desc"

    message_id = fields.Char("Message-ID", required=True, index=True, readonly=True)
    res_model = fields.Char(required=True, readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, readonly=True)
    address = fields.Char(readonly=True, help="The address that made the link (inherited along a thread).")
    header = fields.Char(readonly=True, help="The header that carried the address: From, To, Cc or Bcc.")
    reason = fields.Selection(
        [("address", "Address"), ("thread", "Thread"), ("manual", "Assigned by hand")], required=True, readonly=True
    )
    why = fields.Char(readonly=True, help="The line shown with the message: why it is on this record.")
    state = fields.Selection(
        [("linked", "Linked"), ("rejected", "Not related")],
        default="linked",
        required=True,
        readonly=True,
        help="Not related: a user took it off this record; no sync brings it back.",
    )
    mail_message_id = fields.Many2one("mail.message", ondelete="set null", readonly=True, index="btree_not_null")
    account_id = fields.Many2one("mail.sync.account", ondelete="set null", readonly=True, index=True)

    _sql_constraints = [
        ("message_record_uniq", "unique(message_id, res_model, res_id)", "An email is posted once on a record."),
    ]

    def _why_line(self):
        """The "why" line in the reader's language: written again from what the
        link keeps when it came from a mailbox, else the line stored when it was made."""
        self.ensure_one()
        owner = self.account_id.user_id
        if self.reason not in ("address", "thread") or not owner:
            return self.why
        return self.env["mail.sync.message"]._why(
            self.reason, self.address, self.header, self.res_model, _("%(owner)s's mailbox", owner=owner.name)
        )

    @api.model
    def action_not_related(self, mail_message_id):
        """Take a synced email off the record it is on (there only) and remember it."""
        message = self.env["mail.message"].browse(mail_message_id).exists()
        link = self.sudo().search([("mail_message_id", "=", message.id), ("state", "=", "linked")], limit=1)
        if not message or not link:
            raise UserError(_("This message was not synced from a mailbox."))
        # Whoever may edit the record may say what does not belong on it.
        self.env[link.res_model].browse(link.res_id).check_access("write")
        link.write({"state": "rejected", "mail_message_id": False})
        message.sudo().unlink()
        return True

    def _reject_and_remove(self):
        """Remove the posted messages of these links and remember the removal."""
        messages = self.mapped("mail_message_id")
        self.write({"state": "rejected", "mail_message_id": False})
        messages.sudo().unlink()
