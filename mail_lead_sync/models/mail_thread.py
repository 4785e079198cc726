import logging

from odoo import models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """Emails to the CRM's log address: strangers' are dropped without an answer
        (nothing is ever sent to them); users' carry their raw bytes along, so the
        original inside a forward is read from them."""
        if not any(route[0] == "mail.sync.forward" for route in routes or ()):
            return super()._message_route_process(message, message_dict, routes)
        if not self.env["mail.sync.forward"]._forwarder(message_dict.get("email_from")):
            _logger.warning(
                "log address: email %s from %s dropped (not from a user)",
                message_dict.get("message_id"),
                message_dict.get("email_from"),
            )
            routes = [route for route in routes if route[0] != "mail.sync.forward"]
            if not routes:
                return False
        raw = message.as_bytes() if hasattr(message, "as_bytes") else bytes(message)
        return super(MailThread, self.with_context(mail_sync_raw=raw))._message_route_process(
            message, message_dict, routes
        )
