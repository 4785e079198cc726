"""The header index: one row per email per mailbox (the ``mail.sync.index`` table),
written in bulk, one INSERT per batch."""

import hashlib

from ..engine import rules
from ..engine.message import identity, place_message_id


class HeaderIndex:
    """One mailbox's rows of the header index."""

    def __init__(self, env, account):
        self.env = env
        self.account = account

    def distinct_entries(self, entries):
        """The batch's entries with one per Message-ID, ready for one INSERT, as
        ``[(entry, identity)]``.

        A Message-ID names one email, so copies of it (delivered twice, a list
        copy beside the direct one, the per-recipient copies one send leaves in
        Sent, the same place read twice) are one row, posted once. But a broken
        client can give one id to different emails: an email whose sender, date
        or subject differs from the one that already holds its id (in this batch
        or in the index) gets an id of its own, derived from the id and its
        content, so it is kept and posted too; its copies derive the same id."""
        ids = list({entry.record.message_id for entry in entries})
        self.env.cr.execute(
            """SELECT message_id, identity, CASE WHEN noise IS NOT NULL AND state = 'skipped' THEN id END
                 FROM mail_sync_index WHERE account_id = %s AND message_id = ANY(%s)""",
            [self.account.id, ids],
        )
        found = self.env.cr.fetchall()
        # Rows indexed before identities were kept (NULL) are taken as the same email.
        holders = {mid: key for mid, key, _noisy in found}
        noisy = {mid: row_id for mid, _key, row_id in found if row_id}
        kept, places, position = [], set(), {}
        for entry in entries:
            if entry.key in places:
                continue  # one place read twice: the same email
            places.add(entry.key)
            rec = entry.record
            own = identity(rec)
            held = holders.setdefault(rec.message_id, own)
            if held is not None and held != own:
                digest = hashlib.sha256(f"{rec.message_id}\n{own}".encode()).hexdigest()[:40]
                rec.message_id = f"<{digest}@mail-lead-sync.invalid>"
                rec.message_id_synthesized = True
                holders.setdefault(rec.message_id, own)
            # The list copy of an email was skipped as list mail, but its direct
            # copy is a person's: the direct copy is the one indexed (and posted).
            if rec.message_id in position:
                index = position[rec.message_id]
                if kept[index][0].record.noise and not rec.noise:
                    kept[index] = (entry, own)
                continue  # a copy of an email of this batch: one place is kept
            position[rec.message_id] = len(kept)
            kept.append((entry, own))
        replaced = [
            noisy[e.record.message_id] for e, _own in kept if not e.record.noise and e.record.message_id in noisy
        ]
        if replaced:
            self.env.cr.execute("DELETE FROM mail_sync_index WHERE id = ANY(%s)", [replaced])
        return kept

    def insert(self, folder, batch, owner, decide):
        """One INSERT for the batch, each row written with the state its decision
        gives it (``decide``: parsed emails -> one ``rules.Decision`` each, in their
        order), so no row is written twice. Returns ``[(row id, entry, decision)]``
        for emails not indexed before in this mailbox (a message seen again after a
        UIDVALIDITY change or an expired delta link only gets its new place).
        ``owner``: the owner's addresses (their own sent mail keeps its Bcc)."""
        entries = self.distinct_entries(batch.entries) if batch.entries else []
        if not entries:
            return []
        decisions = decide([entry.record for entry, _own in entries])
        # One array per column, unnested by PostgreSQL: a row of parameters each
        # would be quoted one by one in Python (most of the INSERT's time).
        columns = [[] for _n in range(11)]
        for (entry, own), decision in zip(entries, decisions, strict=True):
            rec = entry.record
            state, reason = row_state(decision)
            participants = rec.participants(include_bcc=rules.owner_sent(rec, owner))
            row = (
                entry.key,
                rec.message_id,
                rec.date.replace(tzinfo=None) if rec.date else None,
                rec.subject[:500],
                rec.sender[0].email if rec.sender else None,
                rec.noise or None,
                array_literal(participants),
                array_literal(rec.thread_ids),
                own,
                state,
                reason,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        self.env.cr.execute(
            """
            INSERT INTO mail_sync_index AS m (account_id, folder_id, key, message_id, date, subject, from_address,
                                              noise, participants, thread_ids, identity, state, reason,
                                              create_uid, write_uid, create_date, write_date)
            SELECT %s, %s, v.key, v.message_id, v.date, v.subject, v.from_address, v.noise, v.participants::text[],
                   v.thread_ids::text[], v.identity, v.state, v.reason, %s, %s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM unnest(%s::varchar[], %s::varchar[], %s::timestamp[], %s::varchar[], %s::varchar[], %s::varchar[],
                          %s::text[], %s::text[], %s::varchar[], %s::varchar[], %s::varchar[])
                AS v(key, message_id, date, subject, from_address, noise, participants, thread_ids, identity, state,
                     reason)
            ON CONFLICT (account_id, message_id) DO UPDATE SET key = EXCLUDED.key
                WHERE m.folder_id = EXCLUDED.folder_id
            RETURNING id, key, (xmax = 0) AS inserted
            """,
            [self.account.id, folder.id, self.env.uid, self.env.uid, *columns],
        )
        rows = self.env.cr.fetchall()
        self.env["mail.sync.index"].invalidate_model()
        by_key = {entry.key: (entry, decision) for (entry, _own), decision in zip(entries, decisions, strict=True)}
        return [(row_id, *by_key[key]) for row_id, key, inserted in rows if inserted]

    def insert_failures(self, folder, failures):
        """Unreadable emails are kept in the index with their place and the reason
        (nothing else of them can be read to name them by)."""
        self.env.cr.execute_values(
            """
            INSERT INTO mail_sync_index (account_id, folder_id, key, message_id, state, reason, create_uid,
                                         write_uid, create_date, write_date)
            VALUES %s ON CONFLICT (account_id, message_id) DO NOTHING
            """,
            [
                (self.account.id, folder.id, f.key, place_message_id(folder.id, f.key), "failed", f.reason,
                 self.env.uid, self.env.uid)
                for f in failures
            ],
            template="(%s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
        )  # fmt: skip

    def message_ids(self, row_ids):
        """{row id: Message-ID}: the index names each email (an email that shares
        its Message-ID with a different one was given an id of its own there, see
        ``distinct_entries``)."""
        self.env.cr.execute("SELECT id, message_id FROM mail_sync_index WHERE id = ANY(%s)", [list(row_ids)])
        return dict(self.env.cr.fetchall())

    def set_states(self, triples):
        """``triples``: [(row id, state, reason)]."""
        if triples:
            self.env.cr.execute_values(
                "UPDATE mail_sync_index m SET state = v.state, reason = v.reason "
                "FROM (VALUES %s) AS v(id, state, reason) WHERE m.id = v.id",
                triples,
            )
            self.env["mail.sync.index"].invalidate_model(["state", "reason"])


def array_literal(items):
    """``items`` (strings) as one PostgreSQL array literal: an array of arrays of
    different lengths cannot be passed as a parameter, a text that PostgreSQL
    reads as one can."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in items)
    return "{" + ",".join(quoted) + "}"


def row_state(decision):
    """(state, reason) an index row starts with: an email to post stays indexed
    until it is posted; one no record wants is indexed (a contact may come later);
    one the rules skip says why."""
    if decision.posted:
        return "indexed", None
    if decision.reason == rules.NO_MATCH:
        return "indexed", decision.reason
    return "skipped", decision.reason


def rows_by_key(row_ids, keys):
    """{entry key: index row id}, as the mailbox readers name messages."""
    return dict(zip(keys, row_ids, strict=True))
