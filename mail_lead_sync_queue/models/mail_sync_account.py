from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.mail_lead_sync.engine import errors
from odoo.addons.mail_lead_sync.models import mail_sync_schedule_mixin
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact

# Failures that pass: the server did not answer in time, was busy, or cut the line.
# Anything else (a refused password, a missing setting) waits for a person.
PASSING = (errors.ConnectionFailed, errors.ServerError)


class MailSyncAccount(models.Model):
    _inherit = "mail.sync.account"

    @api.model
    def _cron_sync(self):
        """Queue one job per due mailbox: the job runner spreads them over its
        workers and servers, as many at once as channel root.mail_sync allows."""
        for account in self.browse(self._waiting_ids()):
            account._enqueue_sync()

    def _enqueue_sync(self):
        self.ensure_one()
        # identity_exact: while a job of this mailbox waits, no second one is queued.
        return self.with_delay(
            identity_key=identity_exact, description=_("Sync mailbox %(name)s", name=self.name)
        )._sync_job()

    def _sync_job(self):
        """One slice of this mailbox's sync (the job queue's unit of work). A history
        import queues its next slice behind the jobs already waiting."""
        self.ensure_one()
        if not self.sync_enabled or self.state == "reconnect":
            return _("Not synced: the mailbox is switched off or must be reconnected.")
        # Not only when due: a retry of a passing failure comes before the next interval.
        if not self._claim(due_only=False):
            return _("Not synced: another worker is syncing this mailbox.")
        try:
            self.with_context(mail_sync_job=True, lang=self.user_id.lang or "en_US")._sync(
                time_budget=mail_sync_schedule_mixin.SLICE_SECONDS
            )
        finally:
            # The mailbox's state (an error included) is kept even when the job fails.
            self._commit()
            self._unlock()
        if self.state in ("error", "reconnect"):
            # Failed, so that it shows in Job Queue > Jobs with the owner's words.
            raise UserError(self.last_error)
        if self.state == "partial":
            self._enqueue_sync()
            return _("History imported in part: the next slice is queued.")
        return _("Up to date.")

    def _record_error(self, exc):
        result = super()._record_error(exc)
        if self.env.context.get("mail_sync_job") and isinstance(exc, PASSING):
            # queue_job tries the job again later (the function's retry pattern).
            raise RetryableJobError(str(exc)) from exc
        return result
