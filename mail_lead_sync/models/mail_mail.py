from collections import defaultdict

from odoo import models, tools

from ..engine import addresses


class MailMail(models.Model):
    _inherit = "mail.mail"

    def send(self, auto_commit=False, raise_exception=False, post_send_callback=None):
        """Mail its author wrote to the outside from their own proven mailbox leaves
        through that mailbox; everything else through Odoo's normal servers."""
        own = self._mail_sync_own_mailboxes()
        # A mailbox's server named on any other mail (message_post(mail_server_id=...),
        # a template...) is dropped: Odoo chooses among its own servers instead.
        stray = self.sudo().filtered(lambda m: m.mail_server_id.mail_sync_account_id and m.id not in own)
        stray.mail_server_id = False
        by_account = defaultdict(list)
        for mail_id, account in own.items():
            by_account[account].append(mail_id)
        rest = self.browse([mail_id for mail_id in self.ids if mail_id not in own])
        if rest:
            super(MailMail, rest.with_context(mail_sync_send_account=False)).send(
                auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
            )
        for account, mail_ids in by_account.items():
            super(MailMail, self.browse(mail_ids).with_context(mail_sync_send_account=account.id)).send(
                auto_commit=auto_commit, raise_exception=raise_exception, post_send_callback=post_send_callback
            )
        return True

    def _split_by_mail_configuration(self):
        account_id = self.env.context.get("mail_sync_send_account")
        if not account_id:
            yield from super()._split_by_mail_configuration()
            return
        server = self.env["mail.sync.account"].sudo().browse(account_id).mail_server_id
        batch_size = int(self.env["ir.config_parameter"].sudo().get_param("mail.session.batch.size")) or 1000
        # As Odoo does for a mail with its server set: the From as written (with the name).
        by_from = defaultdict(list)
        for mail in self.sudo():
            emails_from = tools.mail.email_split_and_format(mail.email_from)
            by_from[emails_from[0] if emails_from else mail.email_from].append(mail.id)
        for email_from, mail_ids in by_from.items():
            for batch_ids in tools.split_every(batch_size, mail_ids):
                yield server.id, False, email_from, batch_ids

    def _send(self, auto_commit=False, raise_exception=False, smtp_session=None, **kwargs):
        account = self.env["mail.sync.account"].sudo().browse(self.env.context.get("mail_sync_send_account") or [])
        if not account or smtp_session is None:
            return super()._send(auto_commit=auto_commit, raise_exception=raise_exception, smtp_session=smtp_session,
                                 **kwargs)  # fmt: skip
        # Odoo sends one email per recipient; the Sent folder gets one copy of each
        # email, addressed to all of them (see ir_mail_server.send_email).
        smtp_session.mail_sync_copies = copies = {}
        try:
            return super()._send(auto_commit=auto_commit, raise_exception=raise_exception, smtp_session=smtp_session,
                                 **kwargs)  # fmt: skip
        finally:
            for message, recipients in copies.values():
                del message["To"]
                message["To"] = ", ".join(dict.fromkeys(recipients))
                account._save_sent_copy(message.as_bytes())

    def _mail_sync_own_mailboxes(self):
        """{mail id: mailbox} for the mails to send through a mailbox: written by the
        mailbox's owner (author and creator), From the mailbox's proven address, and
        addressed to nobody but people outside the company's users (a notification to
        a colleague is Odoo's, never the owner's mailbox's)."""
        mails = self.sudo().filtered(lambda m: m.state == "outgoing" and m.author_id and m.email_from)
        if not mails:
            return {}
        accounts = (
            self.env["mail.sync.account"]
            .sudo()
            .search([("send_enabled", "=", True), ("user_id.partner_id", "in", mails.author_id.ids)])
            .filtered(lambda a: a.send_verified and a.mail_server_id.active)
        )
        if not accounts:
            return {}
        internal = self._mail_sync_internal_addresses(mails)
        own = {}
        for mail in mails:
            sender = addresses.normalize(mail.email_from or "")
            account = accounts.filtered(
                lambda a, mail=mail, sender=sender: (
                    a.user_id == mail.create_uid
                    and a.user_id.partner_id == mail.author_id
                    and addresses.normalize(a.email) == sender
                )
            )[:1]
            if account and mail._mail_sync_to_outside_only(internal):
                own[mail.id] = account
        return own

    def _mail_sync_recipient_addresses(self):
        self.ensure_one()
        return set(addresses.normalize_all(self.email_to or "")) | set(addresses.normalize_all(self.email_cc or ""))

    def _mail_sync_internal_addresses(self, mails):
        found = set()
        for mail in mails:
            found |= mail._mail_sync_recipient_addresses()
        if not found:
            return set()
        users = (
            self.env["res.users"]
            .sudo()
            .search(
                ["&", ("share", "=", False), "|", ("email_normalized", "in", list(found)), ("login", "in", list(found))]
            )
        )
        return {addresses.normalize(a or "") for a in users.mapped("email") + users.mapped("login")} - {None}

    def _mail_sync_to_outside_only(self, internal):
        if any(not user.share for user in self.recipient_ids.user_ids):
            return False
        extra = self._mail_sync_recipient_addresses()
        return bool(self.recipient_ids or extra) and not (extra & internal)
