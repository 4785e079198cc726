from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request

from ..engine import errors

PROVIDERS = {"google": "Google", "microsoft": "Microsoft"}


class MailSyncOAuth(http.Controller):
    @http.route("/mail_lead_sync/oauth/<string:provider>", type="http", auth="user")
    def oauth_return(self, provider, state="", code="", error="", error_description="", **kwargs):
        """Where Google or Microsoft send the user back after consent (or refusal)."""
        if provider not in PROVIDERS:
            raise Forbidden("Unknown sign-in provider.")
        account = request.env["mail.sync.account"]._oauth_account_from_state(state)
        if not account:
            raise Forbidden("This sign-in link is not valid for you: start again from your mailbox.")
        if error or not code:
            # Microsoft explains in error_description (e.g. an admin must consent first).
            detail = f"{error or 'no code'}{': ' + error_description[:200] if error_description else ''}"
            message = f"{PROVIDERS[provider]} sign-in was not completed ({detail})."
            account.write({"last_error": message, "state": "error"})
        else:
            try:
                getattr(account, f"_oauth_finish_{provider}")({**kwargs, "state": state, "code": code})
            except errors.SyncError as exc:
                account._record_error(exc)
        return request.redirect(f"/odoo/action-mail_lead_sync.mail_sync_account_action/{account.id}")
