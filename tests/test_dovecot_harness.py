"""The test harness itself: a real Dovecot with TLS, password and XOAUTH2 logins,
special-use folders, CONDSTORE/QRESYNC, and the loopback OAuth server."""

import datetime
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from mail_lead_sync.tests.dovecot import DovecotServer

UTC = datetime.timezone.utc


def raw_message(n):
    return (
        f"From: Dana <dana@client.test>\r\nTo: bob@example.test\r\nSubject: Harness {n}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <harness{n}@client.test>\r\n\r\nBody {n}.\r\n"
    ).encode()


def tls_client(dovecot, host=None):
    context = ssl.create_default_context(cafile=dovecot.cafile)
    return IMAPClient(host or dovecot.host, port=dovecot.port_ssl, ssl=True, ssl_context=context, timeout=5)


def post(url, form):
    """POST a form; returns (status, JSON body) for success and HTTP errors alike."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# -- password logins --------------------------------------------------------------
def test_password_login_over_starttls_verifies_certificate(dovecot, mailbox):
    client = IMAPClient(dovecot.host, port=dovecot.port_plain, ssl=False, timeout=5)
    assert b"STARTTLS" in client.capabilities()
    client.starttls(ssl.create_default_context(cafile=dovecot.cafile))
    client.login(mailbox.login, mailbox.password)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client.logout()


def test_starttls_refuses_a_server_not_signed_by_the_cafile(dovecot):
    client = IMAPClient(dovecot.host, port=dovecot.port_plain, ssl=False, timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        client.starttls(ssl.create_default_context())  # system CAs only


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_password_login_over_implicit_tls(dovecot, mailbox, host):
    client = tls_client(dovecot, host)
    client.login(mailbox.login, mailbox.password)
    assert client.folder_exists("INBOX")
    client.logout()


def test_plain_login_without_tls_is_allowed_on_loopback(dovecot, mailbox):
    client = IMAPClient(dovecot.host, port=dovecot.port_plain, ssl=False, timeout=5)
    client.login(mailbox.login, mailbox.password)
    client.logout()


def test_wrong_password_is_rejected(dovecot, mailbox):
    with pytest.raises(LoginError):
        tls_client(dovecot).login(mailbox.login, mailbox.password + "x")


# -- XOAUTH2 / OAUTHBEARER ------------------------------------------------------------
def test_xoauth2_login_with_an_issued_token(dovecot, oauth_server, mailbox):
    client = tls_client(dovecot)
    client.oauth2_login(mailbox.login, oauth_server.issue_token(mailbox.login))
    assert client.folder_exists("Sent")
    client.logout()


def test_oauthbearer_login_with_an_issued_token(dovecot, oauth_server, mailbox):
    client = tls_client(dovecot)
    client.oauthbearer_login(mailbox.login, oauth_server.issue_token(mailbox.login))
    client.logout()


def test_revoked_token_is_refused(dovecot, oauth_server, mailbox):
    token = oauth_server.issue_token(mailbox.login)
    oauth_server.revoke(token)
    with pytest.raises(LoginError):
        tls_client(dovecot).oauth2_login(mailbox.login, token)


def test_token_of_another_user_is_refused(dovecot, oauth_server, mailbox):
    with pytest.raises(LoginError):
        tls_client(dovecot).oauth2_login(mailbox.login, oauth_server.issue_token("someone@example.test"))


def test_password_does_not_work_as_a_token(dovecot, mailbox):
    with pytest.raises(LoginError):
        tls_client(dovecot).oauth2_login(mailbox.login, mailbox.password)


def test_token_does_not_work_as_a_password(dovecot, oauth_server, mailbox):
    with pytest.raises(LoginError):
        tls_client(dovecot).login(mailbox.login, oauth_server.issue_token(mailbox.login))


def test_refresh_grant_gives_a_token_dovecot_accepts(dovecot, oauth_server, mailbox):
    refresh = oauth_server.issue_refresh_token(mailbox.login, "client-1")
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": "client-1"}
    status, body = post(oauth_server.token_url, form)
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    client = tls_client(dovecot)
    client.oauth2_login(mailbox.login, body["access_token"])
    client.logout()

    oauth_server.revoke(refresh)
    assert post(oauth_server.token_url, form) == (
        400,
        {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
    )
    with pytest.raises(LoginError):  # revoking the grant took its access token along
        tls_client(dovecot).oauth2_login(mailbox.login, body["access_token"])


def test_authorization_code_grant(oauth_server, mailbox):
    code = oauth_server.issue_code(mailbox.login, "client-1", "https://crm.example.test/cb")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://crm.example.test/cb"}
    status, body = post(oauth_server.token_url, form)
    assert status == 200 and body["access_token"] and body["refresh_token"]
    assert post(oauth_server.introspection_url, {"token": body["access_token"]}) == (
        200,
        {"active": True, "username": mailbox.login},
    )
    assert post(oauth_server.token_url, form)[0] == 400  # a code is good once


# -- folders and capabilities ---------------------------------------------------------
def test_special_use_folders(dovecot, mailbox):
    client = tls_client(dovecot)
    client.login(mailbox.login, mailbox.password)
    flags = {name: set(folder_flags) for folder_flags, _sep, name in client.list_folders()}
    subscribed = {name for _flags, _sep, name in client.list_sub_folders()}
    client.logout()
    assert b"\\Sent" in flags["Sent"]
    assert b"\\Drafts" in flags["Drafts"]
    assert b"\\Trash" in flags["Trash"]
    assert b"\\Junk" in flags["Junk"]
    assert {"Sent", "Drafts", "Trash", "Junk"} <= subscribed  # auto = subscribe


def test_condstore_and_qresync(dovecot, mailbox):
    client = tls_client(dovecot)
    client.login(mailbox.login, mailbox.password)
    assert {b"CONDSTORE", b"QRESYNC", b"SPECIAL-USE", b"MULTIAPPEND", b"UIDPLUS"} <= set(client.capabilities())
    assert client.enable("QRESYNC") == [b"QRESYNC"]
    assert client.select_folder("INBOX")[b"HIGHESTMODSEQ"] >= 1
    client.logout()


# -- mail --------------------------------------------------------------------------
def test_append_and_flags_round_trip(dovecot, mailbox):
    when = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    dovecot.append(mailbox.login, "Sent", raw_message(1), flags=[b"\\Seen", b"$Label1"], date=when)
    dovecot.append(mailbox.login, "Sent", raw_message(2))
    expected = {1: {b"\\Seen", b"$Label1", b"\\Recent"}, 2: {b"\\Recent"}}
    assert dovecot.flags(mailbox.login, "Sent") == expected
    # EXAMINE changed nothing: a SELECT would have taken \Recent for its session.
    assert dovecot.flags(mailbox.login, "Sent") == expected

    client = tls_client(dovecot)
    client.login(mailbox.login, mailbox.password)
    client.select_folder("Sent", readonly=True)
    fetched = client.fetch([1, 2], ["INTERNALDATE", "BODY.PEEK[]"])
    client.logout()
    assert fetched[1][b"INTERNALDATE"].astimezone(UTC) == when
    assert fetched[2][b"BODY[]"] == raw_message(2)


def test_append_many(dovecot, mailbox):
    assert dovecot.append_many(mailbox.login, "INBOX", (raw_message(n) for n in range(250)), chunk=100) == 250
    assert dovecot.flags(mailbox.login, "INBOX") == {uid: {b"\\Recent"} for uid in range(1, 251)}
    assert dovecot.flags(mailbox.login, "Junk") == {}


# -- life cycle --------------------------------------------------------------------
def test_own_instance_with_user_added_before_start():
    server = DovecotServer()
    server.add_user("early@example.test", "early-pw")
    with server:
        client = IMAPClient(server.host, port=server.port_plain, ssl=False, timeout=5)
        client.login("early@example.test", "early-pw")
        client.logout()
        ports = server.port_plain, server.port_ssl
    server.stop()  # a second stop is harmless
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection((server.host, port), timeout=1).close()
