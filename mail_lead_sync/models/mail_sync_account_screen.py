import logging
import smtplib

from odoo import _, fields, models

from .ir_mail_server import _smtp_words

_logger = logging.getLogger(__name__)


class MailSyncAccount(models.Model):
    """What the mailbox form tells its owner: the outcome of Sync Now and Test,
    and a crash in words a salesperson can act on (its detail for administrators)."""

    _inherit = "mail.sync.account"

    last_error_detail = fields.Text(
        "Technical Detail",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="What stopped the last sync, for an administrator (the server log has the full trace).",
    )

    def write(self, vals):
        result = super().write(vals)
        if "last_error" in vals and "last_error_detail" not in vals:
            # A detail belongs to the error it was recorded with, never to a later one.
            self.sudo().filtered("last_error_detail").write({"last_error_detail": False})
        return result

    def _crash_values(self, exc):
        """What the mailbox records of a sync that stopped on a bug: plain words for
        its owner, the exception for an administrator (the trace is in the server log)."""
        return {
            "state": "error",
            "last_error": _(
                "The last sync stopped on a problem Odoo did not expect. The emails synced before it are kept, "
                "and the next sync starts again where this one stopped: nothing to do for now. If this message "
                "is still here after the next sync, tell your administrator; they see the details on this form."
            ),
            "last_error_detail": f"{type(exc).__name__}: {exc}",
        }

    def _record_crash(self, exc):
        self.sudo().write(self._crash_values(exc))

    # -- Sync Now ----------------------------------------------------------------
    def action_sync_now(self):
        """Sync now, then say what came of it (the new emails and their records, or
        the error) and show the form's new state and counts."""
        Link = self.env["mail.sync.link"].sudo()
        last_link = Link.search([], order="id desc", limit=1).id or 0
        super().action_sync_now()
        failed = self.filtered(lambda a: a.state in ("error", "reconnect"))
        if failed:
            result = self._notify(
                _("Sync failed"),
                "\n".join(f"{account.name}: {account.last_error}" for account in failed),
                "danger",
            )
        else:
            links = Link.search([("account_id", "in", self.ids), ("id", ">", last_link), ("state", "=", "linked")])
            emails = len(set(links.mapped("message_id")))
            records = len({(link.res_model, link.res_id) for link in links})
            result = self._notify(_("Sync finished"), self._sync_words(emails, records), "success")
        result["params"]["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return result

    def _sync_words(self, emails, records):
        # One sentence per plural form, each translated whole.
        if not emails:
            return _("Up to date: no new email for your contacts and leads.")
        if emails == 1 and records == 1:
            return _("1 new email, on 1 record.")
        if emails == 1:
            return _("1 new email, on %(records)s records.", records=records)
        if records == 1:
            return _("%(emails)s new emails, on 1 record.", emails=emails)
        return _("%(emails)s new emails, on %(records)s records.", emails=emails, records=records)

    # -- Test ------------------------------------------------------------------
    def action_test_connection(self):
        """Test the incoming server and, when the mailbox sends, the outgoing one."""
        result = super().action_test_connection()
        smtp_server = self.sudo().mail_server_id
        if not self.send_enabled or not smtp_server or self.provider not in ("imap", "gmail"):
            return result
        problem = self._test_smtp_login(smtp_server)
        params = result["params"]
        if params["type"] != "success":
            return result
        if problem:
            return self._notify(
                _("Outgoing server failed"),
                _("Receiving works; sending does not: %(reason)s", reason=problem),
                "danger",
            )
        params["message"] = _(
            "%(incoming)s Sending: the outgoing server accepted the login.", incoming=params["message"]
        )
        return result

    def _test_smtp_login(self, server):
        """Log in to the outgoing server and leave (no email is sent). Returns the
        problem in words, or False."""
        connection = None
        try:
            # Odoo's own connect (certificates, OAuth login, the host policy); it does
            # nothing in tests unless the test asks for the real thing.
            mail_servers = self.env["ir.mail_server"].with_context(mail_sync_send_account=self.id)
            connection = mail_servers.connect(mail_server_id=server.id)
        except Exception as exc:  # noqa: BLE001 - any failure is the answer of the test
            _logger.info("mailbox %s: outgoing server test failed: %s", self.id, exc)
            return _smtp_words(self.env, exc)
        finally:
            if connection is not None:
                try:
                    connection.quit()
                except (smtplib.SMTPException, OSError):
                    pass
        return False
