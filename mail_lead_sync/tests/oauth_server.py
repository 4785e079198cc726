"""An OAuth 2.0 authorization server on 127.0.0.1, for tests.

It plays both parts a mail provider's identity service plays for us:
- the token endpoint (RFC 6749) our code talks to: authorization codes and
  refresh tokens exchanged for access tokens, revoked grants refused with
  ``invalid_grant`` the way Google and Microsoft answer;
- the introspection endpoint (RFC 7662) Dovecot's ``oauth2`` passdb calls to
  check the access token an XOAUTH2 login presents;
- with a certificate, an HTTPS authority in the shape of Microsoft's identity
  platform (``/{tenant}/v2.0/.well-known/openid-configuration`` and
  ``/{tenant}/oauth2/v2.0/token``), which is what msal insists on talking to.
Plain Python, no Odoo import.
"""

import base64
import hashlib
import json
import re
import secrets
import ssl
import tempfile
import threading
import time
import urllib.parse

from .certs import self_signed
from .loopback_http import LoopbackHttp


def _s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


_TENANT_PATH = re.compile(r"^/(?P<tenant>[^/]+)/(?:v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)$")


class OAuthServer(LoopbackHttp):
    def __init__(self, tls=False, certificate=None):
        self.tls = tls or bool(certificate)
        self.certificate = certificate  # (cert, key) to serve; default: a fresh self-signed pair
        self.cafile = None  # the certificate to trust, when tls
        self.access_tokens = {}  # token -> login
        self.refresh_tokens = {}  # token -> (login, client_id)
        self.codes = {}  # code -> (login, client_id, redirect_uri)
        self.requests = []  # (path, form) of every call, for assertions
        self._lock = threading.Lock()

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def introspection_url(self):
        return self.url + "/introspect"

    @property
    def token_url(self):
        return self.url + "/token"

    def answer(self, method, path, headers, body):
        path = path.partition("?")[0]
        if method == "GET":
            status, reply = self.handle_get(path)
        else:
            status, reply = self.handle(path, dict(urllib.parse.parse_qsl(body.decode())))
        return status, {"Content-Type": "application/json"}, json.dumps(reply).encode()

    def _wrap_socket(self, sock):
        if not self.tls:
            return sock
        self._certdir = tempfile.TemporaryDirectory(prefix="oauth-tls-")
        self.cafile, keyfile = self.certificate or self_signed(self._certdir.name)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cafile, keyfile)
        return context.wrap_socket(sock, server_side=True)

    # A test server's stop, not an ORM override: nothing to return.
    def stop(self):  # pylint: disable=missing-return
        super().stop()
        if self.tls and getattr(self, "_certdir", None):
            self._certdir.cleanup()

    # -- grants ------------------------------------------------------------------
    def issue_token(self, login):
        token = "at-" + secrets.token_urlsafe(24)
        with self._lock:
            self.access_tokens[token] = login
        return token

    def issue_refresh_token(self, login, client_id):
        token = "rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self.refresh_tokens[token] = (login, client_id)
        return token

    def issue_code(self, login, client_id, redirect_uri, code_challenge=None, email=None, nonce=None):
        """What the consent page gives back; with the PKCE challenge of the
        authorization URL, the exchange must present its verifier (RFC 7636).
        The exchange also returns an OpenID Connect ID token naming the account
        (``email``, default the login; ``nonce``: the one of the authorization URL)."""
        code = "code-" + secrets.token_urlsafe(16)
        with self._lock:
            self.codes[code] = (login, client_id, redirect_uri, code_challenge, email or login, nonce)
        return code

    def id_token(self, client_id, email, nonce=None):
        """An ID token as Google and Microsoft shape it (``email``/``email_verified``,
        ``preferred_username``). Signed with nothing: a client receiving it from the
        token endpoint over TLS may rely on TLS instead (OpenID Connect Core §3.1.3.7)."""
        now = int(time.time())
        claims = {"iss": self.url, "sub": hashlib.sha256(email.encode()).hexdigest()[:20], "aud": client_id,
                  "iat": now, "exp": now + 3600, "email": email, "email_verified": True,
                  "preferred_username": email}  # fmt: skip
        if nonce:
            claims["nonce"] = nonce

        def part(data):
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"

    def revoke(self, token):
        """Revoke an access or refresh token (a refresh token takes its access tokens along)."""
        with self._lock:
            self.access_tokens.pop(token, None)
            grant = self.refresh_tokens.pop(token, None)
            if grant:
                for access, login in list(self.access_tokens.items()):
                    if login == grant[0]:
                        del self.access_tokens[access]

    # -- endpoints -----------------------------------------------------------------
    def handle_get(self, path):
        match = _TENANT_PATH.match(path)
        if not match or not path.endswith("openid-configuration"):
            return 404, {"error": "not_found"}
        tenant = match["tenant"]
        base = f"{self.url}/{tenant}"
        with self._lock:
            self.requests.append((path, {}))
        # The fields msal reads, as Microsoft's discovery document names them.
        return 200, {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "tenant_region_scope": "EU",
        }

    def handle(self, path, form):
        with self._lock:
            self.requests.append((path, form))
            if path == "/introspect":
                login = self.access_tokens.get(form.get("token", ""))
                return 200, ({"active": True, "username": login} if login else {"active": False})
            if path == "/token" or _TENANT_PATH.match(path):
                return self._token(form)
        return 404, {"error": "not_found"}

    def _token(self, form):
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            grant = self.refresh_tokens.get(form.get("refresh_token", ""))
            if not grant or grant[1] != form.get("client_id", grant[1]):
                return 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            return 200, self._access(grant[0])
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)
            if not grant or grant[2] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant", "error_description": "Malformed auth code."}
            if grant[3] and _s256(form.get("code_verifier", "")) != grant[3]:
                return 400, {"error": "invalid_grant", "error_description": "The code_verifier does not match."}
            body = self._access(grant[0])
            body["id_token"] = self.id_token(grant[1], grant[4], grant[5])
            refresh = "rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh] = grant[:2]
            body["refresh_token"] = refresh
            return 200, body
        return 400, {"error": "unsupported_grant_type"}

    def _access(self, login):
        token = "at-" + secrets.token_urlsafe(24)
        self.access_tokens[token] = login
        return {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
