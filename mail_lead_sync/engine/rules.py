"""The sync rules (docs/sync-rules.md) as pure functions: internal, trackable, targets, thread.

Records are opaque to this module: whatever hashable value the caller uses to name
a contact or a lead (the Odoo layer passes ``(model, id)`` pairs).
"""

from dataclasses import dataclass

from . import addresses

# Why an email no record wants stays in the index (a contact or lead may come later).
NO_MATCH = "no matching record"


@dataclass(frozen=True, slots=True)
class InternalRules:
    """What counts as internal for one company.

    ``excluded_domains``: the company's domains (and any the admin added);
    ``internal_addresses``: every address of an internal user (login, email,
    connected mailboxes), whatever its domain.
    """

    excluded_domains: frozenset = frozenset()
    internal_addresses: frozenset = frozenset()
    never_domains: frozenset = frozenset()  # never-sync lists (company's and mailbox owner's)
    never_addresses: frozenset = frozenset()

    @classmethod
    def build(cls, excluded_domains=(), internal_addresses=(), never=()):
        never_domains, never_addresses = parse_never_list(never)
        return cls(
            frozenset(filter(None, (addresses.normalize_domain(d) for d in excluded_domains))),
            frozenset(filter(None, (addresses.normalize(a) for a in internal_addresses))),
            never_domains,
            never_addresses,
        )

    def with_never(self, entries):
        """These rules plus more never-sync entries (a mailbox owner's own list)."""
        domains, found = parse_never_list(entries)
        return InternalRules(
            self.excluded_domains,
            self.internal_addresses,
            self.never_domains | domains,
            self.never_addresses | found,
        )

    def is_never(self, address):
        return address in self.never_addresses or addresses.domain_of(address) in self.never_domains

    def is_internal(self, address):
        """``address`` must be normalized (as in MailRecord). Never-sync entries
        count as internal: they never make a link."""
        domain = addresses.domain_of(address)
        return (
            address in self.internal_addresses
            or domain in self.excluded_domains
            or address in self.never_addresses
            or domain in self.never_domains
        )


def parse_never_list(entries):
    """``(domains, addresses)`` from never-sync entries: ``@domain`` (or a bare
    domain) and full addresses, in any case."""
    domains, found = set(), set()
    for entry in entries:
        entry = (entry or "").strip()
        if "@" in entry.lstrip("@"):
            normalized = addresses.normalize(entry)
            if normalized:
                found.add(normalized)
        elif entry:
            domain = addresses.normalize_domain(entry.lstrip("@"))
            if domain:
                domains.add(domain)
    return frozenset(domains), frozenset(found)


def header_of(record, address):
    """Which header of the message carries ``address`` ('From', 'To', 'Cc', 'Bcc')."""
    for name, role in (("From", record.sender), ("To", record.to), ("Cc", record.cc), ("Bcc", record.bcc)):
        if any(a.email == address for a in role):
            return name
    return ""


def owner_sent(record, owner_addresses):
    """True when the mailbox owner wrote the message (so its Bcc is the owner's own
    choice of recipients, and counts)."""
    return any(a.email in owner_addresses for a in record.sender)


def external_participants(record, rules, owner_addresses=frozenset()):
    """Addresses of the message that are not internal, in header order."""
    participants = record.participants(include_bcc=owner_sent(record, owner_addresses))
    return [a for a in participants if not rules.is_internal(a)]


def is_trackable(record, rules, owner_addresses=frozenset()):
    return bool(external_participants(record, rules, owner_addresses))


def targets_by_address(external, records_by_address):
    """Records to post on: every record whose address is one of ``external``.

    ``records_by_address`` maps a normalized address to the records carrying it.
    Returns ``{record: address that made the link}`` (first address wins), so each
    record appears once however many of its addresses are in the message.
    """
    targets = {}
    for address in external:
        for record in records_by_address.get(address, ()):
            targets.setdefault(record, address)
    return targets


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    """Outcome of following a reply up its thread."""

    targets: dict  # {record: address that linked the ancestor}; empty if none/ambiguous
    ancestor: str = ""  # Message-ID that decided
    ambiguous: bool = False


def thread_targets(record, links_by_message_id):
    """Records a reply inherits from the nearest ancestor that was linked.

    ``links_by_message_id`` maps a Message-ID to ``{record: address}`` as stored
    when that message was posted. The nearest linked ancestor (In-Reply-To first,
    then References from the newest) decides. If its records were linked through
    two or more different addresses, nobody can tell which one the reply is for:
    the reply is ambiguous and gets no thread link (the seed's documented limit).
    """
    for ancestor in record.thread_ids:
        links = links_by_message_id.get(ancestor)
        if not links:
            continue
        if len(set(links.values())) > 1:
            return ThreadMatch({}, ancestor, ambiguous=True)
        return ThreadMatch(dict(links), ancestor)
    return ThreadMatch({})


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one message, and why (the reason is shown to users)."""

    targets: dict  # {record: address that made the link}
    reason: str  # 'address', 'thread', or why nothing is posted
    ancestor: str = ""  # for 'thread': the Message-ID followed

    @property
    def posted(self):
        return bool(self.targets)


def decide(
    record, rules, records_by_address, links_by_message_id, owner_addresses=frozenset(), skip_noise=True, external=None
):
    """Apply the sync rules (docs/sync-rules.md) to one message, in their order.
    ``external``: its ``external_participants`` when the caller has them already."""
    participants = record.participants(include_bcc=True)
    if not participants:
        return Decision({}, "no parsable participant")
    if any(rules.is_never(a) for a in participants):
        return Decision({}, "never-sync list")
    if skip_noise and record.noise:
        return Decision({}, record.noise)
    if external is None:
        external = external_participants(record, rules, owner_addresses)
    if not external:
        return Decision({}, "internal only")
    targets = targets_by_address(external, records_by_address)
    if targets:
        return Decision(targets, "address")
    thread = thread_targets(record, links_by_message_id)
    if thread.ambiguous:
        return Decision({}, "ambiguous thread", thread.ancestor)
    if thread.targets:
        return Decision(thread.targets, "thread", thread.ancestor)
    return Decision({}, NO_MATCH)
