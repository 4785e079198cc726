"""An SMTP submission server on 127.0.0.1 (aiosmtpd), for tests: STARTTLS with a
self-signed certificate, AUTH required after it, and what it received kept
(envelope and bytes). Plain Python, no Odoo import."""

import socket
import ssl
import tempfile

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from .certs import self_signed


class SmtpServer:
    def __init__(self, logins):
        self.logins = dict(logins)  # login -> password
        self.received = []  # (mail_from, rcpt_tos, raw bytes)
        self._controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
        password = auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
        return AuthResult(success=self.logins.get(login) == password, handled=False)

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def start(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._certdir = tempfile.TemporaryDirectory(prefix="smtp-tls-")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*self_signed(self._certdir.name))
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
