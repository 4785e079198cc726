from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.http import request


class MailSyncOAuth(http.Controller):
    @http.route("/mail_lead_sync/oauth/<string:provider>", type="http", auth="user")
    def oauth_return(self, provider, **params):
        """Where Google or Microsoft send the user back after consent (or refusal)."""
        accounts = request.env["mail.sync.account"]
        if provider not in accounts._OAUTH_PROVIDERS:
            raise Forbidden(request.env._("Unknown sign-in provider."))
        account = accounts.oauth_finish(provider, params)
        if not account:
            raise Forbidden(request.env._("This sign-in link is not valid for you: start again from your mailbox."))
        return request.redirect(f"/odoo/action-mail_lead_sync.mail_sync_account_action/{account.id}")
