import base64
import logging
import smtplib

from odoo import _, fields, models, modules

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from ..engine import addresses, errors

_logger = logging.getLogger(__name__)


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    mail_sync_account_id = fields.Many2one(
        "mail.sync.account", string="Mailbox", readonly=True, ondelete="cascade", index="btree_not_null"
    )

    def _mail_sync_account(self, mail_server_id=None, email_from=None):
        """The mailbox whose outgoing server sends this (by server, else by sender)."""
        Account = self.env["mail.sync.account"].sudo()
        if mail_server_id:
            return self.sudo().browse(mail_server_id).mail_sync_account_id
        sender = addresses.normalize(email_from or "")
        return (
            Account.search([("send_enabled", "=", True), ("email", "=ilike", sender)], limit=1) if sender else Account
        )

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
        graph = None if args else self._mail_sync_graph_session(kwargs)  # a host given positionally: plain SMTP
        if graph is not None:
            return graph
        try:
            return super().connect(*args, **kwargs)
        except Exception as exc:
            account = self._mail_sync_account(kwargs.get("mail_server_id"), kwargs.get("smtp_from"))
            if account:
                account._record_send_error(_smtp_words(exc))
            raise

    def _mail_sync_graph_session(self, kwargs):
        """Microsoft 365 mailboxes send through Graph and Exchange ones through EWS,
        not SMTP: a session with the part of smtplib's interface Odoo uses."""
        if modules.module.current_test or kwargs.get("host"):
            return None
        if kwargs.get("mail_server_id"):
            server = self.sudo().browse(kwargs["mail_server_id"])
        else:
            server = self.sudo()._find_mail_server(kwargs.get("smtp_from"))[0]
        account = server.mail_sync_account_id if server else None
        if not account or account.provider not in ("microsoft", "exchange"):
            return None
        return _MailboxSession(account, kwargs.get("smtp_from") or account.email, server.from_filter)

    def send_email(self, message, *args, **kwargs):
        mail_server_id = kwargs.get("mail_server_id") or (args[0] if args else None)
        try:
            message_id = super().send_email(message, *args, **kwargs)
        except MailDeliveryException as exc:
            account = self._mail_sync_account(mail_server_id, message["From"])
            if account:
                account._record_send_error(_smtp_words(exc.args[-1] if exc.args else exc))
            raise
        account = self._mail_sync_account(mail_server_id, message["From"])
        if account and account.save_sent and not modules.module.current_test:
            account._save_sent_copy(message.as_bytes())
        return message_id


def _smtp_words(exc):
    if isinstance(exc, errors.SyncError):
        return str(exc)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("the outgoing server refused the login: the user name or the password is wrong.")
    if isinstance(exc, (ConnectionError, OSError, smtplib.SMTPConnectError)):
        return _("the outgoing server could not be reached (%(error)s).", error=exc)
    return str(exc)


class _MailboxSession:
    def __init__(self, account, smtp_from, from_filter):
        self.account, self.smtp_from, self.from_filter = account, smtp_from, from_filter

    def send_message(self, message, smtp_from, smtp_to_list):
        try:
            with self.account._open_mailbox() as box:
                box.send_mime(message.as_bytes())
        except errors.SyncError as exc:
            self.account._record_send_error(str(exc))
            raise

    def quit(self):
        pass
