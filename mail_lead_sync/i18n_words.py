"""The words of the engine in the user's language.

The engine imports no Odoo, so it cannot translate: its errors carry a stable
``key`` and the ``params`` of their message (``engine/errors.py``), and the sync
rules name why an email was skipped with a fixed reason. Here each one gets a
translatable text (``_lt``: written once, exported into ``i18n/mail_lead_sync.pot``)
and the functions that give it in an environment's language.
"""

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

#: The translatable text of each message of ``engine.errors.MESSAGES``, by key.
#: The English must stay the engine's word for word (a test compares them), so
#: the sync says the same thing in English whichever side wrote it.
ERROR_WORDS = {
    "host_not_found": _lt("No server named %(host)s was found: check the server name."),
    "mail_host_not_found": _lt("No mail server named %(host)s was found: check the server name."),
    "dns_no_answer": _lt(
        "The server name %(host)s could not be looked up (no answer from DNS): check the network, or try again later."
    ),
    "not_a_host_name": _lt(
        "“%(value)s” is not a server name: enter only the name, such as mail.example.com (no https://, port or path)."
    ),
    "private_host": _lt(
        "%(host)s is on a private or local network (or is a cloud's internal service): only mail servers on the "
        "internet can be used. An administrator can allow private servers in Settings."
    ),
    "imap_timeout": _lt(
        "No server answered at %(where)s within %(seconds)s seconds: check the server name and port, "
        "or try again later."
    ),
    "imap_untrusted_certificate": _lt(
        "The server at %(where)s presented a certificate that cannot be trusted (%(reason)s): check the server name."
    ),
    "imap_tls_failed": _lt(
        "A secure connection with %(where)s could not be set up: check the security setting "
        "(SSL/TLS on port 993, STARTTLS on port 143)."
    ),
    "imap_refused": _lt("Nothing answers at %(where)s: check the server name and port."),
    "imap_connection_failed": _lt(
        "The connection to %(where)s failed: check the server name and port, or try again later."
    ),
    "imap_disabled": _lt(
        "IMAP access is disabled for %(login)s: turn IMAP on in the mailbox's settings, then try again."
    ),
    "imap_token_rejected": _lt(
        "The mail provider refused the access granted for %(login)s (expired or revoked): reconnect the mailbox."
    ),
    "imap_login_refused": _lt(
        "The server refused the login %(login)s: the password is wrong (if the account uses 2-step verification, "
        "use an app password or the provider's connect button)."
    ),
    "imap_not_imap": _lt(
        "The server at %(where)s did not answer as an IMAP mail server: check the server name, port and "
        "security setting."
    ),
    "imap_item_too_large": _lt(
        "The server at %(where)s sent an item of %(size)s bytes, more than any email: check the server name."
    ),
    "no_sent_folder": _lt("This mailbox has no Sent folder to keep a copy in."),
    "smtp_tls_failed": _lt("A secure connection with %(where)s could not be set up."),
    "smtp_no_answer": _lt("No outgoing mail server answered at %(where)s."),
    "ews_host_outside": _lt(
        "The Exchange server found for %(domain)s is outside it: %(hosts)s. Your password will be sent there: "
        "connect only if your mail provider is this one."
    ),
    "ews_host_unconfirmed": _lt("%(host)s is not confirmed."),
    "ews_login_refused": _lt("Exchange refused the login %(login)s: the user name or the password is wrong."),
    "ews_autodiscover_failed": _lt(
        "No Exchange server was found for %(domain)s by Autodiscover: enter the server's address."
    ),
    "ews_busy": _lt("Exchange is busy: the sync goes on later."),
    "ews_untrusted_certificate": _lt("The certificate of %(where)s could not be verified."),
    "ews_timeout": _lt("%(where)s did not answer in time."),
    "ews_no_answer": _lt("No Exchange server answered at %(where)s."),
    "ews_error": _lt("Exchange at %(where)s answered with an error."),
    "ews_folder_refused": _lt("Exchange refused to list this folder."),
    "graph_status": _lt("Microsoft 365 answered %(status)s."),
    "graph_unreachable": _lt("Microsoft 365 could not be reached: try again later."),
    "graph_slow_down": _lt("Microsoft 365 asked to slow down: the sync goes on later."),
    "graph_still_slow_down": _lt("Microsoft 365 kept asking to slow down: the sync goes on later."),
    "graph_not_sent": _lt("Microsoft 365 did not send it (%(status)s)."),
    "oauth_token_rejected": _lt(
        "%(provider)s refused the access granted to this mailbox (expired or revoked): reconnect it."
    ),
    "oauth_unreachable_sign_in": _lt("%(provider)s could not be reached to finish the sign-in."),
    "oauth_unreachable_renew": _lt("%(provider)s could not be reached to renew the access."),
    "microsoft_bad_tenant": _lt(
        "Microsoft's sign-in service did not answer for this tenant: check the tenant in Settings."
    ),
    "microsoft_unreachable": _lt("Microsoft's sign-in service could not be reached."),
    "microsoft_sign_in_expired": _lt("This Microsoft sign-in is not valid any more: start again."),
}

#: Why an email was not put on any record (``engine.rules`` decisions, and the
#: index's own states), as the mailbox form lists them.
SKIP_REASONS = {
    "auto-submitted": _lt("Automatic replies (Auto-Submitted)"),
    "bulk": _lt("Bulk mail (Precedence)"),
    "mailing-list": _lt("Mailing lists and newsletters (List-Id, List-Unsubscribe)"),
    "internal only": _lt("Only coworkers and company domains"),
    "never-sync list": _lt("On a never-sync list"),
    "no parsable participant": _lt("No readable address"),
    "ambiguous thread": _lt("Reply to a thread shared by several records"),
    "failed": _lt("Could not be read"),
    "deleted by its owner": _lt("Deleted everywhere by the mailbox owner"),
    # The engine's and the pipeline's words for an email that could not be read.
    "deleted from the server while being read": _lt("Deleted from the mailbox while being read"),
    "deleted from the mailbox before it could be read": _lt("Deleted from the mailbox before it could be read"),
    "no sender or recipient address could be read": _lt("No readable sender or recipient address"),
    "not saved": _lt("Could not be saved (the rest of the mailbox was synced)"),
}


def error_words(env, exc):
    """What went wrong, in ``env``'s language: the translated message of an engine
    error (its ``key`` and ``params``), else the error's own English words."""
    words = ERROR_WORDS.get(getattr(exc, "key", ""))
    if words is None:
        return str(exc)
    try:
        return env._(words) % exc.params
    except (KeyError, TypeError, ValueError):
        # A translation that lost a placeholder must not hide the error itself.
        return str(exc)


def skip_reason_words(env, reason):
    """A skip reason in ``env``'s language (an unknown reason as it is written)."""
    words = SKIP_REASONS.get(reason)
    return env._(words) if words is not None else reason
