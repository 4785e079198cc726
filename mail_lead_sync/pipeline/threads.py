"""Thread following: replies whose original was linked after them (another folder
read later, the same batch, a contact address added afterwards) are linked too."""

from .index import rows_by_key
from .matching import LINK_IN_SCOPE, MatchContext, scope_params
from .posting import Poster


class ThreadFollower:
    """Follows the threads of one mailbox's index."""

    def __init__(self, env, account):
        self.env = env
        self.account = account

    def follow(self, box=None, rounds=5):
        """Unlinked index rows that name a linked Message-ID are decided again (on
        ``box`` when one is open). A few rounds follow chains of replies."""
        account = self.account
        poster = Poster(self.env, MatchContext.for_mailbox(account), account)
        for _round in range(rounds):
            self.env.flush_all()
            # Only threads linked on records this mailbox may post on.
            self.env.cr.execute(
                f"""
                SELECT m.folder_id, array_agg(m.id), array_agg(m.key) FROM mail_sync_index m
                 WHERE m.account_id = %(account)s AND m.state = 'indexed' AND m.thread_ids <> '{{}}'
                   AND EXISTS (SELECT 1 FROM mail_sync_link l WHERE l.message_id = ANY(m.thread_ids)
                                                              AND l.state = 'linked' AND {LINK_IN_SCOPE})
                 GROUP BY m.folder_id
                """,
                {"account": account.id, **scope_params(account.company_id)},
            )
            groups = self.env.cr.fetchall()
            if not groups:
                return
            for folder_id, row_ids, keys in groups:
                folder = self.env["mail.sync.folder"].sudo().browse(folder_id)
                poster.fetch_and_post(folder, rows_by_key(row_ids, keys), box)
