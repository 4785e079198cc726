"""Retroactive linking: the past emails of an address new on a contact or lead,
found in the header index by address, bodies fetched for those emails only (no
mailbox rescan). The queue is ``mail.sync.pending.address``."""

import time

from odoo.tools import email_normalize

from .index import rows_by_key
from .matching import MatchContext
from .posting import Poster
from .run import commit
from .threads import ThreadFollower


class RetroLinker:
    """Links the past emails of new addresses, for every company's mailboxes."""

    def __init__(self, env):
        self.env = env

    def run(self, chunk=200, time_budget=240):
        """Work through the queue in chunks, one transaction each; ask to run again
        when the time is up."""
        deadline = time.monotonic() + time_budget
        Pending = self.env["mail.sync.pending.address"].sudo()
        cron = self.env["ir.cron"]
        done = 0
        while True:
            self.env.flush_all()
            pending = Pending.search([], limit=chunk)
            if not pending:
                return
            self.link_addresses([a for a in pending.mapped("address") if email_normalize(a)])
            pending.unlink()
            commit(self.env)
            done += len(pending)
            remaining = Pending.search_count([])
            cron._notify_progress(done=done, remaining=remaining)
            if remaining and time.monotonic() > deadline:
                self.env.ref("mail_lead_sync.ir_cron_mail_sync_link").sudo()._trigger()
                return

    def link_addresses(self, addresses):
        # Each company's mailboxes are searched only for the addresses of records
        # they may post on: a new address on another company's contact reads no
        # mailbox of this one. Within a company, one mailbox per email is enough:
        # the same email in two mailboxes is fetched once.
        groups = []
        for company, reachable in self.reachable_addresses(addresses).items():
            self.env.cr.execute(
                """
                WITH candidates AS (
                    SELECT DISTINCT ON (m.message_id) m.id, m.key, m.account_id, m.folder_id
                      FROM mail_sync_index m JOIN mail_sync_account a ON a.id = m.account_id
                     WHERE m.participants && %s::text[] AND m.state IN ('indexed', 'skipped', 'posted')
                       AND a.company_id = %s AND (a.history_start IS NULL OR m.date >= a.history_start)
                     ORDER BY m.message_id, m.id
                )
                SELECT account_id, folder_id, array_agg(id), array_agg(key) FROM candidates
                 GROUP BY account_id, folder_id
                """,
                [sorted(reachable), company.id],
            )
            groups += self.env.cr.fetchall()
        for account_id, folder_id, row_ids, keys in groups:
            account = self.env["mail.sync.account"].sudo().browse(account_id)
            folder = self.env["mail.sync.folder"].sudo().browse(folder_id)
            Poster(self.env, MatchContext.for_mailbox(account), account).fetch_and_post(
                folder, rows_by_key(row_ids, keys)
            )
            ThreadFollower(self.env, account).follow()

    def reachable_addresses(self, addresses):
        """{company with mailboxes: the ``addresses`` carried by records its
        mailboxes may post on}."""
        if not addresses:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT p.email_normalized, p.company_id FROM res_partner p
             WHERE p.email_normalized = ANY(%(a)s) AND p.active
            UNION
            SELECT l.email_normalized, l.company_id FROM crm_lead l
             WHERE l.email_normalized = ANY(%(a)s) AND l.active
            UNION
            SELECT p.email_normalized, l.company_id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
             WHERE p.email_normalized = ANY(%(a)s) AND l.active
            """,
            {"a": list(addresses)},
        )
        by_company = {}
        for address, company_id in self.env.cr.fetchall():
            by_company.setdefault(company_id, set()).add(address)
        self.env.cr.execute("SELECT DISTINCT company_id FROM mail_sync_account")
        companies = self.env["res.company"].sudo().browse(row[0] for row in self.env.cr.fetchall())
        reachable = {}
        for company in companies:
            found = by_company.get(company.id, set())
            if company._mail_sync_shares_records():
                found = found | by_company.get(None, set())
            if found:
                reachable[company] = found
        return reachable
