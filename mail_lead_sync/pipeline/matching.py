"""Matching: which contacts and leads an email belongs on, decided in SQL for a
whole batch at once (the rules themselves are the engine's, see
``docs/sync-rules.md``)."""

import dataclasses

from ..engine import addresses, rules
from ..engine.rules import InternalRules


# Records a company's mailboxes may post on: the company's own, and those without
# a company (read by every company's users) only where the company allows it.
# Parameters: %(company)s, %(shared)s.
def in_scope(alias):
    return f"({alias}.company_id = %(company)s OR (%(shared)s AND {alias}.company_id IS NULL))"


def scope_params(company):
    return {"company": company.id, "shared": company._mail_sync_shares_records()}


# Portal users write their own contact's address (My Account): an address they typed
# proves nothing, so they never author synced emails. Their contacts still receive
# them (a customer with portal access is a customer), and they read none of them
# (see mail_message.py).
NOT_PORTAL = "NOT EXISTS (SELECT 1 FROM res_users s WHERE s.partner_id = {}.id AND s.share)"


# A link whose record is still there, active and reachable by the company.
LINK_IN_SCOPE = f"""CASE l.res_model
    WHEN 'crm.lead' THEN EXISTS (SELECT 1 FROM crm_lead c WHERE c.id = l.res_id AND c.active AND {in_scope("c")})
    WHEN 'res.partner' THEN EXISTS (SELECT 1 FROM res_partner p WHERE p.id = l.res_id AND p.active
                                                                   AND {in_scope("p")})
    ELSE FALSE END"""


@dataclasses.dataclass(frozen=True)
class MatchContext:
    """Who an email is matched for: the rules, the owner and what colleagues may see.
    Built once per mailbox sync (or forwarded email), read by every stage."""

    rules: InternalRules  # the company's, with the owner's never-sync list
    company: object  # res.company: whose records the email may go on
    owner: frozenset  # the owner's own addresses
    owner_name: str
    source: str  # "Ann's mailbox", for the line that says why an email is on a record
    share_level: str  # the mailbox's sharing level (full, subject, metadata)
    skip_noise: bool
    max_attachment: int  # bytes; 0: no limit
    # Whether the company's mailboxes may post on records without a company (see
    # ``in_scope``), read once: every batch's matching asks.
    shares_records: bool

    @classmethod
    def for_mailbox(cls, account):
        company = account.company_id
        return cls(
            # The company's never-sync list is in its rules; the owner's own list is added here.
            rules=company._mail_sync_internal_rules().with_never(account.user_id._mail_sync_never_entries()),
            company=company,
            owner=account._owner_addresses(),
            owner_name=account.user_id.name,
            source=account.env._("%(owner)s's mailbox", owner=account.user_id.name),
            share_level=account.share_level,
            skip_noise=company.mail_sync_skip_noise,
            max_attachment=_max_attachment(company),
            shares_records=company._mail_sync_shares_records(),
        )

    @classmethod
    def for_forward(cls, user, company):
        """For an email ``user`` forwarded to the CRM (no mailbox), to be posted on
        ``company``'s records (the user's rules still apply)."""
        owner = frozenset(filter(None, (addresses.normalize(a or "") for a in (user.login, user.email))))
        return cls(
            rules=user.company_id._mail_sync_internal_rules().with_never(user._mail_sync_never_entries()),
            company=company,
            owner=owner,
            owner_name=user.name,
            source=user.env._("%(user)s's forward", user=user.name),
            share_level="full",
            skip_noise=False,  # the user chose to log it
            max_attachment=_max_attachment(user.company_id),
            shares_records=company._mail_sync_shares_records(),
        )


def _max_attachment(company):
    return (company.mail_sync_attachment_max_mb or 0) * 1024 * 1024


class Matcher:
    """Decides a batch of parsed emails for one company's records."""

    def __init__(self, env, context):
        self.env = env
        self.context = context
        self.company = context.company
        self.scope = {"company": context.company.id, "shared": context.shares_records}

    def records_by_address(self, wanted):
        """{address: {(model, id)}} for contacts and active leads carrying it that
        the company's mailboxes may post on (see ``in_scope``)."""
        found = {}
        if not wanted:
            return found
        self.env.cr.execute(
            f"""
            SELECT p.email_normalized, 'res.partner', p.id FROM res_partner p
             WHERE p.email_normalized = ANY(%(a)s) AND p.active AND {in_scope("p")}
            UNION ALL
            SELECT l.email_normalized, 'crm.lead', l.id FROM crm_lead l
             WHERE l.email_normalized = ANY(%(a)s) AND l.active AND {in_scope("l")}
            UNION ALL
            SELECT p.email_normalized, 'crm.lead', l.id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
             WHERE p.email_normalized = ANY(%(a)s) AND l.active AND {in_scope("l")}
            """,
            {"a": list(wanted), **self.scope},
        )
        for address, model, res_id in self.env.cr.fetchall():
            found.setdefault(address, set()).add((model, res_id))
        return found

    def links_by_message_id(self, message_ids):
        links = {}
        if message_ids:
            self.env.cr.execute(
                # Records deleted or archived since do not pass their thread on, and
                # a thread never carries an email to a record out of the company's reach.
                f"""
                SELECT l.message_id, l.res_model, l.res_id, l.address FROM mail_sync_link l
                 WHERE l.message_id = ANY(%(ids)s) AND l.state = 'linked' AND {LINK_IN_SCOPE}
                """,
                {"ids": list(message_ids), **self.scope},
            )
            for message_id, model, res_id, address in self.env.cr.fetchall():
                links.setdefault(message_id, {})[(model, res_id)] = address
        return links

    def decide(self, records):
        """One ``rules.Decision`` per email of ``records``, in their order."""
        # Raw SQL below reads contacts, leads and links the ORM may not have written yet.
        self.env.flush_all()
        match = self.context
        internal = match.rules
        externals = [rules.external_participants(rec, internal, match.owner) for rec in records]
        by_address = self.records_by_address({a for external in externals for a in external})
        links = self.links_by_message_id({ref for rec in records for ref in rec.thread_ids})
        return [
            rules.decide(rec, internal, by_address, links, match.owner, match.skip_noise, external)
            for rec, external in zip(records, externals, strict=True)
        ]
