import dataclasses

from odoo import fields, models

from ..engine.mailbox import Folder


class MailSyncFolder(models.Model):
    _name = "mail.sync.folder"
    _description = "Synced mailbox folder and its read position"
    _order = "account_id, id"

    account_id = fields.Many2one("mail.sync.account", required=True, ondelete="cascade", index=True)
    name = fields.Char(required=True, readonly=True)
    role = fields.Selection([("inbox", "Inbox"), ("sent", "Sent"), ("all", "All Mail")], required=True, readonly=True)
    # The reader's own position, as JSON: UIDVALIDITY/MODSEQ for IMAP (unsigned
    # 32/64-bit numbers that don't fit int4), a delta link for Microsoft 365, a
    # sync state for Exchange.
    cursor = fields.Json(readonly=True, copy=False)
    message_count = fields.Integer("Indexed", readonly=True)
    remaining_count = fields.Integer("Still to Read", readonly=True)

    _sql_constraints = [("account_name_uniq", "unique(account_id, name)", "A folder is listed once per mailbox.")]

    def _engine_folder(self):
        return Folder(self.name, self.role)

    def _engine_cursor(self, cursor_type):
        try:
            return cursor_type(**self.cursor) if self.cursor else None
        except TypeError:  # a position of another kind of reader: start over
            return None

    def _store_cursor(self, cursor, indexed, remaining):
        self.write(
            {
                "cursor": dataclasses.asdict(cursor),
                "message_count": self.message_count + indexed,
                "remaining_count": remaining,
            }
        )
