import threading
import uuid
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged

from ..pipeline.run import LOCK_NAMESPACE
from .common import MailSyncCase

SCHEDULE = "odoo.addons.mail_lead_sync.models.mail_sync_schedule_mixin"
BATCH_SIZE = "odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE"


@tagged("post_install", "-at_install")
class TestClaims(TransactionCase):
    """Claims between real database sessions, as between cron workers of one or
    several Odoo servers: the mailboxes are committed by a cursor of their own (the
    test's transaction is invisible to the other sessions) and removed after."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        tag = uuid.uuid4().hex[:8]
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            accounts = env["mail.sync.account"].create(
                [{"email": f"claim{n}.{tag}@acme.test", "host": "127.0.0.1", "password": "x"} for n in range(12)]
            )
            self.ids = set(accounts.ids)
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._remove)

    def _remove(self):
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM mail_sync_account WHERE id IN %s", [tuple(self.ids)])
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_sessions_claiming_at_once_never_get_the_same_mailbox(self):
        start = threading.Barrier(2)
        claimed = {0: [], 1: []}

        # Environments are made here: the registry is locked by the loading thread.
        cursors = [self.db.cursor() for _n in (0, 1)]
        envs = [api.Environment(cr, SUPERUSER_ID, {}) for cr in cursors]

        def worker(n):
            with cursors[n] as cr:
                Account = envs[n]["mail.sync.account"]
                others = set(Account._due_ids()) - self.ids  # none but this test's, normally
                start.wait(timeout=30)
                while True:
                    account = Account._claim_next(skip=others)
                    if not account:
                        break
                    claimed[n].append(account.id)
                    cr.commit()  # pylint: disable=invalid-commit
                    account._unlock()

        threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        both = claimed[0] + claimed[1]
        self.assertEqual(sorted(both), sorted(self.ids), "each mailbox claimed once, by one session")
        self.assertTrue(claimed[0] and claimed[1], "both sessions got work")

    def test_a_mailbox_of_another_database_with_the_same_id_is_not_busy_here(self):
        # Advisory locks are per database, but pg_locks lists those of every database
        # of the cluster: another database's sync of its own mailbox with this id
        # must not keep this one from being queued or taken.
        account_id = min(self.ids)
        with sql_db.db_connect("postgres").cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, account_id])
            try:
                Account = self.env["mail.sync.account"]
                self.assertNotIn(account_id, Account._busy_ids())
                self.assertIn(account_id, Account._waiting_ids())
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, account_id])


@tagged("post_install", "-at_install")
class TestSchedule(MailSyncCase):
    """The cron's lanes; post-install, so that they also run where mail_lead_sync_queue
    replaced the cron's work by jobs (the lanes stay the way without a job runner)."""

    def setUp(self):
        super().setUp()
        self.other = self.connect(self.karen)
        self.Account = self.env["mail.sync.account"]
        self.lanes = self.Account._cron_lanes()

    def test_a_history_import_does_not_hold_back_another_mailbox(self):
        for n in range(6):
            self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, f"Old {n}", f"<old{n}@client.test>")
        self.deliver(self.other, "INBOX", "dana@client.test", self.other.email, "New", "<new@client.test>")
        synced = []
        real = type(self.Account)._sync

        def recording(account, time_budget=None):
            result = real(account, time_budget=time_budget)
            synced.append((account, account.state))
            return result

        # Two emails a batch and a slice that ends after the first: three slices of history.
        with (
            patch(BATCH_SIZE, 2),
            patch(f"{SCHEDULE}.SLICE_SECONDS", 1e-9),
            patch.object(type(self.Account), "_sync", recording),
        ):
            self.Account._sync_lane()
        self.assertEqual(synced[0], (self.box, "partial"), "the import got one slice")
        self.assertEqual(synced[1][0], self.other, "then the other mailbox's turn came")
        self.assertEqual((self.box.state, self.other.state), ("ok", "ok"), "the import went on in the same run")
        self.assertEqual(self.box.indexed_count, 6)

    def test_the_lanes_are_woken_while_due_mailboxes_remain(self):
        self.assertGreater(len(self.lanes), 1, "several lanes: one per cron worker that can sync at once")
        Trigger = self.env["ir.cron.trigger"]
        _cron, progress = self.lanes[0]._add_progress()
        lane = self.Account.with_context(ir_cron_progress_id=progress.id, cron_id=self.lanes[0].id)
        real = type(self.Account)._claim_next
        before = []

        def one_claim(model, skip=()):
            if before:
                return model.browse()
            # What the lane woke at its start (two mailboxes due) does not count.
            before.append(Trigger.search([("cron_id", "in", self.lanes.ids)]))
            return real(model, skip=skip)

        # A lane whose run ends after one mailbox (its time is up).
        with patch.object(type(self.Account), "_claim_next", one_claim):
            lane._sync_lane()
        before = before[0]
        woken = Trigger.search([("cron_id", "in", self.lanes.ids)]) - before
        self.assertEqual(progress.done, 1)
        self.assertEqual(woken.cron_id, self.lanes, "every lane is woken, this one included")

        _cron, progress = self.lanes[0]._add_progress()
        before = Trigger.search([("cron_id", "in", self.lanes.ids)])
        lane.with_context(ir_cron_progress_id=progress.id)._sync_lane()
        self.assertEqual((progress.done, progress.remaining), (1, 0))
        self.assertFalse(Trigger.search([("cron_id", "in", self.lanes.ids)]) - before, "nothing left: none woken")
        self.assertEqual({self.box.state, self.other.state}, {"ok"})

    def test_a_mailbox_synced_this_interval_is_not_taken_again(self):
        self.Account._sync_lane()
        self.assertFalse(set(self.Account._due_ids()) & {self.box.id, self.other.id})
        self.box.sync_claimed_date = self.box.sync_claimed_date - self.Account._sync_interval()
        self.assertIn(self.box.id, self.Account._due_ids())
