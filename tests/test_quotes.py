"""Where a plain-text reply's quoted history is (folded in the chatter)."""

import pytest

from mail_lead_sync.engine.quotes import split_quoted


def visible(text):
    return "\n".join(line for quoted, lines in split_quoted(text) if not quoted for line in lines).strip()


def hidden(text):
    return "\n".join(line for quoted, lines in split_quoted(text) if quoted for line in lines).strip()


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Nov 2, 2026 at 10:00 AM Dana Smith <dana@client.test> wrote:",  # Gmail
        "On 2 Nov 2026, at 10:00, Dana Smith <dana@client.test> wrote:",  # Apple Mail
        "On 11/2/26 10:00, Dana Smith wrote:",  # Thunderbird
        "Le lun. 2 nov. 2026 à 10:00, Dana Smith <dana@client.test> a écrit :",
        "Am Mo., 2. Nov. 2026 um 10:00 Uhr schrieb Dana Smith <dana@client.test>:",
        "El lun, 2 nov 2026 a las 10:00, Dana Smith (<dana@client.test>) escribió:",
        "Op ma 2 nov 2026 om 10:00 schreef Dana Smith <dana@client.test>:",
    ],
)
def test_attribution_and_quote_are_folded_in_five_languages(attribution):
    text = f"Thanks, Thursday works.\n\nBob\n\n{attribution}\n> Can we meet?\n>\n> Dana\n"
    assert visible(text) == "Thanks, Thursday works.\n\nBob"
    assert hidden(text).startswith(attribution) and hidden(text).endswith("> Dana")


def test_gmail_wraps_a_long_attribution_line():
    attribution = "On Mon, Nov 2, 2026 at 10:00 AM Dana Smith-Jones, procurement <\ndana@client.test> wrote:"
    text = f"Yes.\n\n{attribution}\n\n> Offer?\n"
    assert visible(text) == "Yes."


def test_interleaved_answers_stay_visible():
    text = "Hi,\n\n> Price?\n\n42 euros.\n\n> Delivery?\n\nNext week.\n"
    assert visible(text) == "Hi,\n\n\n42 euros.\n\n\nNext week."
    assert [lines for quoted, lines in split_quoted(text) if quoted] == [["> Price?"], ["> Delivery?"]]


@pytest.mark.parametrize(
    "header",
    [
        "-----Original Message-----\nFrom: Dana Smith\nSent: Monday, November 2, 2026 10:00 AM",
        "From: Dana Smith <dana@client.test>\nSent: Monday, November 2, 2026 10:00 AM\nTo: Bob",
        "De : Dana Smith <dana@client.test>\nEnvoyé : lundi 2 novembre 2026 10:00\nÀ : Bob",
        "Von: Dana Smith <dana@client.test>\nGesendet: Montag, 2. November 2026 10:00\nAn: Bob",
        "-----Mensaje original-----\nDe: Dana Smith\nEnviado el: lunes, 2 de noviembre de 2026 10:00",
        "Van: Dana Smith <dana@client.test>\nVerzonden: maandag 2 november 2026 10:00\nAan: Bob",
    ],
)
def test_outlook_history_below_its_header_is_folded(header):
    text = f"Agreed.\n\n{header}\nSubject: Offer\n\nCan we meet?\nDana\n"
    assert visible(text) == "Agreed."
    assert hidden(text).endswith("Dana")


def test_signature_is_folded_and_plain_mail_is_untouched():
    assert visible("See you.\n-- \nBob, Acme\n+32 2 000 00 00\n") == "See you."
    plain = "No quote here.\nFrom the desk of Bob: hello.\n"
    assert hidden(plain) == "" and visible(plain) == plain.strip()
