"""MIME parsing into MailRecord: ids, dates, subjects, participants, bodies, attachments."""

import datetime
import email.mime.application
import email.mime.multipart
import email.mime.text
import pathlib
import sysconfig

import pytest

from mail_lead_sync.engine.message import MalformedMessage, parse_headers, parse_message

UTC = datetime.timezone.utc


def raw(*headers, body="hello"):
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8")


def test_ids_and_thread_headers():
    rec = parse_headers(
        raw(
            "Message-ID:  <abc@client.test> (comment)",
            "In-Reply-To: Dana's message <p1@client.test>",
            "References: <p0@client.test>\r\n\t<p1@client.test>",
            "From: a@client.test",
        )
    )
    assert rec.message_id == "<abc@client.test>"
    assert not rec.message_id_synthesized
    assert rec.in_reply_to == "<p1@client.test>"
    assert rec.references == ("<p0@client.test>", "<p1@client.test>")
    assert rec.thread_ids == ["<p1@client.test>", "<p0@client.test>"]


def test_missing_message_id_is_synthesized_stably_across_mailboxes():
    headers = (
        "From: Dana <dana@client.test>",
        "To: bob@acme.com",
        "Subject: Quote",
        "Date: Mon, 2 Nov 2026 10:00:00 +0100",
    )
    in_bobs = parse_headers(raw(*headers), fallback_date=datetime.datetime(2026, 11, 2, 9, 5, tzinfo=UTC))
    in_anns = parse_headers(raw(*reversed(headers)), fallback_date=datetime.datetime(2026, 11, 3, tzinfo=UTC))
    other = parse_headers(raw(*headers[:2], "Subject: Quote v2", headers[3]))
    assert in_bobs.message_id_synthesized
    assert in_bobs.message_id == in_anns.message_id != other.message_id
    assert in_bobs.message_id.startswith("<") and in_bobs.message_id.endswith("@mail-lead-sync.invalid>")


@pytest.mark.parametrize(
    ("date_header", "expected", "source"),
    [
        ("Mon, 2 Nov 2026 10:00:00 +0100", datetime.datetime(2026, 11, 2, 9, 0, tzinfo=UTC), "header"),
        ("2 Nov 2026 10:00:00 -0000", datetime.datetime(2026, 11, 2, 10, 0, tzinfo=UTC), "header"),
        ("Mon, 2 Nov 2026 10:00:00 EST", datetime.datetime(2026, 11, 2, 15, 0, tzinfo=UTC), "header"),
        ("not a date at all", datetime.datetime(2026, 11, 1, 8, 30, tzinfo=UTC), "received"),
        ("Fri, 1 Jan 2100 00:00:00 +0000", datetime.datetime(2026, 11, 1, 8, 30, tzinfo=UTC), "received"),
    ],
)
def test_dates_are_aware_utc_with_fallbacks(date_header, expected, source):
    rec = parse_headers(
        raw(
            "Received: from mx by mx.acme.com; Sun, 1 Nov 2026 09:30:00 +0100", f"Date: {date_header}", "From: a@b.test"
        )
    )
    assert (rec.date, rec.date_source) == (expected, source)
    assert rec.date.tzinfo is not None


def test_no_date_anywhere_uses_the_servers_date():
    internal = datetime.datetime(2026, 10, 5, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    rec = parse_headers(raw("From: a@b.test"), fallback_date=internal)
    assert (rec.date, rec.date_source) == (datetime.datetime(2026, 10, 5, 10, 0, tzinfo=UTC), "fallback")
    assert parse_headers(raw("From: a@b.test")).date is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("=?UTF-8?B?w4ljaMOpYW5jZSDwn5OF?=", "Échéance 📅"),
        ("=?iso-8859-1?q?Caf=E9?= =?iso-8859-1?q?_cr=E8me?=", "Café crème"),
        ("Re: =?koi8-r?b?8NLJ18XU?= again", "Re: Привет again"),
        ("=?shift_jis?B?grGC8YLJgr+CzQ==?=", "こんにちは"),
        ("=?x-unknown-charset?q?abc?=", "abc"),
        ("Plain\r\n folded   subject", "Plain folded subject"),
    ],
)
def test_subjects_any_charset(subject, expected):
    assert parse_headers(raw(f"Subject: {subject}", "From: a@b.test")).subject == expected


def test_raw_8bit_headers_read_as_utf8_or_latin1():
    utf8 = parse_headers("From: Jörg <j@b.test>\r\nSubject: Grüße\r\n\r\n".encode())
    latin1 = parse_headers("From: Jörg <j@b.test>\r\nSubject: Grüße\r\n\r\n".encode("latin-1"))
    assert (utf8.subject, utf8.sender[0].name) == ("Grüße", "Jörg")
    assert (latin1.subject, latin1.sender[0].name) == ("Grüße", "Jörg")


def test_participants_by_role_normalized():
    rec = parse_headers(
        raw(
            "From: =?utf-8?q?Dana_M=C3=BCller?= <Dana@Client.TEST>",
            "To: bob@acme.com, Team: ann@acme.com, carl@x.test;",
            "Cc: DANA@client.test",
            "Cc: eve@client.test",
            "Bcc: spy@else.test",
            "Reply-To: replies@client.test",
        )
    )
    assert [(a.email, a.name) for a in rec.sender] == [("dana@client.test", "Dana Müller")]
    assert [a.email for a in rec.to] == ["bob@acme.com", "ann@acme.com", "carl@x.test"]
    assert [a.email for a in rec.cc] == ["dana@client.test", "eve@client.test"]
    assert rec.participants(include_bcc=False) == [
        "dana@client.test",
        "bob@acme.com",
        "ann@acme.com",
        "carl@x.test",
        "eve@client.test",
    ]
    assert rec.participants(include_bcc=True)[-1] == "spy@else.test"
    assert "replies@client.test" not in rec.participants(include_bcc=True)


def test_bodies_and_attachments():
    msg = email.mime.multipart.MIMEMultipart("mixed")
    msg["From"], msg["To"], msg["Subject"] = "dana@client.test", "bob@acme.com", "Offer"
    alt = email.mime.multipart.MIMEMultipart("alternative")
    alt.attach(email.mime.text.MIMEText("Prix: 10 €", "plain", "iso-8859-15"))
    alt.attach(email.mime.text.MIMEText("<p>Prix: <b>10 €</b></p>", "html", "utf-8"))
    msg.attach(alt)
    pdf = email.mime.application.MIMEApplication(b"%PDF-1.4 fake", "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "Devis n°1.pdf"))
    msg.attach(pdf)
    note = email.mime.text.MIMEText("notes", "plain")
    note.add_header("Content-Disposition", "attachment", filename="notes.txt")
    msg.attach(note)
    rec = parse_message(msg.as_bytes())
    assert rec.body_text == "Prix: 10 €"
    assert rec.body_html == "<p>Prix: <b>10 €</b></p>"
    assert [(a.name, a.content_type, a.size, a.content) for a in rec.attachments] == [
        ("Devis n°1.pdf", "application/pdf", 13, None),
        ("notes.txt", "text/plain", 5, None),
    ]
    assert parse_message(msg.as_bytes(), keep_attachment_content=True).attachments[0].content == b"%PDF-1.4 fake"


def test_attached_email_becomes_an_eml_attachment():
    inner = raw("From: x@y.test", "Subject: Original", body="inner body")
    outer = (
        b"From: bob@acme.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--B\r\nContent-Type: message/rfc822\r\n\r\n"
        + inner
        + b"\r\n--B--\r\n"
    )
    rec = parse_message(outer, keep_attachment_content=True)
    assert rec.body_text.strip() == "see below"
    [att] = rec.attachments
    assert (att.name, att.content_type) == ("Original.eml", "message/rfc822")
    assert b"inner body" in att.content


def test_garbage_never_raises_anything_but_malformed():
    for junk in (
        b"",
        b"\x00\xff\xfe" * 50,
        b"From: \r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
    ):
        try:
            rec = parse_message(junk)
        except MalformedMessage:
            continue
        assert rec.participants(include_bcc=True) == []


def _corpus():
    data = pathlib.Path(sysconfig.get_paths()["stdlib"]) / "test" / "test_email" / "data"
    return sorted(data.glob("msg_*.txt"))


def test_cpython_email_corpus(record_property):
    """CPython ships real-world messages for its email package's tests: parse them all."""
    files = _corpus()
    if not files:
        pytest.skip("this Python has no Lib/test/test_email/data")
    parsed, with_participants = 0, 0
    for path in files:
        rec = parse_message(path.read_bytes())
        parsed += 1
        with_participants += bool(rec.participants(include_bcc=True))
        assert rec.message_id.startswith("<"), path.name
        assert rec.date is None or rec.date.tzinfo is not None
    record_property(
        "corpus", f"parsed {parsed} messages of CPython's email corpus, {with_participants} with participants"
    )
    assert parsed == len(files) >= 30
    assert with_participants >= parsed // 2


def test_header_only_reading_matches_the_full_parser():
    """The index pass reads header blocks without the stdlib's parser: the record
    must be the one a whole-message parse gives, on every corpus message."""
    for path in _corpus():
        raw = path.read_bytes()
        block = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0] + b"\n\n"
        from_block = parse_headers(block)
        whole = parse_message(raw)
        for name in ("message_id", "in_reply_to", "references", "date", "subject", "sender", "to", "cc", "noise"):
            assert getattr(from_block, name) == getattr(whole, name), (path.name, name)


def test_one_identity_for_an_email_without_message_id_in_every_reader():
    from mail_lead_sync.engine.graph import record_from_json
    from mail_lead_sync.tests.graph_server import graph_json

    mime = raw(
        "From: Dana <Dana@Client.test>",
        "To: Bob <bob@acme.com>,  ann@acme.com",
        "Subject: =?utf-8?q?Devis_r=C3=A9vis=C3=A9?=",
        "Date: Mon, 2 Nov 2026 10:00:07 +0100",
    )
    arrived = datetime.datetime(2026, 11, 3, 8, 0, tzinfo=UTC)  # an arrival date is never part of it
    imap = parse_headers(mime, fallback_date=arrived)
    graph = record_from_json(graph_json(mime, "AAMk1", arrived))
    body = parse_message(mime)
    assert imap.message_id == graph.message_id == body.message_id
    assert imap.message_id_synthesized and graph.message_id_synthesized
