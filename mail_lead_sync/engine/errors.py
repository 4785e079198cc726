"""Errors a provider raises, each with a message a salesperson can read.

``code`` is stable (the Odoo layer stores it to pick a state such as
'reconnect'); ``str(error)`` is the plain-language explanation, in English.
``key`` names that explanation among :data:`MESSAGES` and ``params`` holds the
values of its ``%(name)s`` placeholders, so that an application can show the
same words in its user's language (the Odoo addon does, in ``i18n_words.py``).
"""

#: Every explanation an error of the engine gives, by key. The texts are the
#: English originals of the addon's translations: keep the placeholders.
MESSAGES = {
    # the network and the server's name
    "host_not_found": "No server named %(host)s was found: check the server name.",
    "mail_host_not_found": "No mail server named %(host)s was found: check the server name.",
    "dns_no_answer": (
        "The server name %(host)s could not be looked up (no answer from DNS): check the network, or try again later."
    ),
    "not_a_host_name": (
        "“%(value)s” is not a server name: enter only the name, such as mail.example.com (no https://, port or path)."
    ),
    "private_host": (
        "%(host)s is on a private or local network (or is a cloud's internal service): only mail servers on the "
        "internet can be used. An administrator can allow private servers in Settings."
    ),
    # IMAP
    "imap_timeout": (
        "No server answered at %(where)s within %(seconds)s seconds: check the server name and port, "
        "or try again later."
    ),
    "imap_untrusted_certificate": (
        "The server at %(where)s presented a certificate that cannot be trusted (%(reason)s): check the server name."
    ),
    "imap_tls_failed": (
        "A secure connection with %(where)s could not be set up: check the security setting "
        "(SSL/TLS on port 993, STARTTLS on port 143)."
    ),
    "imap_refused": "Nothing answers at %(where)s: check the server name and port.",
    "imap_connection_failed": (
        "The connection to %(where)s failed: check the server name and port, or try again later."
    ),
    "imap_disabled": ("IMAP access is disabled for %(login)s: turn IMAP on in the mailbox's settings, then try again."),
    "imap_token_rejected": (
        "The mail provider refused the access granted for %(login)s (expired or revoked): reconnect the mailbox."
    ),
    "imap_login_refused": (
        "The server refused the login %(login)s: the password is wrong (if the account uses 2-step verification, "
        "use an app password or the provider's connect button)."
    ),
    "imap_not_imap": (
        "The server at %(where)s did not answer as an IMAP mail server: check the server name, port and "
        "security setting."
    ),
    "imap_item_too_large": (
        "The server at %(where)s sent an item of %(size)s bytes, more than any email: check the server name."
    ),
    "no_sent_folder": "This mailbox has no Sent folder to keep a copy in.",
    # outgoing (SMTP) servers, while looking for one
    "smtp_tls_failed": "A secure connection with %(where)s could not be set up.",
    "smtp_no_answer": "No outgoing mail server answered at %(where)s.",
    # Exchange (EWS)
    "ews_host_outside": (
        "The Exchange server found for %(domain)s is outside it: %(hosts)s. Your password will be sent there: "
        "connect only if your mail provider is this one."
    ),
    "ews_host_unconfirmed": "%(host)s is not confirmed.",
    "ews_login_refused": "Exchange refused the login %(login)s: the user name or the password is wrong.",
    "ews_autodiscover_failed": (
        "No Exchange server was found for %(domain)s by Autodiscover: enter the server's address."
    ),
    "ews_busy": "Exchange is busy: the sync goes on later.",
    "ews_untrusted_certificate": "The certificate of %(where)s could not be verified.",
    "ews_timeout": "%(where)s did not answer in time.",
    "ews_no_answer": "No Exchange server answered at %(where)s.",
    "ews_error": "Exchange at %(where)s answered with an error.",
    "ews_folder_refused": "Exchange refused to list this folder.",
    # Microsoft 365 (Graph)
    "graph_status": "Microsoft 365 answered %(status)s.",
    "graph_unreachable": "Microsoft 365 could not be reached: try again later.",
    "graph_slow_down": "Microsoft 365 asked to slow down: the sync goes on later.",
    "graph_still_slow_down": "Microsoft 365 kept asking to slow down: the sync goes on later.",
    "graph_not_sent": "Microsoft 365 did not send it (%(status)s).",
    # sign-in (OAuth)
    "oauth_token_rejected": (
        "%(provider)s refused the access granted to this mailbox (expired or revoked): reconnect it."
    ),
    "oauth_unreachable_sign_in": "%(provider)s could not be reached to finish the sign-in.",
    "oauth_unreachable_renew": "%(provider)s could not be reached to renew the access.",
    "microsoft_bad_tenant": (
        "Microsoft's sign-in service did not answer for this tenant: check the tenant in Settings."
    ),
    "microsoft_unreachable": "Microsoft's sign-in service could not be reached.",
    "microsoft_sign_in_expired": "This Microsoft sign-in is not valid any more: start again.",
}


class SyncError(Exception):
    code = "error"

    def __init__(self, message, detail="", key="", params=None):
        super().__init__(message)
        self.detail = detail  # the server's own words, for the technical log
        self.key = key  # which of MESSAGES the message is ("" for one of its own)
        self.params = dict(params or {})

    @classmethod
    def of(cls, key, detail="", /, **params):
        """The error whose message is ``MESSAGES[key]`` filled with ``params``."""
        return cls(MESSAGES[key] % params, detail, key=key, params=params)


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

    def __init__(self, message, hosts, detail="", key="", params=None):
        super().__init__(message, detail, key, params)
        self.hosts = tuple(hosts)

    @classmethod
    def of(cls, key, hosts, detail="", /, **params):
        return cls(MESSAGES[key] % params, hosts, detail, key=key, params=params)
