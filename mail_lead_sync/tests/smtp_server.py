"""An SMTP submission server on 127.0.0.1 (aiosmtpd), for tests: STARTTLS with a
self-signed certificate, AUTH required after it, and what it received kept
(envelope and bytes). Plain Python, no Odoo import."""

import base64
import socket
import ssl
import tempfile

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from .certs import self_signed


class SmtpServer:
    def __init__(self, logins, token_owner=None, certificate=None):
        self.certificate = certificate  # (cert, key); default: a fresh self-signed pair
        self.cafile = None
        self.logins = dict(logins)  # login -> password
        self.token_owner = token_owner  # access token -> login, for XOAUTH2 (an OAuth server's table)
        self.received = []  # (mail_from, rcpt_tos, raw bytes)
        self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        return AuthResult(success=self.logins.get(login) == password, handled=False)

    async def auth_XOAUTH2(self, server, args):
        """SASL XOAUTH2 as Gmail's SMTP takes it: user=…^Aauth=Bearer …^A^A."""
        if len(args) < 2 or not self.token_owner:
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if "=" in part)
        token = fields.get("auth", "").removeprefix("Bearer ")
        return AuthResult(success=self.token_owner(token) == fields.get("user"), handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def start(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._certdir = tempfile.TemporaryDirectory(prefix="smtp-tls-")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert, key = self.certificate or self_signed(self._certdir.name)
        self.cafile = cert
        context.load_cert_chain(cert, key)
        self._controller = Controller(
            self, hostname="127.0.0.1", port=self.port, authenticator=self._authenticate,
            auth_required=True, tls_context=context, require_starttls=True,
        )  # fmt: skip
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None
            self._certdir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
