"""OAuth 2.0 grants for mailbox sign-in: Google, and Microsoft 365 through msal.

The authorization request is a URL the browser follows; the code that comes back
is exchanged at the provider's token endpoint for an access token (what IMAP's
XOAUTH2 login presents) and a refresh token (what is stored). Refreshing goes
through google-auth's ``Credentials``. A grant the provider refuses (revoked,
expired, password changed) raises :class:`errors.TokenRejected`: the mailbox
asks its owner to reconnect.
"""

import base64
import datetime
import functools
import json
import urllib.parse
import warnings
from dataclasses import dataclass

import google.auth.exceptions
import google.auth.transport.requests
import msal
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
    # Asked at sign-in only, never when renewing: a refresh may not ask for more than
    # the grant holds (RFC 6749 §6), and grants made before these were asked lack them.
    sign_in_scopes: tuple = ()


GOOGLE = OAuthProvider(
    name="Google",
    auth_uri="https://accounts.google.com/o/oauth2/v2/auth",
    token_uri="https://oauth2.googleapis.com/token",
    # IMAP needs the full mail scope; the addon only ever reads with it.
    scopes=("https://mail.google.com/",),
    # An ID token naming the account's address: the proof to send from it.
    sign_in_scopes=("openid", "email"),
    # offline: a refresh token; consent: a new one even if the user granted before.
    extra_params=(("access_type", "offline"), ("prompt", "consent")),
)


@dataclass(frozen=True, slots=True)
class Grant:
    access_token: str
    expires_at: datetime.datetime  # aware UTC
    refresh_token: str = ""
    email: str = ""  # the address the provider vouches for ("" when it named none)


def _id_token_claims(id_token):
    """The claims of an ID token received straight from the token endpoint over
    TLS, where OpenID Connect Core §3.1.3.7 lets TLS stand for the signature."""
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError):
        return {}


def _audience_is(claims, client_id):
    audience = claims.get("aud")
    return client_id in audience if isinstance(audience, list) else audience == client_id


def google_email(body, client_id):
    """Google's verified address of the signed-in account, from the token response."""
    claims = _id_token_claims(body.get("id_token", ""))
    if not _audience_is(claims, client_id) or claims.get("email_verified") not in (True, "true"):
        return ""
    return claims.get("email") or ""


def microsoft_email(result, client_id):
    """The signed-in account's user principal name (its domain is one the tenant
    proved it owns). Not the ``email`` claim: Entra lets tenants set it unverified."""
    claims = result.get("id_token_claims") or {}
    if not _audience_is(claims, client_id):
        return ""
    return claims.get("preferred_username") or ""


def authorization_url(provider, client_id, redirect_uri, state, login_hint=""):
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(provider.scopes + provider.sign_in_scopes),
        "state": state,
        **dict(provider.extra_params),
    }
    if login_hint:
        params["login_hint"] = login_hint
    return f"{provider.auth_uri}?{urllib.parse.urlencode(params)}"


def _refused(provider, detail):
    return errors.TokenRejected.of("oauth_token_rejected", detail, provider=provider.name)


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
        raise errors.ConnectionFailed.of("oauth_unreachable_sign_in", str(exc), provider=provider.name) from exc
    body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
    if response.status_code != 200 or "access_token" not in body:
        raise _refused(provider, f"{response.status_code} {body or response.text[:200]}")
    return Grant(
        body["access_token"],
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=int(body.get("expires_in", 3600))),
        body.get("refresh_token", ""),
        google_email(body, client_id),
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
        raise errors.ConnectionFailed.of("oauth_unreachable_renew", str(exc), provider=provider.name) from exc
    expiry = credentials.expiry.replace(tzinfo=datetime.timezone.utc) if credentials.expiry else None
    return Grant(credentials.token, expiry or datetime.datetime.now(datetime.timezone.utc), refresh_token)


# -- Microsoft 365 (Microsoft identity platform, through msal) ---------------------
MICROSOFT_AUTHORITY_HOST = "https://login.microsoftonline.com"
#: Graph permissions asked for; msal adds openid/profile/offline_access itself
#: (the last one is what brings a refresh token).
MICROSOFT_SCOPES = ("https://graph.microsoft.com/Mail.Read",)


@dataclass(frozen=True, slots=True)
class MicrosoftApp:
    """An Entra (Azure AD) app registration: what an administrator enters."""

    client_id: str
    client_secret: str
    tenant: str = "common"  # a tenant id or domain for single-tenant apps
    authority_host: str = MICROSOFT_AUTHORITY_HOST  # tests point it at a loopback server
    verify: str | bool = True  # CA file for a private authority (tests)
    timeout: int = 30

    def _msal(self):
        session = requests.Session()
        # Per request, not per session: requests lets REQUESTS_CA_BUNDLE override a
        # session's ``verify``, and a private authority's CA must win.
        session.request = functools.partial(session.request, timeout=self.timeout, verify=self.verify)
        try:
            return msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self.client_secret,
                authority=f"{self.authority_host.rstrip('/')}/{self.tenant or 'common'}",
                # The authority is named by the admin (or is Microsoft's own): no
                # extra round trip to Microsoft's instance discovery.
                instance_discovery=False,
                http_client=session,
                token_cache=msal.TokenCache(),  # tokens live in the mailbox, not in msal's memory
            )
        except ValueError as exc:  # msal's words for a wrong tenant or an unreachable authority
            raise errors.ConnectionFailed.of("microsoft_bad_tenant", str(exc)) from exc
        except requests.RequestException as exc:
            raise errors.ConnectionFailed.of("microsoft_unreachable", str(exc)) from exc

    def start_sign_in(self, redirect_uri, state, login_hint=""):
        """The URL to send the user to, and the flow to keep (server side: it holds
        the PKCE verifier) until the user comes back."""
        app = self._msal()
        with warnings.catch_warnings():
            # msal advises form_post; a cross-site POST back would arrive without
            # Odoo's SameSite=Lax session cookie, so the code comes in the query
            # (single use, PKCE-bound, over HTTPS).
            warnings.filterwarnings("ignore", message="response_mode='form_post'")
            flow = app.initiate_auth_code_flow(
                list(MICROSOFT_SCOPES), redirect_uri=redirect_uri, state=state, login_hint=login_hint or None
            )
        return flow["auth_uri"], flow

    def _grant(self, result, refresh_token=""):
        if "access_token" not in result:
            raise errors.TokenRejected.of(
                "oauth_token_rejected",
                f"{result.get('error')}: {result.get('error_description', '')[:300]}",
                provider="Microsoft",
            )
        return Grant(
            result["access_token"],
            datetime.datetime.now(datetime.timezone.utc)
            + datetime.timedelta(seconds=int(result.get("expires_in", 3600))),
            # Microsoft rotates refresh tokens: keep the newest one.
            result.get("refresh_token") or refresh_token,
            microsoft_email(result, self.client_id),
        )

    def finish_sign_in(self, flow, params):
        """Trade the code the user came back with (``params``: the return URL's
        query) for tokens; msal checks the state and sends the PKCE verifier."""
        try:
            result = self._msal().acquire_token_by_auth_code_flow(flow, params)
        except (ValueError, RuntimeError) as exc:  # msal: state or nonce mismatch, or a flow used twice
            raise errors.TokenRejected.of("microsoft_sign_in_expired", str(exc)) from exc
        except requests.RequestException as exc:
            raise errors.ConnectionFailed.of("oauth_unreachable_sign_in", str(exc), provider="Microsoft") from exc
        return self._grant(result)

    def refresh(self, refresh_token):
        try:
            result = self._msal().acquire_token_by_refresh_token(refresh_token, list(MICROSOFT_SCOPES))
        except requests.RequestException as exc:
            raise errors.ConnectionFailed.of("oauth_unreachable_renew", str(exc), provider="Microsoft") from exc
        return self._grant(result, refresh_token)
