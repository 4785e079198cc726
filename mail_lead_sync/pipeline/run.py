"""One mailbox's sync: its folders, read in batches from their cursors; each batch
indexed, matched and posted in a transaction of its own, and kept even when some
of its emails are not."""

import logging
import queue
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


def lock(env, account_id):
    """True when this database session now holds the mailbox (until ``unlock``): a
    session lock, so it outlives the sync's commits; taken twice, released twice."""
    env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, account_id])
    return env.cr.fetchone()[0]


def unlock(env, account_id):
    env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, account_id])


def rollback(env):
    # Tests run in one transaction (savepoints there undo a failed batch).
    if not getattr(threading.current_thread(), "testing", False):
        env.cr.rollback()


class ReadAhead:
    """A reader's batches (``batches``, a generator), read one batch ahead in a
    thread of its own: the next batch comes over the wire and is parsed while the
    database works on this one. The mailbox is used by one side at a time: the
    thread holds ``lock`` while it reads, the sync whenever it uses the mailbox
    itself. A context manager: leaving it stops the thread and closes the reader,
    whatever was left unread (the next sync reads it again from the cursor)."""

    _END = object()

    def __init__(self, batches, lock):
        self.batches = batches
        self.lock = lock
        self.ready = queue.Queue(maxsize=1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._read, name="mail-sync-read-ahead", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __iter__(self):
        while True:
            item, error = self.ready.get()
            if error is not None:
                raise error
            if item is self._END:
                return
            yield item

    def _read(self):
        try:
            while not self.stopped.is_set():
                with self.lock:
                    item = next(self.batches, self._END)
                self.ready.put((item, None))
                if item is self._END:
                    return
        except BaseException as exc:  # noqa: BLE001 - raised again in the sync's own thread
            self.ready.put((None, exc))

    def __exit__(self, *exc_info):
        self.stopped.set()
        # A batch read and not taken is dropped; the thread may then finish its put.
        while self.thread.is_alive():
            try:
                self.ready.get(timeout=0.1)
            except queue.Empty:
                pass
        self.thread.join()
        self.batches.close()


class MailboxSync:
    """Reads one mailbox (``account``, with sudo for its cursors) into the index
    and the chatter. The account locks it and records how it went."""

    def __init__(self, env, account):
        self.env = env
        self.account = account
        self.context = MatchContext.for_mailbox(account)
        self.index = HeaderIndex(env, account)
        self.poster = Poster(env, self.context, account)
        # Held by whoever uses the open mailbox: the sync, or its read-ahead.
        self.box_lock = threading.Lock()

    def lock(self):
        return lock(self.env, self.account.id)

    def unlock(self):
        unlock(self.env, self.account.id)

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
                batches = box.index(found, cursor, since=since, batch_size=BATCH_SIZE)
                with ReadAhead(batches, self.box_lock) as ahead:
                    for batch in ahead:
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
            with self.box_lock:
                raw_by_key = dict(box.fetch_bodies(folder._engine_folder(), list(wanted)))
            self.poster.post_bodies([(wanted[key], raw_by_key.get(key)) for key in wanted])

    def keep_failed(self, folder, failures):
        try:
            with self.env.cr.savepoint():
                self.index.insert_failures(folder, failures)
        except Exception:
            _logger.exception("mailbox %s: failed emails of %s could not be recorded", self.account.id, folder.name)
