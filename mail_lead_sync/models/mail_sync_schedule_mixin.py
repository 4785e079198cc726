"""When each mailbox is synced, and by which worker (without OCA queue_job).

Odoo 18 runs one scheduled action in one cron worker at a time: ``_acquire_one_job``
locks the ``ir_cron`` row ``FOR NO KEY UPDATE SKIP LOCKED`` for the whole run, and
``_trigger()`` or the progress API only make the same action ready again once that
run is over. One action walking every mailbox is therefore one thread for the whole
company. So the sync ships several identical scheduled actions ("lanes", each
``model._cron_sync()``): every cron worker of every Odoo server sharing the database
acquires a different lane, and each lane claims due mailboxes one at a time.

A claim is the mailbox's advisory lock (the one ``_sync`` already takes, held per
database session so it survives the per-batch commits; a row lock would be released
by the first commit) followed by a fresh read that the mailbox is still due. The
claim's time is stored (``sync_claimed_date``): due mailboxes are taken oldest claim
first, and a history import gets one slice (``SLICE_SECONDS``) per claim before it
goes back behind the others, so it never starves their incremental syncs.
"""

import datetime
import logging
import time

from odoo import api, fields, models

from ..pipeline import run

_logger = logging.getLogger(__name__)

# A history import holds a worker this long, then lets the other due mailboxes pass.
SLICE_SECONDS = 25
# One lane's run. A cron worker runs every ready lane in one pass, and the pass must end
# within limit_time_real_cron (by default limit_time_real, 120 s): 4 lanes x 25 s fit.
RUN_SECONDS = 25
# The code every lane runs: how lanes find each other to wake them.
LANE_CODE = "model._cron_sync()"


class MailSyncScheduleMixin(models.AbstractModel):
    """When the mailbox is synced: the claims and lanes of the cron, inherited by
    ``mail.sync.account`` (mail_lead_sync_queue queues jobs instead)."""

    _name = "mail.sync.schedule.mixin"
    _description = "Mailbox Sync Scheduling"

    sync_claimed_date = fields.Datetime(
        "Last Sync Attempt", readonly=True, copy=False, help="When a worker last took this mailbox to sync it."
    )

    @api.model
    def _sync_interval(self):
        """How often each mailbox is synced: the interval of the main scheduled action."""
        cron = self.env.ref("mail_lead_sync.ir_cron_mail_sync", raise_if_not_found=False)
        if not cron:
            return datetime.timedelta(minutes=5)
        units = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 7 * 86400, "months": 30 * 86400}
        return datetime.timedelta(seconds=cron.sudo().interval_number * units[cron.sudo().interval_type])

    @api.model
    def _due_query(self):
        """SQL selecting the mailboxes due for a sync, oldest claim first: those never
        taken, those importing their history (one slice per claim), and the others
        once an interval has passed (less a fifth, so that a mailbox taken late in one
        run is due again at the next)."""
        interval = self._sync_interval()
        threshold = fields.Datetime.now() - interval + interval / 5
        return (
            """
            SELECT id FROM mail_sync_account
             WHERE sync_enabled AND state != 'reconnect'
               AND (state = 'partial' OR sync_claimed_date IS NULL OR sync_claimed_date <= %s)
             ORDER BY sync_claimed_date ASC NULLS FIRST, id
            """,
            [threshold],
        )

    @api.model
    def _due_ids(self):
        self.flush_model(["sync_enabled", "state", "sync_claimed_date"])
        self.env.cr.execute(*self._due_query())
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _busy_ids(self):
        """Mailboxes some session (a cron lane, a job, Sync Now) is syncing right now."""
        # pg_locks lists the advisory locks of every database of the cluster: another
        # database's mailbox with the same id is another mailbox.
        self.env.cr.execute(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2 AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [run.LOCK_NAMESPACE],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _waiting_ids(self):
        """Due mailboxes no worker is syncing: what another lane could take now."""
        busy = self._busy_ids()
        return [account_id for account_id in self._due_ids() if account_id not in busy]

    @api.model
    def _claim_next(self, skip=()):
        """Lock and return the first due mailbox no other worker holds (empty when none).
        The caller syncs it, commits, then ``_unlock()``s it."""
        for account_id in self._due_ids():
            if account_id not in skip and self.browse(account_id)._claim():
                return self.browse(account_id)
        return self.browse()

    def _claim(self, due_only=True):
        """Take this mailbox's lock and note the time; False when another worker holds
        it, or (``due_only``) when it is no longer due."""
        self.ensure_one()
        if not self._lock():
            return False
        # Whoever held the lock may have synced the mailbox since it was found due:
        # a new transaction sees what that worker committed before letting it go.
        self._commit()
        if due_only and self.id not in self._due_ids():
            self._unlock()
            return False
        self.sudo().sync_claimed_date = fields.Datetime.now()
        self._commit()
        return True

    def _lock(self):
        return run.lock(self.env, self.id)

    def _unlock(self):
        run.unlock(self.env, self.id)

    @api.model
    def _cron_lanes(self):
        return self.env["ir.cron"].sudo().search([("model_id.model", "=", self._name), ("code", "=", LANE_CODE)])

    @api.model
    def _wake_lanes(self, others_only=False):
        """Ask idle cron workers (of any server) to take a lane now. The running lane's
        own trigger outlives its run (Odoo drops only triggers older than the run's
        start), so it comes back too."""
        current = self.env.context.get("cron_id")
        for lane in self._cron_lanes():
            if not (others_only and lane.id == current):
                lane._trigger()

    @api.model
    def _cron_sync(self):
        """What every lane runs (mail_lead_sync_queue queues jobs instead)."""
        self._sync_lane()

    @api.model
    def _sync_lane(self):
        """One lane: sync due mailboxes one claim at a time until none is left or the
        run's time is up, then wake the lanes again if due mailboxes remain."""
        deadline = time.monotonic() + RUN_SECONDS
        if len(self._waiting_ids()) > 1:
            self._wake_lanes(others_only=True)
            self._commit()
        done, tried = 0, set()
        while time.monotonic() < deadline:
            # A mailbox is taken once per run, unless it is importing its history:
            # then it comes back after the others due (one slice each time).
            account = self._claim_next(skip=tried)
            if not account:
                break
            try:
                # Its owner reads what the sync writes (errors): in their language.
                account.with_context(lang=account.user_id.lang or "en_US")._sync(
                    time_budget=min(SLICE_SECONDS, max(deadline - time.monotonic(), 1))
                )
            except Exception as exc:  # one mailbox's bug must not stop the others
                _logger.exception("mailbox %s: sync failed", account.id)
                self._rollback()
                account._record_crash(exc)
            finally:
                # Committed before the lock goes: the next claimer sees this sync.
                self._commit()
                account._unlock()
            done += 1
            if account.state != "partial":
                tried.add(account.id)
        if self._waiting_ids():
            self._wake_lanes()
        # What remains is not reported as such: the cron runner would then call the lane
        # up to ten times in a row, beyond the cron worker's time limit.
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
