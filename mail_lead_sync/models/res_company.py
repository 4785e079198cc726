from odoo import api, fields, models

from ..engine import addresses, rules


class ResCompany(models.Model):
    _inherit = "res.company"

    mail_sync_excluded_domains = fields.Text(
        string="Excluded Email Domains",
        compute="_compute_mail_sync_excluded_domains",
        store=True,
        readonly=False,
        help="Mail whose only other participants are at these domains is never synced "
        "(one domain per line or comma separated). Defaults to the domain of the company's email.",
    )
    mail_sync_history_months = fields.Integer(
        string="Email History (months)",
        default=6,
        help="How far back a newly connected mailbox is imported, and how far back a new "
        "contact address finds its past conversations.",
    )

    mail_sync_exclude_users = fields.Boolean(
        string="Exclude Internal Users",
        default=True,
        help="Treat every address of an internal user (login, email, connected mailboxes) as internal, "
        "whatever its domain, so mail among coworkers is never synced.",
    )
    mail_sync_skip_noise = fields.Boolean(
        string="Skip Automatic and Bulk Mail",
        default=True,
        help="Leave out automatic replies, newsletters and mailing-list mail "
        "(Auto-Submitted, Precedence: bulk/list/junk, List-Id, List-Unsubscribe).",
    )
    mail_sync_shared_records = fields.Selection(
        [
            ("single", "While this is the only company"),
            ("always", "Always"),
            ("never", "Never"),
        ],
        string="Contacts and Leads Without a Company",
        default="single",
        required=True,
        help="Whether this company's mailboxes post on contacts and leads that have no company. Users of "
        "every company read those records: with several companies, an email posted there is read by "
        "other companies' users too.",
    )
    mail_sync_attachment_max_mb = fields.Integer(
        string="Largest Attachment Imported (MB)",
        default=10,
        help="Bigger attachments are left in the mailbox; the chatter message says so.",
    )

    @api.depends("email")
    def _compute_mail_sync_excluded_domains(self):
        # Fill in the company's own domain once; never overwrite what an admin typed.
        for company in self:
            if not company.mail_sync_excluded_domains:
                domain = addresses.domain_of(addresses.normalize(company.email or "") or "")
                company.mail_sync_excluded_domains = domain or False

    def _mail_sync_excluded_domain_set(self):
        self.ensure_one()
        return addresses.parse_domain_list(self.mail_sync_excluded_domains)

    def _mail_sync_shares_records(self):
        """Whether this company's mailboxes may post on records without a company
        (readable by the users of every company)."""
        self.ensure_one()
        if self.mail_sync_shared_records == "single":
            return self.env["res.company"].sudo().with_context(active_test=False).search_count([], limit=2) == 1
        return self.mail_sync_shared_records == "always"

    def _mail_sync_internal_rules(self):
        """The company's domains plus every address of an internal user of the
        database (login, email), whatever its domain, and the proven addresses of
        the company's own mailboxes. Any user may type any address as a mailbox:
        an unproven one (a client's, or another company's) must not silence the
        company's sync with that address."""
        self.ensure_one()
        never = self._mail_sync_never_entries()
        if not self.mail_sync_exclude_users:
            return rules.InternalRules.build(self._mail_sync_excluded_domain_set(), never=never)
        # Raw SQL below: what the ORM has not written yet must be in the tables first.
        self.env["res.users"].flush_model(["login", "active", "share", "partner_id"])
        self.env["res.partner"].flush_model(["email"])
        self.env["mail.sync.account"].flush_model(["send_verified_email", "company_id"])
        self.env.cr.execute(
            """
            SELECT u.login, p.email FROM res_users u JOIN res_partner p ON p.id = u.partner_id
             WHERE u.active AND NOT u.share
            UNION ALL
            SELECT a.send_verified_email, NULL FROM mail_sync_account a
             WHERE a.company_id = %s AND a.send_verified_email IS NOT NULL
            """,
            [self.id],
        )
        internal = {value for row in self.env.cr.fetchall() for value in row if value}
        return rules.InternalRules.build(self._mail_sync_excluded_domain_set(), internal, never=never)

    def _mail_sync_never_entries(self):
        """The company's never-sync list (entries without an owner)."""
        entries = self.env["mail.sync.never"].sudo().search([("company_id", "=", self.id), ("user_id", "=", False)])
        return entries.mapped("entry")
