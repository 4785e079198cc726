from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import addresses, errors
from ..engine.autodetect import Detector, known_provider_host, within_domain
from ..engine.mailbox import MailboxSettings, open_mailbox
from ..engine.netguard import host_name
from ..i18n_words import error_words


class MailSyncAccountWizard(models.TransientModel):
    """Add a mailbox from its address and password: the server is found, tested
    and connected; when it cannot be found, the server fields and the reason."""

    _name = "mail.sync.account.wizard"
    _description = "Add a mailbox"

    email = fields.Char(required=True)
    password = fields.Char()
    sync_enabled = fields.Boolean("Sync Emails", default=True)
    step = fields.Selection(
        [("address", "Address"), ("confirm", "Confirm the server"), ("manual", "Server settings")], default="address"
    )
    # Detected servers outside the address's own domain and not a known provider:
    # the password goes there only once the user said yes to these names.
    confirm_hosts = fields.Char("Servers to Confirm", readonly=True)
    kind = fields.Selection(
        [("imap", "IMAP"), ("exchange", "Exchange Server (on premises)")],
        string="Server Type",
        default="imap",
        required=True,
        help="Exchange: the server's address, or leave it empty to find it by Autodiscover.",
    )
    provider_name = fields.Char(readonly=True)
    host = fields.Char("Server")
    port = fields.Integer(default=993)
    security = fields.Selection(
        [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None (unencrypted)")], default="ssl"
    )
    login = fields.Char()
    message = fields.Text(readonly=True)
    # The outgoing server, found together with the incoming one.
    send_enabled = fields.Boolean(
        "Send Emails",
        help="Send from Odoo through this mailbox, once Odoo has checked the address is yours (a code it emails "
        "to the address and reads back from the inbox).",
    )
    smtp_host = fields.Char("Outgoing Server")
    smtp_port = fields.Integer("Outgoing Port", default=587)
    smtp_security = fields.Selection(
        [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None (unencrypted)")],
        string="Outgoing Security",
        default="starttls",
    )

    @api.model
    def _detector(self):
        """The detector to use (tests give one pointed at their loopback DNS)."""
        account = self.env["mail.sync.account"]
        return Detector(ssl_context=account._ssl_context(), policy=account._host_policy())

    def _reopen(self, **values):
        self.write(values)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Add a Mailbox"),
        }

    def action_detect(self):
        self.ensure_one()
        email = addresses.normalize(self.email or "")
        if not email:
            return self._reopen(message=_("%(value)s is not an email address.", value=self.email))
        detector = self._detector()
        provider = detector.provider_for(addresses.domain_of(email))
        params = self.env["ir.config_parameter"].sudo()
        if provider and provider.oauth == "google" and params.get_param("mail_lead_sync.google_client_id"):
            # Google's own sign-in instead of a password (works with 2-step verification).
            account = self.env["mail.sync.account"].create(
                {"email": email, "provider": "gmail", "host": "imap.gmail.com", "port": 993, "security": "ssl",
                 "sync_enabled": self.sync_enabled}
            )  # fmt: skip
            return account.action_connect_google()
        if provider and provider.oauth == "microsoft" and params.get_param("mail_lead_sync.microsoft_client_id"):
            # Microsoft 365 is read through Graph with Microsoft's sign-in (no password here).
            account = self.env["mail.sync.account"].create(
                {"email": email, "provider": "microsoft", "sync_enabled": self.sync_enabled}
            )
            return account.action_connect_microsoft()
        detection = detector.detect(email, provider=provider)
        if not detection.found:
            return self._reopen(
                step="manual",
                provider_name=provider.name if provider else False,
                host=f"imap.{addresses.domain_of(email)}",
                login=email,
                message=self._nothing_found(detection),
            )
        found = detection.found
        values = {
            "provider_name": provider.name if provider else False,
            "host": found.host,
            "port": found.port,
            "security": found.security,
            "login": detection.login,
        }
        outgoing = detector.detect_smtp(email, provider=provider).found
        if outgoing:
            values.update(smtp_host=outgoing.host, smtp_port=outgoing.port, smtp_security=outgoing.security)
        domain = addresses.domain_of(email)
        foreign = [
            candidate.host
            for candidate in (found, outgoing)
            if candidate and candidate.source != "provider"
            and not within_domain(candidate.host, domain) and not known_provider_host(candidate.host)
        ]  # fmt: skip
        if foreign:
            # DNS or an autoconfig document of the domain named these: whoever controls
            # them could be collecting passwords. The user decides, seeing the names.
            hosts = ", ".join(dict.fromkeys(foreign))
            return self._reopen(
                step="confirm",
                confirm_hosts=hosts,
                message=_(
                    "The settings found for %(domain)s use a server outside it: %(hosts)s. Your password will be "
                    "sent there. Connect only if your mail provider is this one; otherwise enter the settings "
                    "by hand.",
                    domain=domain,
                    hosts=hosts,
                ),
                **values,
            )
        self.write(values)
        return self.action_connect()

    def action_confirm_hosts(self):
        """The user read the outside server's name and trusts it."""
        self.ensure_one()
        if self.step != "confirm":
            raise UserError(_("There is no server to confirm."))
        return self.action_connect()

    def _trusted_hosts(self):
        """Hosts the user named: typed as the server, or confirmed when found."""
        hosts = {h.strip().lower() for h in (self.confirm_hosts or "").split(",") if h.strip()}
        if self.host:
            hosts.add(host_name(self.host))
        return hosts

    def action_manual(self):
        self.ensure_one()
        return self._reopen(step="manual", confirm_hosts=False, message=False)

    def action_connect(self):
        """Log in with these settings; on success create the mailbox and open it."""
        self.ensure_one()
        email = addresses.normalize(self.email or "") or self.email
        if self.kind == "exchange":
            return self._connect_exchange(email)
        account_model = self.env["mail.sync.account"]
        try:
            settings = MailboxSettings(
                provider="imap", email=email, host=host_name(self.host), port=self.port, security=self.security,
                login=self.login or email, password=self.password or "", timeout=15,
                ssl_context=account_model._ssl_context(), policy=self._detector().policy,
            )  # fmt: skip
            with open_mailbox(settings):
                pass
        except errors.SyncError as exc:
            return self._reopen(step="manual", message=self._explain(exc))
        account = self.env["mail.sync.account"].create(
            {
                "email": email,
                "host": self.host,
                "port": self.port,
                "security": self.security,
                "login": self.login if self.login != email else False,
                "password_input": self.password,
                "sync_enabled": self.sync_enabled,
                "smtp_host": self.smtp_host or False,
                "smtp_port": self.smtp_port,
                "smtp_security": self.smtp_security,
            }
        )
        return self._open(account)

    def _connect_exchange(self, email):
        params = self.env["ir.config_parameter"].sudo()
        account_model = self.env["mail.sync.account"]
        try:
            settings = MailboxSettings(
                provider="exchange", email=email, login=self.login or email, password=self.password or "",
                server=account_model._exchange_endpoint(self.host) if self.host else "",
                ca_file=params.get_param("mail_lead_sync.ca_file") or "", timeout=15,
                policy=account_model._host_policy(), trusted_hosts=self._trusted_hosts(),
            )  # fmt: skip
            with open_mailbox(settings) as box:
                box.sync_folders()
        except errors.HostNeedsConfirmation as exc:
            return self._reopen(step="confirm", confirm_hosts=", ".join(exc.hosts), message=error_words(self.env, exc))
        except errors.SyncError as exc:
            return self._reopen(step="manual", message=error_words(self.env, exc))
        account = self.env["mail.sync.account"].create(
            {
                "email": email,
                "provider": "exchange",
                "host": host_name(self.host) if self.host else False,
                "login": self.login if self.login != email else False,
                "password_input": self.password,
                "sync_enabled": self.sync_enabled,
            }
        )
        return self._open(account)

    def _open(self, account):
        if self.send_enabled and account.provider in ("imap", "gmail"):
            # Sending waits for the proof that the address is the user's: the code
            # is on its way, the mailbox's form says what is left to do.
            try:
                account.action_send_verification_code()
            except UserError:
                pass  # the mailbox is added all the same; its form says what sending still needs
        return {
            "type": "ir.actions.act_window",
            "res_model": "mail.sync.account",
            "res_id": account.id,
            "view_mode": "form",
            "target": "current",
        }

    def _explain(self, exc):
        if isinstance(exc, errors.AuthenticationFailed) and self.provider_name:
            return _(
                "%(provider)s says the password is wrong. If the account uses 2-step verification, "
                "create an app password in its security settings and use it here.",
                provider=self.provider_name,
            )
        return error_words(self.env, exc)

    def _nothing_found(self, detection):
        """Why no server was found (``detection.explain()``), in the user's language."""
        if not detection.tried:
            return _(
                "No mail server could be found for %(domain)s: enter its settings.",
                domain=addresses.domain_of(detection.email),
            )
        lines = [
            f"- {candidate.host}:{candidate.port} ({candidate.security}): {error_words(self.env, error)}"
            for candidate, error in detection.tried
        ]
        return "\n".join([_("No mail server answered. Tried:"), *lines, _("Enter the server settings by hand.")])
