"""The original inside an email forwarded to the CRM: attached (message/rfc822) or
inline as Gmail, Outlook, Apple Mail and Thunderbird write it in five languages."""

import datetime
import email.message
import email.policy

import pytest

from mail_lead_sync.engine.forward import parse_localized_date, recover
from mail_lead_sync.engine.message import parse_message

UTC = datetime.timezone.utc


def forward_of(body, subject="Fwd: Offer", html=False):
    msg = email.message.EmailMessage()
    msg["From"] = "Bob <bob@acme.test>"
    msg["To"] = "log@crm.acme.test"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 03 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = "<fwd-1@acme.test>"
    msg.set_content(body, subtype="html" if html else "plain")
    return msg.as_bytes()


ORIGINAL_BODY = "Hello Bob,\n\ncan you send the offer for 40 licences?\n\nDana"

# (client, language, block the client writes, expected date)
INLINE = [
    ("gmail", "en", "---------- Forwarded message ---------\nFrom: Dana Smith <dana@client.test>\n"
     "Date: Mon, Nov 2, 2026 at 10:12 AM\nSubject: Offer\nTo: Bob <bob@acme.test>\nCc: Lee <lee@client.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("gmail", "fr", "---------- Forwarded message ---------\nDe : Dana Smith <dana@client.test>\n"
     "Date: lun. 2 nov. 2026 à 10:12\nSubject: Offer\nTo: Bob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("gmail", "de", "---------- Weitergeleitete Nachricht ---------\nVon: Dana Smith <dana@client.test>\n"
     "Date: Mo., 2. Nov. 2026 um 10:12 Uhr\nSubject: Offer\nTo: Bob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("outlook", "en", "________________________________\nFrom: Dana Smith <dana@client.test>\n"
     "Sent: Monday, November 2, 2026 10:12 AM\nTo: Bob <bob@acme.test>\nSubject: Offer\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("outlook", "fr", "-----Message d'origine-----\nDe : Dana Smith [mailto:dana@client.test]\n"
     "Envoyé : lundi 2 novembre 2026 10:12\nÀ : Bob <bob@acme.test>\nObjet : Offer\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("outlook", "de", "________________________________\nVon: Dana Smith <dana@client.test>\n"
     "Gesendet: Montag, 2. November 2026 10:12\nAn: Bob <bob@acme.test>\nBetreff: Offer\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("outlook", "es", "________________________________\nDe: Dana Smith <dana@client.test>\n"
     "Enviado: lunes, 2 de noviembre de 2026 10:12\nPara: Bob <bob@acme.test>\nAsunto: Offer\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("outlook", "nl", "________________________________\nVan: Dana Smith <dana@client.test>\n"
     "Verzonden: maandag 2 november 2026 10:12\nAan: Bob <bob@acme.test>\nOnderwerp: Offer\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("apple", "en", "Begin forwarded message:\n\nFrom: Dana Smith <dana@client.test>\n"
     "Subject: Offer\nDate: 2 November 2026 at 10:12:00 CET\nTo: Bob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("apple", "fr", "Début du message réexpédié :\n\nDe: Dana Smith <dana@client.test>\n"
     "Objet: Offer\nDate: 2 novembre 2026 à 10:12:00 UTC+1\nÀ: Bob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("apple", "nl", "Begin doorgestuurd bericht:\n\nVan: Dana Smith <dana@client.test>\n"
     "Onderwerp: Offer\nDatum: 2 november 2026 om 10:12:00 CET\nAan: Bob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("thunderbird", "en", "-------- Forwarded Message --------\nSubject: \tOffer\n"
     "Date: \tMon, 2 Nov 2026 10:12:00 +0000\nFrom: \tDana Smith <dana@client.test>\nTo: \tBob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("thunderbird", "es", "-------- Mensaje reenviado --------\nAsunto: \tOffer\n"
     "Fecha: \tMon, 2 Nov 2026 10:12:00 +0000\nDe: \tDana Smith <dana@client.test>\nPara: \tBob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
    ("thunderbird", "de", "-------- Weitergeleitete Nachricht --------\nBetreff: \tOffer\n"
     "Datum: \tMon, 2 Nov 2026 10:12:00 +0000\nVon: \tDana Smith <dana@client.test>\nAn: \tBob <bob@acme.test>\n",
     datetime.datetime(2026, 11, 2, 10, 12, tzinfo=UTC)),
]  # fmt: skip


@pytest.mark.parametrize(("client", "lang", "block", "date"), INLINE, ids=[f"{c}-{lang}" for c, lang, *_ in INLINE])
def test_inline_forward(client, lang, block, date):
    raw = forward_of(f"FYI, see below.\n\n{block}\n{ORIGINAL_BODY}\n")
    found = recover(raw)
    assert found.how == "inline"
    rec = found.original
    assert [(a.email, a.name) for a in rec.sender] == [("dana@client.test", "Dana Smith")]
    assert [a.email for a in rec.to] == ["bob@acme.test"]
    assert rec.subject == "Offer"
    assert rec.date == date
    assert rec.body_text.startswith("Hello Bob,") and "Forwarded" not in rec.body_text
    assert found.comment == "FYI, see below."
    assert rec.message_id_synthesized and not found.notes


def test_html_forward_from_gmail():
    block = (
        '<div>FYI</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message '
        "---------<br>From: <strong>Dana Smith</strong> <span>&lt;dana@client.test&gt;</span><br>Date: Mon, Nov 2, "
        "2026 at 10:12 AM<br>Subject: Offer<br>To: Bob &lt;bob@acme.test&gt;<br></div><br><br>"
        "<div>Hello Bob,</div><div>can you send the offer?</div></div>"
    )
    rec = recover(forward_of(block, html=True)).original
    assert (rec.sender[0].email, rec.subject) == ("dana@client.test", "Offer")
    assert rec.body_text.startswith("Hello Bob,")


def test_same_original_forwarded_twice_gets_the_same_id():
    gmail, outlook = INLINE[0][2], INLINE[3][2]
    first = recover(forward_of(f"{gmail}\n{ORIGINAL_BODY}")).original
    second = recover(forward_of(f"Again:\n{outlook}\n{ORIGINAL_BODY}", subject="FW: Offer")).original
    assert first.message_id == second.message_id


def test_forward_as_attachment_keeps_the_original_message_id():
    original = (
        b"From: Dana Smith <dana@client.test>\r\nTo: bob@acme.test\r\nSubject: Offer\r\n"
        b"Date: Mon, 02 Nov 2026 10:12:00 +0000\r\nMessage-ID: <offer-q@client.test>\r\n\r\nHello Bob\r\n"
    )
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = "bob@acme.test", "log@crm.acme.test", "Fwd: Offer"
    msg.set_content("see attached")
    msg.add_attachment(email.message_from_bytes(original))
    found = recover(msg.as_bytes())
    assert found.how == "attachment"
    assert (found.original.message_id, found.original.sender[0].email) == ("<offer-q@client.test>", "dana@client.test")
    assert found.comment == "see attached"


def test_not_a_forward():
    assert recover(forward_of("Hi, just a note.\nFrom the desk of Bob: see you.")) is None
    reply = "Sure.\n\nOn Mon, Nov 2, 2026 at 10:12 AM Dana <dana@client.test> wrote:\n> Offer?\n"
    assert recover(forward_of(reply, subject="Re: Offer")) is None


def test_outlook_for_mac_forwards_with_a_reply_style_line():
    # Outlook for Mac writes forwards like replies; the "FW:" subject tells them apart.
    body = 'On 28/10/2026 12:46, "Dana Smith" <dana@client.test> wrote:\n\n    Hello Bob,\n    the offer?\n'
    rec = recover(forward_of(body, subject="FW: Offer")).original
    assert [(a.email, a.name) for a in rec.sender] == [("dana@client.test", "Dana Smith")]
    assert (rec.subject, rec.date) == ("Offer", datetime.datetime(2026, 10, 28, 12, 46, tzinfo=UTC))
    assert rec.body_text == "Hello Bob,\nthe offer?"


def test_apple_mail_quotes_what_it_forwards_and_new_outlook_writes_no_marker():
    apple = (
        "> Begin forwarded message:\n>\n> From: Dana <dana@client.test>\n> Subject: Offer\n"
        "> Date: 2 November 2026 at 10:12:00 CET\n> To: bob@acme.test\n>\n> Hello Bob\n"
    )
    new_outlook = (
        "From: Dana <dana@client.test>\nDate: Monday, 2 November 2026 at 10:12\nTo: bob@acme.test\n"
        "Subject: Offer\nHello Bob\n"
    )
    for body in (apple, new_outlook):
        rec = recover(forward_of(body)).original
        assert (rec.sender[0].email, rec.subject, rec.body_text.strip()) == ("dana@client.test", "Offer", "Hello Bob")
    assert recover(forward_of(new_outlook, subject="Re: Offer")) is None  # a reply quoting its original


def test_unreadable_date_falls_back_with_a_note():
    block = "---------- Forwarded message ---------\nFrom: dana@client.test\nDate: someday\nSubject: Offer\n"
    found = recover(forward_of(f"{block}\nHi"))
    assert found.original.date == parse_message(forward_of("x")).date
    assert "could not be read" in found.notes[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Monday, November 2, 2026 3:05 PM", (2026, 11, 2, 15, 5)),
        ("2. November 2026 um 00:05", (2026, 11, 2, 0, 5)),
        ("2 de noviembre de 2026, 12:00 a. m.", (2026, 11, 2, 0, 0)),
        ("02/11/2026 10:12", (2026, 11, 2, 10, 12)),
        ("2026-11-02 10:12", (2026, 11, 2, 10, 12)),
    ],
)
def test_localized_dates(text, expected):
    assert parse_localized_date(text) == datetime.datetime(*expected, tzinfo=UTC)
