import secrets

from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class ResUsers(models.Model):
    _inherit = "res.users"

    mail_sync_account_ids = fields.One2many("mail.sync.account", "user_id", string="Synced Mailboxes")
    # The secret part of the user's personal log address (log+<token>@domain): only a
    # forward that reaches this address is believed to come from its user.
    mail_sync_log_token = fields.Char(groups="base.group_system", copy=False, index="btree_not_null")
    mail_sync_log_address = fields.Char(
        "My Log Address",
        compute="_compute_mail_sync_log_address",
        help="Forward or Bcc emails to this address to put them on their contacts and leads. "
        "It is yours alone: keep it private, and renew it if it leaked.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "mail_sync_log_address"]

    def write(self, vals):
        # Users write their own email in Preferences as superuser: checked before.
        if "email" in vals:
            self.partner_id._mail_sync_check_user_email(vals["email"])
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        # Made now, so that showing the address never writes (reads may run read-only).
        internal = users.filtered(lambda u: not u.share)
        if internal:
            internal._mail_sync_init_log_tokens()
        return users

    @api.model
    def _mail_sync_init_log_tokens(self):
        """A log token for every internal user without one (at install, and for new users)."""
        users = self if self else self.with_context(active_test=False).search([("share", "=", False)])
        for user in users.sudo().filtered(lambda u: not u.mail_sync_log_token):
            user._mail_sync_new_log_token()

    @api.depends_context("uid")
    def _compute_mail_sync_log_address(self):
        is_admin = self.env.user.has_group("base.group_system")
        for user in self:
            # Another user's address is theirs to know: only they and administrators read it.
            if user.share or not (user == self.env.user or is_admin):
                user.mail_sync_log_address = False
                continue
            user.mail_sync_log_address = user._mail_sync_log_address()

    def _mail_sync_log_address(self):
        """``log+<token>@<alias domain>``, the token made on first use."""
        self.ensure_one()
        alias = self.env.ref("mail_lead_sync.mail_sync_log_alias", raise_if_not_found=False)
        alias = alias.sudo() if alias else alias
        if not alias or not alias.alias_name or not alias.alias_domain:
            return False
        token = self.sudo().mail_sync_log_token
        if not token:
            token = self._mail_sync_new_log_token()
        return f"{alias.alias_name}+{token}@{alias.alias_domain}"

    def _mail_sync_new_log_token(self):
        token = secrets.token_hex(10)
        self.sudo().mail_sync_log_token = token
        return token

    def action_mail_sync_renew_log_address(self):
        """A new personal log address; the old one stops working at once."""
        for user in self:
            if user != self.env.user and not self.env.user.has_group("base.group_system"):
                raise AccessError(_("Only its owner or an administrator can renew a log address."))
            user._mail_sync_new_log_token()
        return True

    def action_mail_sync_my_accounts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail_lead_sync.mail_sync_account_action_my")
        action["context"] = {"default_user_id": self.env.user.id}
        return action

    def _mail_sync_never_entries(self):
        """This user's own never-sync list (applies to the mailboxes they own)."""
        self.ensure_one()
        return self.env["mail.sync.never"].sudo().search([("user_id", "=", self.id)]).mapped("entry")

    def action_mail_sync_my_never_list(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail_lead_sync.mail_sync_never_action_my")
        action["context"] = {"default_user_id": self.env.user.id}
        return action
