import base64
import logging
import smtplib

from odoo import _, fields, models, modules

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from ..engine import errors

_logger = logging.getLogger(__name__)


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    mail_sync_account_id = fields.Many2one(
        "mail.sync.account", string="Mailbox", readonly=True, ondelete="cascade", index="btree_not_null"
    )

    def _find_mail_server(self, email_from, mail_servers=None):
        # A mailbox's server carries its owner's own mail only (chosen explicitly by
        # mail.mail, see mail_mail.py): it is never a candidate of Odoo's choice, not
        # even as the fallback, whatever the From.
        if mail_servers is None:
            mail_servers = self.sudo().search([("mail_sync_account_id", "=", False)], order="sequence")
        else:
            mail_servers = mail_servers.filtered(lambda server: not server.sudo().mail_sync_account_id)
        return super()._find_mail_server(email_from, mail_servers=mail_servers)

    def _mail_sync_allowed_account(self, mail_server_id):
        """The mailbox of this server, which must be the one mail.mail is sending the
        owner's own mail through (context ``mail_sync_send_account``); refused otherwise."""
        account = self.sudo().browse(mail_server_id).mail_sync_account_id if mail_server_id else None
        if account and self.env.context.get("mail_sync_send_account") != account.id:
            raise MailDeliveryException(
                _(
                    "The outgoing server of the mailbox %(email)s sends only its owner's own emails.",
                    email=account.email,
                )
            )
        return account or self.env["mail.sync.account"]

    def _smtp_login(self, connection, smtp_user, smtp_password):
        account = self.mail_sync_account_id.sudo() if len(self) == 1 else self.env["mail.sync.account"]
        if not account.oauth_refresh_token:
            return super()._smtp_login(connection, smtp_user, smtp_password)
        # A Google-signed-in mailbox sends with its access token (SASL XOAUTH2).
        token = account._oauth_access_token()
        auth = base64.b64encode(f"user={smtp_user}\x01auth=Bearer {token}\x01\x01".encode()).decode()
        connection.ehlo_or_helo_if_needed()
        code, reply = connection.docmd("AUTH", f"XOAUTH2 {auth}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, reply)
        return None

    def connect(self, *args, **kwargs):
        # A host given positionally: plain SMTP with the caller's parameters, no server record.
        account = self.env["mail.sync.account"]
        if not args:
            account = self._mail_sync_allowed_account(kwargs.get("mail_server_id"))
        if account and account.provider in ("microsoft", "exchange") and not modules.module.current_test:
            # Microsoft 365 mailboxes send through Graph and Exchange ones through EWS, not SMTP.
            return _MailboxSession(account, kwargs.get("smtp_from") or account.email, account.email)
        try:
            if account:
                # The owner typed this server: it gets the owner's password only where
                # the incoming one could go (public servers, unless an admin allows private ones).
                account._host_policy().address(self.sudo().browse(kwargs["mail_server_id"]).smtp_host)
            connection = super().connect(*args, **kwargs)
        except Exception as exc:
            if account:
                account._record_send_error(_smtp_words(account.env, exc))
            raise
        if connection is not None and account:
            connection.mail_sync_account_id = account.id
        return connection

    def send_email(self, message, *args, **kwargs):
        mail_server_id = kwargs.get("mail_server_id") or (args[0] if args else None)
        session = kwargs.get("smtp_session") or (args[8] if len(args) > 8 else None)
        if session is not None:
            account_id = getattr(session, "mail_sync_account_id", None)
            account = self.env["mail.sync.account"].sudo().browse(account_id or [])
        else:
            account = self._mail_sync_allowed_account(mail_server_id).sudo()
        try:
            message_id = super().send_email(message, *args, **kwargs)
        except MailDeliveryException as exc:
            if account:
                account._record_send_error(_smtp_words(account.env, exc.args[-1] if exc.args else exc))
            raise
        if account and account.save_sent and not modules.module.current_test:
            copies = getattr(session, "mail_sync_copies", None)
            if copies is None:
                account._save_sent_copy(message.as_bytes())
            else:  # mail.mail saves one copy per email once all its recipients have theirs
                copies.setdefault(message_id, (message, []))[1].extend(
                    address.strip() for address in (message["To"] or "").split(",") if address.strip()
                )
        return message_id


def _smtp_words(env, exc):
    """Why sending failed, in ``env``'s language."""
    if isinstance(exc, errors.SyncError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return env._("the outgoing server refused the login: the user name or the password is wrong.")
    if isinstance(exc, (ConnectionError, OSError, smtplib.SMTPConnectError)):
        return env._("the outgoing server could not be reached (%(error)s).", error=exc)
    return str(exc)


class _MailboxSession:
    def __init__(self, account, smtp_from, from_filter):
        self.account, self.smtp_from, self.from_filter = account, smtp_from, from_filter
        self.mail_sync_account_id = account.id

    def send_message(self, message, smtp_from, smtp_to_list):
        try:
            with self.account._open_mailbox() as box:
                box.send_mime(message.as_bytes())
        except errors.SyncError as exc:
            self.account._record_send_error(str(exc))
            raise

    def quit(self):
        pass
