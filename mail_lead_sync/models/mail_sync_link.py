from odoo import fields, models


class MailSyncLink(models.Model):
    """One synced email on one record: what makes "never twice" hold, and what a
    reply from an unknown address follows up its thread."""

    _name = "mail.sync.link"
    _description = "Synced email posted on a record"
    _order = "id desc"

    message_id = fields.Char("Message-ID", required=True, index=True, readonly=True)
    res_model = fields.Char(required=True, readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, readonly=True)
    address = fields.Char(readonly=True, help="The address that made the link (inherited along a thread).")
    reason = fields.Selection([("address", "Address"), ("thread", "Thread")], required=True, readonly=True)
    mail_message_id = fields.Many2one("mail.message", ondelete="set null", readonly=True, index="btree_not_null")
    account_id = fields.Many2one("mail.sync.account", ondelete="set null", readonly=True, index=True)

    _sql_constraints = [
        ("message_record_uniq", "unique(message_id, res_model, res_id)", "An email is posted once on a record."),
    ]
