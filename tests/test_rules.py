"""The sync rules (docs/sync-rules.md), row by row. Each test names the rule it pins down."""

import pytest

from mail_lead_sync.engine import rules
from mail_lead_sync.engine.message import parse_headers

# The seed's Acme company: Bob and Karen are users, Sue is not.
ACME = rules.InternalRules.build(
    excluded_domains=["acme.com"],
    internal_addresses=["bob@acme.com", "Karen <karen.acme@gmail.com>"],
)
SUE_CONTACT = ("res.partner", 1)
RECORDS = {"sue.acme@gmail.com": {SUE_CONTACT}, "sue@acme.com": {SUE_CONTACT}}


def mail(sender, to, cc="", bcc="", msgid="<m@x>", extra=""):
    lines = [f"From: {sender}", f"To: {to}", f"Message-ID: {msgid}", "Date: Mon, 02 Nov 2026 10:00:00 +0000"]
    if cc:
        lines.append(f"Cc: {cc}")
    if bcc:
        lines.append(f"Bcc: {bcc}")
    lines.extend(extra.splitlines())
    return parse_headers(("\r\n".join(lines) + "\r\n\r\n").encode())


@pytest.mark.parametrize(
    ("sender", "to", "trackable"),
    [
        # Bob -> Sue at the company domain: Sue is no user, but acme.com is excluded.
        ("Bob <bob@acme.com>", "Sue <sue@acme.com>", False),
        # Bob -> Sue at her gmail address: external, tracked.
        ("Bob <bob@acme.com>", "Sue <sue.acme@gmail.com>", True),
        # Bob -> Karen, a user writing from gmail: a user's address is internal whatever its domain.
        ("Bob <bob@acme.com>", "Karen <karen.acme@gmail.com>", False),
    ],
)
def test_acme_table(sender, to, trackable):
    record = mail(sender, to)
    assert rules.is_trackable(record, ACME) is trackable
    decision = rules.decide(record, ACME, RECORDS, {})
    assert decision.posted is trackable
    assert decision.reason == ("address" if trackable else "internal only")


def test_internal_address_never_matched_even_if_a_record_has_it():
    # A contact created with a coworker's address must not pull in internal mail.
    records = {"karen.acme@gmail.com": {("res.partner", 9)}, "sue.acme@gmail.com": {SUE_CONTACT}}
    record = mail("bob@acme.com", "karen.acme@gmail.com, sue.acme@gmail.com")
    assert rules.decide(record, ACME, records, {}).targets == {SUE_CONTACT: "sue.acme@gmail.com"}


def test_bcc_counts_only_on_mail_the_owner_sent():
    received = mail("stranger@elsewhere.test", "bob@acme.com", bcc="sue.acme@gmail.com")
    sent = mail("bob@acme.com", "ann@acme.com", bcc="sue.acme@gmail.com")
    owner = frozenset({"bob@acme.com"})
    assert rules.external_participants(received, ACME, owner) == ["stranger@elsewhere.test"]
    assert rules.external_participants(sent, ACME, owner) == ["sue.acme@gmail.com"]
    assert not rules.is_trackable(sent, ACME)  # without knowing the owner, Bcc is ignored


def test_one_email_many_records_once_each():
    lead_a, lead_b, partner = ("crm.lead", 1), ("crm.lead", 2), ("res.partner", 5)
    records = {"dana@client.test": {lead_a, partner}, "eve@client.test": {lead_b, partner}}
    record = mail("bob@acme.com", "Dana <dana@client.test>", cc="eve@client.test, DANA@client.test")
    targets = rules.decide(record, ACME, records, {}).targets
    assert targets == {lead_a: "dana@client.test", partner: "dana@client.test", lead_b: "eve@client.test"}


def test_no_parsable_participant_is_skipped_with_a_reason():
    record = mail("undisclosed", "not an address")
    assert rules.decide(record, ACME, RECORDS, {}).reason == "no parsable participant"


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied",
        "Precedence: bulk",
        "List-Id: <news.client.test>",
        "List-Unsubscribe: <mailto:x@y>",
    ],
)
def test_noise_is_skipped_unless_the_setting_is_off(extra):
    record = mail("news@client.test", "bob@acme.com", extra=extra)
    records = {"news@client.test": {SUE_CONTACT}}
    assert not rules.decide(record, ACME, records, {}).posted
    assert rules.decide(record, ACME, records, {}, skip_noise=False).posted


def test_auto_submitted_no_is_a_person():
    record = mail("sue.acme@gmail.com", "bob@acme.com", extra="Auto-Submitted: no")
    assert rules.decide(record, ACME, RECORDS, {}).reason == "address"


# -- replies from another address ------------------------------------------------
LEAD_1, LEAD_2, LEAD_3 = ("crm.lead", 1), ("crm.lead", 2), ("crm.lead", 3)


def test_reply_from_new_address_follows_the_thread():
    links = {"<first@acme.com>": {LEAD_1: "dana@client.test"}}
    reply = mail(
        "Dana <dana.home@gmail.com>", "bob@acme.com", msgid="<r@gmail.com>", extra="In-Reply-To: <first@acme.com>"
    )
    decision = rules.decide(reply, ACME, {}, links)
    assert (decision.reason, decision.targets, decision.ancestor) == (
        "thread",
        {LEAD_1: "dana@client.test"},
        "<first@acme.com>",
    )


def test_reply_to_leads_sharing_one_address_goes_to_all_of_them():
    links = {"<first@acme.com>": {LEAD_1: "dana@client.test", LEAD_2: "dana@client.test"}}
    reply = mail("dana.home@gmail.com", "bob@acme.com", extra="References: <first@acme.com>")
    assert rules.decide(reply, ACME, {}, links).targets == {LEAD_1: "dana@client.test", LEAD_2: "dana@client.test"}


def test_reply_to_leads_with_different_addresses_is_ambiguous():
    # The seed's stated limit: an email sent to two leads with different addresses.
    links = {"<first@acme.com>": {LEAD_1: "dana@client.test", LEAD_2: "eve@other.test"}}
    reply = mail("someone@gmail.com", "bob@acme.com", extra="In-Reply-To: <first@acme.com>")
    decision = rules.decide(reply, ACME, {}, links)
    assert (decision.reason, decision.targets) == ("ambiguous thread", {})


def test_nearest_linked_ancestor_decides():
    links = {
        "<old@acme.com>": {LEAD_1: "dana@client.test", LEAD_2: "eve@other.test"},
        "<newer@acme.com>": {LEAD_3: "fay@client.test"},
    }
    reply = mail(
        "fay.home@gmail.com",
        "bob@acme.com",
        extra="In-Reply-To: <unknown@x>\r\nReferences: <old@acme.com> <newer@acme.com> <unknown@x>",
    )
    assert rules.decide(reply, ACME, {}, links).targets == {LEAD_3: "fay@client.test"}


def test_address_match_wins_over_thread():
    links = {"<first@acme.com>": {LEAD_1: "dana@client.test"}}
    reply = mail("sue.acme@gmail.com", "bob@acme.com", extra="In-Reply-To: <first@acme.com>")
    assert rules.decide(reply, ACME, RECORDS, links).targets == {SUE_CONTACT: "sue.acme@gmail.com"}


def test_internal_reply_does_not_follow_the_thread():
    links = {"<first@acme.com>": {LEAD_1: "dana@client.test"}}
    reply = mail("karen.acme@gmail.com", "bob@acme.com", extra="In-Reply-To: <first@acme.com>")
    assert rules.decide(reply, ACME, {}, links).reason == "internal only"


@pytest.mark.parametrize("entry", ["lawyer@firm.test", "LAWYER@Firm.test", "@firm.test", "firm.test", "@FIRM.TEST"])
def test_never_sync_entry_keeps_the_whole_message_out(entry):
    # Sue's deal email copies the company's lawyer: the lawyer is on the never-sync list,
    # so the email is synced nowhere, even though Sue is a contact.
    never = ACME.with_never([entry])
    record = mail("bob@acme.com", "sue.acme@gmail.com", cc="Lawyer <lawyer@firm.test>")
    assert rules.decide(record, ACME, RECORDS, {}).posted
    decision = rules.decide(record, never, RECORDS, {})
    assert (decision.posted, decision.reason) == (False, "never-sync list")
    assert never.is_internal("lawyer@firm.test")  # and never matched as a participant


def test_never_sync_list_counts_bcc_and_other_domains_are_untouched():
    never = rules.InternalRules.build(["acme.com"], never=["@firm.test", "  ", "not an address@", "x@y@z"])
    assert never.never_domains == {"firm.test"}
    record = mail("bob@acme.com", "sue.acme@gmail.com", bcc="counsel@firm.test")
    assert rules.decide(record, never, RECORDS, {}).reason == "never-sync list"
    assert rules.decide(mail("bob@acme.com", "sue.acme@gmail.com"), never, RECORDS, {}).posted
    assert not never.is_never("someone@notfirm.test") and not never.is_never("x@sub.firm.test")


def test_header_of_names_the_header_that_carried_the_address():
    record = mail("Sue <sue.acme@gmail.com>", "bob@acme.com", cc="dana@client.test", bcc="eve@client.test")
    assert [rules.header_of(record, a) for a in ("sue.acme@gmail.com", "bob@acme.com", "dana@client.test",
                                                 "eve@client.test", "nobody@x.test")] == [
        "From", "To", "Cc", "Bcc", ""]  # fmt: skip
