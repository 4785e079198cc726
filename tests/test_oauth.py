"""Google sign-in against an OAuth token endpoint on loopback, then IMAP with the
token it gave, on Dovecot's oauth2 passdb."""

import ssl
import urllib.parse

import pytest

from mail_lead_sync.engine import errors, oauth
from mail_lead_sync.engine.imap import ImapMailbox, ImapSettings
from mail_lead_sync.engine.netguard import HostPolicy

REDIRECT = "https://crm.example.test/mail_lead_sync/oauth/google"


def test_authorization_url_asks_for_offline_mail_access():
    url = oauth.authorization_url(oauth.GOOGLE, "client-1", REDIRECT, "st4te", login_hint="dana@gmail.com")
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == oauth.GOOGLE.auth_uri
    assert query == {
        "client_id": "client-1",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "https://mail.google.com/ openid email",
        "state": "st4te",
        "access_type": "offline",
        "prompt": "consent",
        "login_hint": "dana@gmail.com",
    }


def test_code_exchange_refresh_and_imap_login(oauth_server, dovecot, mailbox):
    code = oauth_server.issue_code(mailbox.login, "client-1", REDIRECT)
    grant = oauth.exchange_code(oauth.GOOGLE, "client-1", "secret", code, REDIRECT, token_uri=oauth_server.token_url)
    assert grant.refresh_token and grant.access_token
    fresh = oauth.refresh(oauth.GOOGLE, "client-1", "secret", grant.refresh_token, token_uri=oauth_server.token_url)
    assert fresh.access_token != grant.access_token and fresh.expires_at.tzinfo is not None
    # Renewing asks for the mail scope only: grants made before openid/email was asked still renew.
    assert oauth_server.requests[-1][1].get("scope") == "https://mail.google.com/"
    settings = ImapSettings(
        host=dovecot.host, port=dovecot.port_ssl, login=mailbox.login, access_token=fresh.access_token,
        ssl_context=ssl.create_default_context(cafile=dovecot.cafile), timeout=5,
        policy=HostPolicy(allow_private=True),
    )  # fmt: skip
    with ImapMailbox(settings) as box:
        assert box.sync_folders()[0].name == "INBOX"


def test_the_grant_names_the_signed_in_address_for_this_client_only(oauth_server, mailbox):
    code = oauth_server.issue_code(mailbox.login, "client-1", REDIRECT, email="Someone.Else@gmail.test")
    grant = oauth.exchange_code(oauth.GOOGLE, "client-1", "secret", code, REDIRECT, token_uri=oauth_server.token_url)
    assert grant.email == "Someone.Else@gmail.test"
    # An ID token issued to another app proves nothing to this one.
    token = oauth_server.id_token("another-client", mailbox.login)
    assert oauth.google_email({"id_token": token}, "client-1") == ""
    assert oauth.google_email({"id_token": "not-a-jwt"}, "client-1") == ""
    assert oauth.microsoft_email({"id_token_claims": {"aud": "app", "preferred_username": "x@y.test"}}, "app") == (
        "x@y.test"
    )
    assert oauth.microsoft_email({"id_token_claims": {"aud": "app", "email": "x@y.test"}}, "app") == ""


def test_a_code_used_twice_is_refused(oauth_server, mailbox):
    code = oauth_server.issue_code(mailbox.login, "client-1", REDIRECT)
    oauth.exchange_code(oauth.GOOGLE, "client-1", "secret", code, REDIRECT, token_uri=oauth_server.token_url)
    with pytest.raises(errors.TokenRejected):
        oauth.exchange_code(oauth.GOOGLE, "client-1", "secret", code, REDIRECT, token_uri=oauth_server.token_url)


def test_revoked_grant_asks_to_reconnect(oauth_server, dovecot, mailbox):
    refresh_token = oauth_server.issue_refresh_token(mailbox.login, "client-1")
    grant = oauth.refresh(oauth.GOOGLE, "client-1", "secret", refresh_token, token_uri=oauth_server.token_url)
    oauth_server.revoke(refresh_token)  # the user removed the app's access in their Google account
    with pytest.raises(errors.TokenRejected) as caught:
        oauth.refresh(oauth.GOOGLE, "client-1", "secret", refresh_token, token_uri=oauth_server.token_url)
    assert "reconnect" in str(caught.value)
    settings = ImapSettings(
        host=dovecot.host, port=dovecot.port_ssl, login=mailbox.login, access_token=grant.access_token,
        ssl_context=ssl.create_default_context(cafile=dovecot.cafile), timeout=5,
        policy=HostPolicy(allow_private=True),
    )  # fmt: skip
    with pytest.raises(errors.TokenRejected):  # its access tokens die with it
        ImapMailbox(settings).connect()


def test_token_endpoint_unreachable(mailbox):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/token"
        with pytest.raises(errors.ConnectionFailed):
            oauth.refresh(oauth.GOOGLE, "client-1", "secret", "rt-x", token_uri=url)
        with pytest.raises(errors.ConnectionFailed):
            oauth.exchange_code(oauth.GOOGLE, "client-1", "secret", "code", REDIRECT, token_uri=url)
