"""Sharing-level rewrites: what a mailbox already posted, brought to its (new)
sharing level. Lower levels are applied from what Odoo has, so they hold even when
the mailbox is unreachable; higher ones read the emails again from the mailbox."""

from ..engine.message import MalformedMessage, parse_message
from . import bodies
from .matching import MatchContext


class Resharer:
    """Rewrites one mailbox's posted emails to its sharing level."""

    def __init__(self, env, account):
        self.env = env
        self.account = account

    def apply(self, previous):
        """Bring the posted emails from the ``previous`` level to the mailbox's own."""
        account = self.account
        links = (
            self.env["mail.sync.link"]
            .sudo()
            .search([("account_id", "=", account.id), ("state", "=", "linked"), ("mail_message_id", "!=", False)])
        )
        if not links:
            return
        level = account.share_level
        match = MatchContext.for_mailbox(account)
        records = {}
        if level == "full" or previous == "metadata":
            records = self.refetch(set(links.mapped("message_id")))
        for link in links:
            message = link.mail_message_id.sudo().with_context(attachments_mime_plainxml=True)
            rec = records.get(link.message_id)
            if rec is None and (level == "full" or previous == "metadata"):
                continue  # gone from the mailbox: left as it is
            names = message.attachment_ids.mapped("name") if rec is None else None
            body, attachments = bodies.shared_body(self.env, rec, level, match.max_attachment, names)
            values = {"body": body}
            if level == "metadata":
                values["subject"] = False
            elif rec is not None:
                values["subject"] = rec.subject or False
            old_attachments = message.attachment_ids
            values["attachment_ids"] = bodies.attachment_commands(
                bodies.email_files(attachments), link.res_model, link.res_id
            )
            message.write(values)
            old_attachments.unlink()

    def refetch(self, message_ids):
        """{Message-ID: parsed email} read again from the mailbox."""
        account = self.account
        rows = (
            self.env["mail.sync.index"]
            .sudo()
            .search([("account_id", "=", account.id), ("message_id", "in", list(message_ids))])
        )
        found = {}
        with account._open_mailbox() as box:
            for folder in rows.folder_id:
                in_folder = rows.filtered(lambda r, f=folder: r.folder_id == f)
                by_key = {row.key: row for row in in_folder}
                for key, raw in box.fetch_bodies(folder._engine_folder(), list(by_key)):
                    if raw:
                        try:
                            found[by_key[key].message_id] = parse_message(raw, keep_attachment_content=True)
                        except MalformedMessage:
                            continue
        return found
