from odoo import http
from odoo.http import request

from odoo.addons.mail.controllers.thread import ThreadController


class MailSyncThreadController(ThreadController):
    @http.route()
    def mail_thread_messages(self, thread_model, thread_id, *args, **kwargs):
        # A record's chatter is read as a timeline, by the emails' dates (see
        # mail.message._message_fetch); a Discuss channel keeps the order messages came in.
        if thread_model != "discuss.channel":
            request.update_context(mail_sync_by_date=True)
        return super().mail_thread_messages(thread_model, thread_id, *args, **kwargs)
