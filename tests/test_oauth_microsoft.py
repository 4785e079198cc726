"""Microsoft 365 sign-in through msal (the real client) against an HTTPS authority
on loopback shaped like Microsoft's identity platform, then Graph with the token
it gave, on a loopback Graph mailbox (no Microsoft server can run here)."""

import datetime
import urllib.parse

import pytest

from mail_lead_sync.engine import errors, oauth
from mail_lead_sync.engine.graph import FOLDERS, GraphMailbox
from mail_lead_sync.tests.graph_server import GraphServer
from mail_lead_sync.tests.oauth_server import OAuthServer

REDIRECT = "https://crm.example.test/mail_lead_sync/oauth/microsoft"


@pytest.fixture(scope="module")
def authority():
    with OAuthServer(tls=True) as server:
        yield server


@pytest.fixture
def app(authority):
    return oauth.MicrosoftApp(
        "app-1", "secret", tenant="acme.test", authority_host=authority.url, verify=authority.cafile
    )


def consent(authority, app, login="karen@acme.test", nonce=None):
    url, flow = app.start_sign_in(REDIRECT, "st4te", login_hint=login)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    # The ID token carries the authorization request's nonce, as Microsoft's does.
    code = authority.issue_code(login, "app-1", REDIRECT, query["code_challenge"], nonce=nonce or query["nonce"])
    return url, flow, {"state": query["state"], "code": code}


def test_sign_in_url_asks_for_mail_read_with_pkce(authority, app):
    url, flow, _params = consent(authority, app)
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{authority.url}/acme.test/oauth2/v2.0/authorize"
    assert set(query["scope"].split()) >= {"https://graph.microsoft.com/Mail.Read", "offline_access"}
    assert (query["client_id"], query["redirect_uri"], query["state"]) == ("app-1", REDIRECT, "st4te")
    assert query["code_challenge_method"] == "S256" and flow["code_verifier"]
    assert query["login_hint"] == "karen@acme.test"


def test_code_exchange_refresh_then_graph(authority, app):
    _url, flow, params = consent(authority, app)
    grant = app.finish_sign_in(flow, params)
    assert grant.access_token and grant.refresh_token
    token_call = authority.requests[-1][1]
    assert token_call["grant_type"] == "authorization_code" and token_call["code_verifier"] == flow["code_verifier"]
    fresh = app.refresh(grant.refresh_token)
    assert fresh.access_token != grant.access_token and fresh.refresh_token == grant.refresh_token
    with GraphServer(authority) as graph:
        raw = b"From: dana@client.test\r\nTo: karen@acme.test\r\nSubject: Hi\r\nMessage-ID: <g1@client.test>\r\n\r\nx"
        graph.deliver("karen@acme.test", "inbox", raw)
        old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=300)
        graph.deliver("karen@acme.test", "inbox", raw.replace(b"g1@", b"g0@"), received=old)
        with GraphMailbox(fresh.access_token, base_url=graph.base_url) as box:
            assert [f.name for f in box.sync_folders()] == ["inbox", "sentitems"]
            since = datetime.date.today() - datetime.timedelta(days=180)
            [batch] = list(box.index(FOLDERS[0], since=since))
            assert [e.record.message_id for e in batch.entries] == ["<g1@client.test>"]
            assert dict(box.fetch_bodies(FOLDERS[0], [batch.entries[0].key])) == {batch.entries[0].key: raw}


def test_code_used_twice_or_wrong_verifier_is_refused(authority, app):
    _url, flow, params = consent(authority, app)
    app.finish_sign_in(flow, params)
    with pytest.raises(errors.TokenRejected):
        app.finish_sign_in(flow, params)
    _url, flow, params = consent(authority, app)
    flow = {**flow, "code_verifier": "not-the-one-whose-challenge-was-sent-0123456789"}
    with pytest.raises(errors.TokenRejected):
        app.finish_sign_in(flow, params)


def test_state_mismatch_is_refused(authority, app):
    _url, flow, params = consent(authority, app)
    with pytest.raises(errors.TokenRejected, match="start again"):
        app.finish_sign_in(flow, {**params, "state": "forged"})


def test_revoked_grant_asks_to_reconnect_and_graph_refuses_old_tokens(authority, app):
    _url, flow, params = consent(authority, app)
    grant = app.finish_sign_in(flow, params)
    authority.revoke(grant.refresh_token)
    with pytest.raises(errors.TokenRejected, match="reconnect"):
        app.refresh(grant.refresh_token)
    with (
        GraphServer(authority) as graph,
        GraphMailbox(grant.access_token, base_url=graph.base_url) as box,
        pytest.raises(errors.TokenRejected, match="reconnect"),
    ):
        box.sync_folders()


def test_unknown_authority_is_said_in_words(authority):
    gone = oauth.MicrosoftApp("app-1", "s", authority_host="https://127.0.0.1:9", verify=authority.cafile, timeout=2)
    with pytest.raises(errors.ConnectionFailed, match="Microsoft's sign-in service"):
        gone.start_sign_in(REDIRECT, "s")


def test_the_grant_names_the_signed_in_account_and_a_replayed_id_token_is_refused(authority, app):
    _url, flow, params = consent(authority, app)
    assert app.finish_sign_in(flow, params).email == "karen@acme.test"
    _url, flow, params = consent(authority, app, nonce="another-sign-in")
    with pytest.raises(errors.TokenRejected):
        app.finish_sign_in(flow, params)
