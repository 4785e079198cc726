"""One mailbox's sync: its folders, read in batches from their cursors; each batch
indexed, matched and posted in a transaction of its own, and kept even when some
of its emails are not."""

import logging
import threading
import time
from types import SimpleNamespace

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import fields

from ..engine import errors
from ..engine.mailbox import Failure
from .index import HeaderIndex
from .matching import MatchContext, Matcher
from .posting import Poster
from .threads import ThreadFollower

_logger = logging.getLogger(__name__)

# Advisory-lock namespace ("mls\0"): one worker at a time per mailbox.
LOCK_NAMESPACE = 0x6D6C7300
# The reason kept for an email the database refused (the exception is in the log),
# in words on the mailbox form (i18n_words.SKIP_REASONS).
NOT_SAVED = "not saved"
BATCH_SIZE = 500
# Failures that are no email's fault: the batch is tried again at the next sync.
TRANSIENT = (errors.SyncError, psycopg2.OperationalError)


def commit(env):
    # Tests run in one transaction that must not be committed.
    if not getattr(threading.current_thread(), "testing", False):
        # One mailbox's progress survives another's failure in the same cron run.
        env.cr.commit()  # pylint: disable=invalid-commit


def rollback(env):
    # Tests run in one transaction (savepoints there undo a failed batch).
    if not getattr(threading.current_thread(), "testing", False):
        env.cr.rollback()


class MailboxSync:
    """Reads one mailbox (``account``, with sudo for its cursors) into the index
    and the chatter. The account locks it and records how it went."""

    def __init__(self, env, account):
        self.env = env
        self.account = account
        self.context = MatchContext.for_mailbox(account)
        self.index = HeaderIndex(env, account)
        self.poster = Poster(env, self.context, account)

    def lock(self):
        """True when this worker now holds the mailbox (until ``unlock``)."""
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.account.id])
        return self.env.cr.fetchone()[0]

    def unlock(self):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.account.id])

    def window_start(self):
        """The oldest date imported, fixed at the first sync."""
        account = self.account
        if not account.history_start:
            months = account.company_id.mail_sync_history_months or 6
            account.history_start = fields.Date.context_today(account) - relativedelta(months=months)
        return account.history_start

    def run(self, time_budget=None):
        """Sync every folder; False when the time was up before the end."""
        account = self.account
        deadline = time.monotonic() + time_budget if time_budget else None
        since = self.window_start()
        # Cursors are the sync's own bookkeeping: users may read them, not write them.
        Folder = self.env["mail.sync.folder"].sudo()
        with account._open_mailbox() as box:
            for found in box.sync_folders():
                folder = account.sudo().folder_ids.filtered(lambda f, name=found.name: f.name == name)
                if not folder:
                    folder = Folder.create({"account_id": account.id, "name": found.name, "role": found.role})
                cursor = folder._engine_cursor(box.cursor_type)
                if box.is_unchanged(found, cursor):
                    continue
                for batch in box.index(found, cursor, since=since, batch_size=BATCH_SIZE):
                    self.land_batch(folder, batch, box)
                    commit(self.env)
                    if deadline and time.monotonic() > deadline:
                        return False
            ThreadFollower(self.env, account).follow(box)
        return True

    def land_batch(self, folder, batch, box):
        """Index, match and post one batch, and move the folder's cursor past it.

        Whatever the emails hold, the batch lands: when the database refuses the
        batch as a whole, its emails are taken one by one and those it still
        refuses are kept as failed with the reason, so one email never stops a
        mailbox. The mailbox itself failing (SyncError), or the database for a
        moment (a lost connection, a deadlock, a concurrent update), stops the
        run instead: the next one starts again at this batch."""
        account = self.account
        try:
            with self.env.cr.savepoint():
                self.process_batch(folder, batch, box)
                folder._store_cursor(batch.cursor, len(batch.entries), batch.remaining)
            return
        except TRANSIENT:
            raise
        except Exception:
            _logger.exception("mailbox %s: batch of %s refused, landing it email by email", account.id, folder.name)
        for entry in batch.entries:
            try:
                with self.env.cr.savepoint():
                    self.process_batch(folder, SimpleNamespace(entries=[entry], failures=[]), box)
            except TRANSIENT:
                raise
            except Exception:
                _logger.exception("mailbox %s: email %s of %s could not be saved", account.id, entry.key, folder.name)
                self.keep_failed(folder, [Failure(entry.key, NOT_SAVED)])
        for failure in batch.failures:
            self.keep_failed(folder, [failure])
        with self.env.cr.savepoint():
            folder._store_cursor(batch.cursor, len(batch.entries), batch.remaining)

    def process_batch(self, folder, batch, box):
        """Index one batch of any reader, match it, fetch and post what matched."""
        fresh = self.index.insert(folder, batch, self.context.owner, Matcher(self.env, self.context).decide)
        if batch.failures:
            self.index.insert_failures(folder, batch.failures)
        wanted = {entry.key: row_id for row_id, entry, decision in fresh if decision.posted}
        if wanted:
            raw_by_key = dict(box.fetch_bodies(folder._engine_folder(), list(wanted)))
            self.poster.post_bodies([(wanted[key], raw_by_key.get(key)) for key in wanted])

    def keep_failed(self, folder, failures):
        try:
            with self.env.cr.savepoint():
                self.index.insert_failures(folder, failures)
        except Exception:
            _logger.exception("mailbox %s: failed emails of %s could not be recorded", self.account.id, folder.name)
