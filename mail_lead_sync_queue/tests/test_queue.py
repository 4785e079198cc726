from odoo.tools import mute_logger

from odoo.addons.mail_lead_sync.tests.common import MailSyncCase
from odoo.addons.mail_lead_sync.tests.dovecot import free_port
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job

QUIET = ("odoo.addons.mail_lead_sync.models.mail_sync_account",)


class TestQueue(MailSyncCase):
    def setUp(self):
        super().setUp()
        self.Account = self.env["mail.sync.account"]

    def job(self):
        jobs = self.env["queue.job"].search([("model_name", "=", self.Account._name)])
        return Job.load(self.env, jobs.ensure_one().uuid)

    def perform(self, job):
        """The job's exception, as the job runner gets it. (Odoo's assertRaises would
        roll back what the job did before it: the runner keeps what the job committed.)"""
        try:
            job.perform()
        except Exception as exc:  # noqa: BLE001 - the test looks at which one
            return exc
        return None

    def test_one_job_per_mailbox_however_often_the_cron_runs(self):
        other = self.connect(self.karen)
        self.Account._cron_sync()
        self.Account._cron_sync()
        jobs = self.env["queue.job"].search([("model_name", "=", self.Account._name)])
        self.assertEqual(sorted(job.records.id for job in jobs), sorted((self.box | other).ids))
        self.assertEqual(set(jobs.mapped("channel")), {"root.mail_sync"})
        self.assertEqual(set(jobs.mapped("state")), {"pending"})

    def test_the_job_syncs_its_mailbox(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Hello", "<q1@client.test>")
        self.Account._cron_sync()
        self.assertIsNone(self.perform(self.job()))
        self.assertEqual((self.box.state, self.box.indexed_count), ("ok", 1))
        self.assertNotIn(self.box.id, self.Account._due_ids(), "synced: not queued again this interval")

    @mute_logger(*QUIET)
    def test_a_passing_failure_is_tried_again_later(self):
        # Nothing answers at the mailbox's port (a server down for a while).
        self.box.sudo().write({"port": free_port(), "password": self.box.sudo().password})
        self.Account._cron_sync()
        job = self.job()
        self.assertIsInstance(self.perform(job), RetryableJobError)
        self.assertEqual(job._get_retry_seconds(), 60, "the first retry waits a minute (the function's pattern)")
        self.assertEqual(self.box.state, "error", "the owner sees it meanwhile")

    @mute_logger(*QUIET)
    def test_a_refused_password_fails_the_job_in_words(self):
        self.box.password_input = "wrong"
        self.Account._cron_sync()
        failure = self.perform(self.job())
        self.assertNotIsInstance(failure, RetryableJobError, "no retry: a person must act")
        self.assertEqual(str(failure), self.box.last_error)
        self.assertEqual(self.box.state, "error")
