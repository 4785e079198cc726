from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request

from ..engine import errors


class MailSyncOAuth(http.Controller):
    @http.route("/mail_lead_sync/oauth/google", type="http", auth="user")
    def google_return(self, state="", code="", error="", **kwargs):
        """Where Google sends the user back after consent (or refusal)."""
        account = request.env["mail.sync.account"]._oauth_account_from_state(state)
        if not account:
            raise Forbidden("This sign-in link is not valid for you: start again from your mailbox.")
        if error or not code:
            account.write({"last_error": f"Google sign-in was not completed ({error or 'no code'}).", "state": "error"})
        else:
            try:
                account._oauth_finish_google(code)
            except errors.SyncError as exc:
                account._record_error(exc)
        return request.redirect(f"/odoo/action-mail_lead_sync.mail_sync_account_action/{account.id}")
