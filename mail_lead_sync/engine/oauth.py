"""OAuth 2.0 grants for mailbox sign-in (Google now; Microsoft builds on it).

The authorization request is a URL the browser follows; the code that comes back
is exchanged at the provider's token endpoint for an access token (what IMAP's
XOAUTH2 login presents) and a refresh token (what is stored). Refreshing goes
through google-auth's ``Credentials``. A grant the provider refuses (revoked,
expired, password changed) raises :class:`errors.TokenRejected`: the mailbox
asks its owner to reconnect.
"""

import datetime
import urllib.parse
from dataclasses import dataclass

import google.auth.exceptions
import google.auth.transport.requests
import requests
from google.oauth2.credentials import Credentials

from . import errors


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    name: str
    auth_uri: str
    token_uri: str
    scopes: tuple
    extra_params: tuple = ()  # ((key, value), ...) added to the authorization URL


GOOGLE = OAuthProvider(
    name="Google",
    auth_uri="https://accounts.google.com/o/oauth2/v2/auth",
    token_uri="https://oauth2.googleapis.com/token",
    # IMAP needs the full mail scope; the addon only ever reads with it.
    scopes=("https://mail.google.com/",),
    # offline: a refresh token; consent: a new one even if the user granted before.
    extra_params=(("access_type", "offline"), ("prompt", "consent")),
)


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    expires_at: datetime.datetime  # aware UTC
    refresh_token: str = ""


def authorization_url(provider, client_id, redirect_uri, state, login_hint=""):
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(provider.scopes),
        "state": state,
        **dict(provider.extra_params),
    }
    if login_hint:
        params["login_hint"] = login_hint
    return f"{provider.auth_uri}?{urllib.parse.urlencode(params)}"


def _refused(provider, detail):
    return errors.TokenRejected(
        f"{provider.name} refused the access granted to this mailbox (expired or revoked): reconnect it.", detail
    )


def exchange_code(provider, client_id, client_secret, code, redirect_uri, token_uri=None, timeout=30):
    """Trade the authorization code for tokens (RFC 6749 §4.1.3)."""
    try:
        response = requests.post(
            token_uri or provider.token_uri,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": client_id,
                "client_secret": client_secret,
            },
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise errors.ConnectionFailed(f"{provider.name} could not be reached to finish the sign-in.", str(exc)) from exc
    body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
    if response.status_code != 200 or "access_token" not in body:
        raise _refused(provider, f"{response.status_code} {body or response.text[:200]}")
    return Grant(
        body["access_token"],
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=int(body.get("expires_in", 3600))),
        body.get("refresh_token", ""),
    )


def refresh(provider, client_id, client_secret, refresh_token, token_uri=None):
    """A fresh access token for a stored refresh token."""
    credentials = Credentials(
        None,
        refresh_token=refresh_token,
        token_uri=token_uri or provider.token_uri,
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(provider.scopes),
    )
    try:
        credentials.refresh(google.auth.transport.requests.Request())
    except google.auth.exceptions.RefreshError as exc:
        raise _refused(provider, str(exc)) from exc
    except google.auth.exceptions.TransportError as exc:
        raise errors.ConnectionFailed(f"{provider.name} could not be reached to renew the access.", str(exc)) from exc
    expiry = credentials.expiry.replace(tzinfo=datetime.UTC) if credentials.expiry else None
    return Grant(credentials.token, expiry or datetime.datetime.now(datetime.UTC), refresh_token)
