import logging

from odoo import api, models

_logger = logging.getLogger(__name__)


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def message_route(self, message, message_dict, model=None, thread_id=None, custom_values=None):
        """Personal log addresses (``log+<token>@domain``): Odoo matches aliases by
        the whole address, so the token is taken off here and the user it names is
        remembered for ``_message_route_process``. An unknown token (a guess, or an
        address that was renewed) is dropped: no record, no answer."""
        personal, plain = self.env["mail.sync.forward"]._personal_log_pattern()
        if not personal:
            return super().message_route(message, message_dict, model, thread_id, custom_values)
        found = {
            match.group(0).lower(): match.group(1).lower()
            for key in ("recipients", "to", "cc")
            for match in personal.finditer(message_dict.get(key) or "")
        }
        if not found:
            return super().message_route(message, message_dict, model, thread_id, custom_values)
        users = self.env["mail.sync.forward"]._users_by_log_token(set(found.values()))
        if not users:
            _logger.warning(
                "log address: email %s from %s dropped (unknown or renewed personal log address)",
                message_dict.get("message_id"),
                message_dict.get("email_from"),
            )
            return []
        # The plain log address routes to the log alias by Odoo's own rules.
        for key in ("recipients", "to", "cc"):
            if message_dict.get(key):
                message_dict[key] = personal.sub(plain, message_dict[key])
        message_dict["mail_sync_log_user_ids"] = users.ids
        return super().message_route(message, message_dict, model, thread_id, custom_values)

    def _message_route_process(self, message, message_dict, routes):
        """Emails to the CRM's log address count only when they came to a user's
        personal log address and their From is that user; anything else (a forged
        From on the shared address, a stranger) is dropped without an answer. Users'
        forwards carry their raw bytes along, so the original inside is read from them."""
        # Odoo posts message_dict's values as they are: our key must not stay in it.
        log_user_ids = message_dict.pop("mail_sync_log_user_ids", None) or []
        if not any(route[0] == "mail.sync.forward" for route in routes or ()):
            return super()._message_route_process(message, message_dict, routes)
        user = self.env["mail.sync.forward"]._authenticated_forwarder(
            log_user_ids, message_dict.get("email_from"), message
        )
        if not user:
            _logger.warning(
                "log address: email %s from %s dropped (not from a user's personal log address)",
                message_dict.get("message_id"),
                message_dict.get("email_from"),
            )
            routes = [route for route in routes if route[0] != "mail.sync.forward"]
            if not routes:
                return False
        raw = message.as_bytes() if hasattr(message, "as_bytes") else bytes(message)
        ctx = {"mail_sync_raw": raw, "mail_sync_forwarder_id": user.id}
        return super(MailThread, self.with_context(**ctx))._message_route_process(message, message_dict, routes)

    def _thread_to_store(self, store, /, *, request_list=None, **kwargs):
        """A contact's or lead's chatter also learns how many synced emails users
        took off it ("Not related"), for the link to that list."""
        super()._thread_to_store(store, request_list=request_list, **kwargs)
        if not request_list or self._name not in ("crm.lead", "res.partner") or not self.env.user._is_internal():
            return
        Link = self.env["mail.sync.link"]
        # sudo: links are the sync's bookkeeping; the record is the caller's to read.
        counts = dict(Link.sudo()._read_group(Link._taken_off_domain(self), ["res_id"], ["__count"]))
        for thread in self:
            store.add(thread, {"mail_sync_taken_off": counts.get(thread.id, 0)}, as_thread=True)
