from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mail_sync_excluded_domains = fields.Text(related="company_id.mail_sync_excluded_domains", readonly=False)
    mail_sync_history_months = fields.Integer(related="company_id.mail_sync_history_months", readonly=False)
    mail_sync_google_client_id = fields.Char("Google Client ID", config_parameter="mail_lead_sync.google_client_id")
    mail_sync_google_client_secret = fields.Char(
        "Google Client Secret", config_parameter="mail_lead_sync.google_client_secret"
    )
    mail_sync_microsoft_client_id = fields.Char(
        "Microsoft Application (client) ID", config_parameter="mail_lead_sync.microsoft_client_id"
    )
    mail_sync_microsoft_client_secret = fields.Char(
        "Microsoft Client Secret", config_parameter="mail_lead_sync.microsoft_client_secret"
    )
    mail_sync_microsoft_tenant = fields.Char(
        "Microsoft Tenant",
        config_parameter="mail_lead_sync.microsoft_tenant",
        help="Directory (tenant) ID or domain of a single-tenant app; 'common' for a multi-tenant app "
        "that also accepts personal Outlook.com accounts; 'organizations' for work accounts only.",
    )
    mail_sync_exclude_users = fields.Boolean(related="company_id.mail_sync_exclude_users", readonly=False)
    mail_sync_skip_noise = fields.Boolean(related="company_id.mail_sync_skip_noise", readonly=False)
    mail_sync_attachment_max_mb = fields.Integer(related="company_id.mail_sync_attachment_max_mb", readonly=False)
    mail_sync_shared_records = fields.Selection(related="company_id.mail_sync_shared_records", readonly=False)
    mail_sync_interval = fields.Integer(
        "Sync Interval (minutes)", compute="_compute_mail_sync_interval", inverse="_inverse_mail_sync_interval"
    )

    mail_sync_log_alias_name = fields.Char(
        "Log Address",
        compute="_compute_mail_sync_log_alias",
        inverse="_inverse_mail_sync_log_alias",
        help="Users forward or Bcc emails to this address to put them on their contacts and leads.",
    )
    mail_sync_log_alias_domain = fields.Char(compute="_compute_mail_sync_log_alias")
    mail_sync_log_authserv_id = fields.Char(
        "Trusted Receiving Server",
        config_parameter="mail_lead_sync.log_authserv_id",
        help="The name your incoming mail server writes in the Authentication-Results header it adds "
        "(its authserv-id, e.g. mx.example.com). When set, an email to the shared log address also counts "
        "when that server says DMARC (or aligned DKIM) passed for its sender's domain. The server must remove "
        "such headers that arrive from outside.",
    )

    def _mail_sync_log_alias(self):
        return self.env.ref("mail_lead_sync.mail_sync_log_alias", raise_if_not_found=False).sudo()

    @api.depends("company_id")
    def _compute_mail_sync_log_alias(self):
        alias = self._mail_sync_log_alias()
        for settings in self:
            settings.mail_sync_log_alias_name = alias.alias_name if alias else False
            settings.mail_sync_log_alias_domain = alias.alias_domain if alias else False

    def _inverse_mail_sync_log_alias(self):
        alias = self._mail_sync_log_alias()
        for settings in self:
            if alias and settings.mail_sync_log_alias_name and settings.mail_sync_log_alias_name != alias.alias_name:
                alias.alias_name = settings.mail_sync_log_alias_name

    mail_sync_allow_private_hosts = fields.Boolean(
        "Allow Private Mail Servers",
        compute="_compute_mail_sync_allow_private_hosts",
        inverse="_inverse_mail_sync_allow_private_hosts",
        help="Let mailboxes connect to servers on this machine or the company's private network. Leave it off "
        "unless your mail server is there: anyone adding a mailbox could otherwise probe that network.",
    )

    @api.depends("company_id")
    def _compute_mail_sync_allow_private_hosts(self):
        value = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.allow_private_hosts") or ""
        for settings in self:
            settings.mail_sync_allow_private_hosts = value.strip().lower() in ("1", "true")

    def _inverse_mail_sync_allow_private_hosts(self):
        # Stored as "1" (what the documentation, tests and scripts set), removed when off.
        for settings in self:
            self.env["ir.config_parameter"].sudo().set_param(
                "mail_lead_sync.allow_private_hosts", "1" if settings.mail_sync_allow_private_hosts else False
            )

    def _mail_sync_cron(self):
        return self.env.ref("mail_lead_sync.ir_cron_mail_sync", raise_if_not_found=False).sudo()

    @api.depends("company_id")
    def _compute_mail_sync_interval(self):
        cron = self._mail_sync_cron()
        minutes = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080, "months": 43200}
        for settings in self:
            settings.mail_sync_interval = cron.interval_number * minutes[cron.interval_type] if cron else 0

    def _inverse_mail_sync_interval(self):
        cron = self._mail_sync_cron()
        for settings in self:
            if cron and settings.mail_sync_interval > 0:
                cron.write({"interval_number": settings.mail_sync_interval, "interval_type": "minutes"})
