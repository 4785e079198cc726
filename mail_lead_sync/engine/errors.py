"""Errors a provider raises, each with a message a salesperson can read.

``code`` is stable (the Odoo layer stores it to pick a state such as
'reconnect'); ``str(error)`` is the plain-language explanation.
"""


class SyncError(Exception):
    code = "error"

    def __init__(self, message, detail=""):
        super().__init__(message)
        self.detail = detail  # the server's own words, for the technical log


class AuthenticationFailed(SyncError):
    code = "auth"


class TokenRejected(AuthenticationFailed):
    """An OAuth access grant was refused: expired or revoked; the user must reconnect."""

    code = "reconnect"


class ImapDisabled(SyncError):
    code = "imap_disabled"


class HostNotFound(SyncError):
    code = "host_not_found"


class ConnectionFailed(SyncError):
    code = "connection"


class ConnectTimeout(ConnectionFailed):
    code = "timeout"


class TlsFailed(SyncError):
    code = "tls"


class ServerError(SyncError):
    code = "server"


class HostRefused(SyncError):
    """A server name or address the sync must not connect to (a private network, the
    machine itself, a cloud's metadata service), or that is not a server name at all."""

    code = "host_refused"


class HostNeedsConfirmation(SyncError):
    """The server found is outside the address's domain and no known provider: the
    password goes there only once the user confirmed these hosts."""

    code = "confirm_host"

    def __init__(self, message, hosts, detail=""):
        super().__init__(message, detail)
        self.hosts = tuple(hosts)
