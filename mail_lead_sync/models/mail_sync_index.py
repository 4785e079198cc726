from odoo import _, fields, models
from odoo.exceptions import UserError


class MailSyncIndex(models.Model):
    """The header index: one row per email per mailbox, enough to match it again
    later (participants, thread) without reading the mailbox. Written in bulk, in
    SQL, by ``pipeline/index.py``."""

    _name = "mail.sync.index"
    _description = "Indexed email header"
    _order = "date desc, id desc"

    account_id = fields.Many2one("mail.sync.account", required=True, ondelete="cascade", index=True, readonly=True)
    folder_id = fields.Many2one("mail.sync.folder", required=True, ondelete="cascade", readonly=True)
    key = fields.Char(
        "Place in Folder",
        readonly=True,
        help="Where the email is in its folder: its UID (IMAP) or the server's id (Graph, EWS).",
    )
    message_id = fields.Char("Message-ID", required=True, readonly=True)
    date = fields.Datetime(readonly=True, index=True)
    subject = fields.Char(readonly=True)
    from_address = fields.Char(readonly=True)
    noise = fields.Char(readonly=True, help="Why it looks automatic or bulk.")
    state = fields.Selection(
        [("indexed", "Not linked"), ("posted", "Synced"), ("skipped", "Skipped"), ("failed", "Could not be read")],
        default="indexed",
        readonly=True,
    )
    reason = fields.Char(readonly=True)
    # Also: participants text[] and thread_ids text[] (see init), matched in SQL, and identity
    # (engine.message.identity), which tells copies of an email from other emails with its id.

    _sql_constraints = [
        ("account_message_uniq", "unique(account_id, message_id)", "An email is indexed once per mailbox."),
    ]

    def init(self):
        cr = self.env.cr
        # Indexes of before the one key column: their place moves into it (once).
        cr.execute(
            """
            DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_name = 'mail_sync_index' AND column_name = 'remote_id') THEN
                    UPDATE mail_sync_index SET key = coalesce(remote_id, uid::text) WHERE key IS NULL;
                    ALTER TABLE mail_sync_index DROP COLUMN uid, DROP COLUMN remote_id;
                END IF;
            END $$;
            ALTER TABLE mail_sync_index ADD COLUMN IF NOT EXISTS participants text[] NOT NULL DEFAULT '{}';
            ALTER TABLE mail_sync_index ADD COLUMN IF NOT EXISTS thread_ids text[] NOT NULL DEFAULT '{}';
            ALTER TABLE mail_sync_index ADD COLUMN IF NOT EXISTS identity varchar;
            CREATE INDEX IF NOT EXISTS mail_sync_index_participants_idx
                ON mail_sync_index USING gin (participants);
            CREATE INDEX IF NOT EXISTS mail_sync_index_message_id_idx ON mail_sync_index (message_id);
            """
        )

    def action_delete_everywhere(self):
        """The mailbox owner takes an email back from every record this mailbox
        posted it on. A Message-ID is no authority: the same email posted from
        another mailbox (or planted in this one) stays where that mailbox put it."""
        for row in self:
            if row.account_id.user_id != self.env.user and not self.env.user.has_group("base.group_system"):
                raise UserError(_("Only the owner of the mailbox can delete its emails everywhere."))
        Link = self.env["mail.sync.link"].sudo()
        for account in self.account_id:
            rows = self.filtered(lambda r, a=account: r.account_id == a)
            Link.search(
                [("message_id", "in", rows.mapped("message_id")), ("account_id", "=", account.id)]
            )._reject_and_remove()
        self.sudo().write({"state": "skipped", "reason": "deleted by its owner"})
        return True
