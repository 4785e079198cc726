from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import errors, rules
from ..i18n_words import error_words
from ..pipeline.matching import MatchContext
from ..pipeline.posting import Poster, why_line
from ..pipeline.sharing import Resharer


class MailSyncLink(models.Model):
    """One synced email on one record: what makes "never twice" hold, what a
    reply from an unknown address follows up its thread, why the email is on the
    record, and a user's "not related" decision."""

    _name = "mail.sync.link"
    _description = "Synced email posted on a record"
    _order = "id desc"

    message_id = fields.Char("Message-ID", required=True, index=True, readonly=True)
    res_model = fields.Char(required=True, readonly=True)
    res_id = fields.Many2oneReference(model_field="res_model", required=True, readonly=True)
    address = fields.Char(readonly=True, help="The address that made the link (inherited along a thread).")
    header = fields.Char(readonly=True, help="The header that carried the address: From, To, Cc or Bcc.")
    reason = fields.Selection(
        [("address", "Address"), ("thread", "Thread"), ("manual", "Assigned by hand")], required=True, readonly=True
    )
    why = fields.Char(readonly=True, help="The line shown with the message: why it is on this record.")
    state = fields.Selection(
        [("linked", "Linked"), ("rejected", "Not related")],
        default="linked",
        required=True,
        readonly=True,
        help="Not related: a user took it off this record; no sync brings it back.",
    )
    mail_message_id = fields.Many2one("mail.message", ondelete="set null", readonly=True, index="btree_not_null")
    account_id = fields.Many2one("mail.sync.account", ondelete="set null", readonly=True, index=True)
    # "Not related": who took the email off the record, and what it was, for the
    # record's "taken off" list (its chatter message is deleted). A removal by the
    # mailbox's owner (delete everywhere) has no author here and cannot be undone.
    rejected_by_id = fields.Many2one("res.users", string="Taken off by", readonly=True)
    rejected_date = fields.Datetime("Taken off on", readonly=True)
    subject = fields.Char(readonly=True)
    email_from = fields.Char(readonly=True)
    email_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("message_record_uniq", "unique(message_id, res_model, res_id)", "An email is posted once on a record."),
    ]

    def _why_line(self):
        """The "why" line in the reader's language: written again from what the
        link keeps when it came from a mailbox, else the line stored when it was made."""
        self.ensure_one()
        owner = self.account_id.user_id
        if self.reason not in ("address", "thread") or not owner:
            return self.why
        return why_line(
            self.env,
            self.reason,
            self.address,
            self.header,
            self.res_model,
            self.env._("%(owner)s's mailbox", owner=owner.name),
        )

    @api.model
    def action_not_related(self, mail_message_id):
        """Take a synced email off the record it is on (there only) and remember it."""
        self._check_employee()
        message = self.env["mail.message"].browse(mail_message_id).exists()
        link = self.sudo().search([("mail_message_id", "=", message.id), ("state", "=", "linked")], limit=1)
        if not message or not link:
            raise UserError(_("This message was not synced from a mailbox."))
        # Whoever may edit the record may say what does not belong on it.
        self.env[link.res_model].browse(link.res_id).check_access("write")
        link.write(
            {
                "state": "rejected",
                "mail_message_id": False,
                "rejected_by_id": self.env.uid,
                "rejected_date": fields.Datetime.now(),
                "subject": message.sudo().subject,
                "email_from": message.sudo().email_from,
                "email_date": message.sudo().date,
            }
        )
        message.sudo().unlink()
        return True

    @api.model
    def get_taken_off(self, res_model, res_id):
        """The emails users took off a record ("Not related"), for whoever may read it."""
        self._check_employee()
        record = self._taken_off_record(res_model, res_id)
        record.check_access("read")
        links = self.sudo().search(self._taken_off_domain(record))
        return [
            {
                "id": link.id,
                "subject": link.subject or "",
                "email_from": link.email_from or "",
                "email_date": fields.Datetime.to_string(link.email_date) if link.email_date else False,
                "rejected_by": link.rejected_by_id.name,
                "rejected_date": fields.Datetime.to_string(link.rejected_date),
                # Restore reads the email again from the mailbox it came from.
                "can_restore": bool(link.account_id),
            }
            for link in links
        ]

    @api.model
    def restore_taken_off(self, link_id):
        """Put an email a user took off a record back on it, read again from the
        mailbox it came from and posted as the sync posts it (the mailbox's sharing
        level applies). Whoever may edit the record may undo the decision."""
        self._check_employee()
        link = self.sudo().browse(int(link_id)).exists()
        if not link or link.state != "rejected" or not link.rejected_by_id:
            raise UserError(_("This email was not taken off a record, or it is back already."))
        self.env[link.res_model].browse(link.res_id).check_access("write")
        account = link.account_id
        if not account:
            raise UserError(_("This email did not come from a connected mailbox: it cannot be read again."))
        account = account.sudo()
        try:
            rec = Resharer(self.env(su=True), account).refetch({link.message_id}).get(link.message_id)
        except errors.SyncError as exc:
            raise UserError(
                _("%(mailbox)s could not be read: %(error)s", mailbox=account.email, error=error_words(self.env, exc))
            ) from exc
        if rec is None:
            raise UserError(_("This email is no longer in %(mailbox)s: it cannot come back.", mailbox=account.email))
        decision = rules.Decision({(link.res_model, link.res_id): link.address}, link.reason)
        link.unlink()  # the decision is undone: the link the post makes replaces it
        Poster(self.env(su=True), MatchContext.for_mailbox(account), account).post([(0, rec, decision)])
        return True

    @api.model
    def _check_employee(self):
        # Synced emails are employees' only (mail_message.py): a client's portal user
        # may read and even edit their own contact, never what was synced on it.
        if not self.env.user._is_internal():
            raise AccessError(_("Only employees work with synced emails."))

    @api.model
    def _taken_off_record(self, res_model, res_id):
        if res_model not in ("crm.lead", "res.partner"):
            raise UserError(_("Only contacts and leads have synced emails."))
        return self.env[res_model].browse(int(res_id))

    @api.model
    def _taken_off_domain(self, records):
        return [("res_model", "=", records._name), ("res_id", "in", records.ids), ("state", "=", "rejected"),
                ("rejected_by_id", "!=", False)]  # fmt: skip

    def _reject_and_remove(self):
        """Remove the posted messages of these links and remember the removal."""
        messages = self.mapped("mail_message_id")
        self.write({"state": "rejected", "mail_message_id": False, "rejected_by_id": False})
        messages.sudo().unlink()
