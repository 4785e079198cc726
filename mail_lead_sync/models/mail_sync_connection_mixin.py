import logging
import ssl

from odoo import _, api, models
from odoo.exceptions import UserError

from ..engine import addresses, errors
from ..engine.mailbox import MailboxSettings, open_mailbox
from ..engine.netguard import HostPolicy, host_name
from ..i18n_words import error_words

_logger = logging.getLogger(__name__)


class MailSyncConnectionMixin(models.AbstractModel):
    """Connecting to a synced mailbox (``mail.sync.account`` inherits it): where it
    may connect, its settings for the engine, and how a failed connection is told
    to its owner."""

    _name = "mail.sync.connection.mixin"
    _description = "Connection to a synced mailbox"

    # -- connection ------------------------------------------------------------
    def _ssl_context(self):
        # A company mail server with its own certificate authority: the admin can
        # name its certificate file (tests point it at their Dovecot's).
        cafile = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.ca_file")
        return ssl.create_default_context(cafile=cafile or None)

    @api.model
    def _host_policy(self):
        """Where mailboxes may connect: public servers only, unless an administrator
        set ``mail_lead_sync.allow_private_hosts`` to 1 (servers on the company
        network, tests and demos on loopback)."""
        allowed = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.allow_private_hosts")
        return HostPolicy(allow_private=(allowed or "").strip().lower() in ("1", "true"), lookup=self._host_lookup())

    @api.model
    def _host_lookup(self):
        """How server names are resolved: the system's resolver (tests use their own DNS)."""
        return None

    def _exchange_endpoint(self, host):
        """The EWS URL of an Exchange server named by the user (a name, never a URL:
        the URL's shape is the administrator's, tests point it at loopback)."""
        template = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.exchange_url")
        return (template or "https://{host}/EWS/Exchange.asmx").format(host=host_name(host))

    def _mailbox_settings(self):
        """What the engine needs to open this mailbox, whatever its provider."""
        self.ensure_one()
        account = self.sudo()
        params = self.env["ir.config_parameter"].sudo()
        if self.provider == "microsoft":
            return MailboxSettings(
                provider="microsoft",
                access_token=self._oauth_access_token(),
                graph_url=params.get_param("mail_lead_sync.graph_url") or "",
            )
        if self.provider == "exchange":
            return MailboxSettings(
                provider="exchange",
                email=account.email,
                login=account.login or account.email,
                password=account.password or "",
                server=self._exchange_endpoint(account.host) if account.host else "",
                ca_file=params.get_param("mail_lead_sync.ca_file") or "",
                policy=self._host_policy(),
            )
        if not account.host:
            raise UserError(_("Set the mail server of %(email)s first.", email=account.email))
        return MailboxSettings(
            provider=self.provider,
            email=account.email,
            host=account.host,
            port=account.port,
            security=account.security,
            login=account.login or account.email,
            password=account.password or "",
            access_token=self._oauth_access_token() if account.oauth_refresh_token else "",
            timeout=30,
            ssl_context=self._ssl_context(),
            policy=self._host_policy(),
        )

    def _open_mailbox(self):
        """The engine's reader for this mailbox's provider (a context manager)."""
        return open_mailbox(self._mailbox_settings())

    def _owner_addresses(self):
        user = self.user_id
        return frozenset(filter(None, (addresses.normalize(a) for a in (self.email, user.login, user.email))))

    def action_test_connection(self):
        self.ensure_one()
        self._check_may_connect()
        try:
            with self._open_mailbox() as box:
                folders = box.sync_folders()
        except errors.SyncError as exc:
            self._record_error(exc)
            return self._notify(_("Connection failed"), error_words(self.env, exc), "danger")
        if self.state in ("error", "reconnect"):
            self.write({"state": "new" if not self.last_sync_date else "ok", "last_error": False})
        names = ", ".join(f.name for f in folders)
        return self._notify(_("Connection works"), _("Connected. Folders to sync: %(names)s", names=names), "success")

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def _record_error(self, exc):
        state = "reconnect" if isinstance(exc, errors.TokenRejected) else "error"
        self.write({"state": state, "last_error": error_words(self.env, exc)})
        _logger.info("mailbox %s: %s (%s)", self.id, exc, getattr(exc, "detail", ""))
