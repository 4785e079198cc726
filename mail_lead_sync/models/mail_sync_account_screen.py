import logging
import smtplib

from markupsafe import Markup

from odoo import _, api, fields, models

from ..i18n_words import SKIP_REASONS, skip_reason_words
from .ir_mail_server import _smtp_words

_logger = logging.getLogger(__name__)

# The reason of mail among coworkers only, counted apart from the other skipped mail.
INTERNAL = "internal only"


class MailSyncAccount(models.Model):
    """What the mailbox form tells its owner: the history imported, the counts of
    what was read (they add up), the outcome of Sync Now and Test, and a crash in
    words a salesperson can act on (its detail for administrators)."""

    _inherit = "mail.sync.account"

    progress = fields.Integer("History Imported (%)", compute="_compute_progress")
    # Read = Synced + Only Coworkers + No Contact or Lead + Skipped: every email read is in one of them.
    indexed_count = fields.Integer(
        "Emails Read",
        compute="_compute_counts",
        help="Every email read from this mailbox in the history window: those synced, those among coworkers "
        "only, those with nobody of the CRM, and those skipped.",
    )
    posted_count = fields.Integer(
        "Synced", compute="_compute_counts", help="Emails posted on at least one contact or lead."
    )
    internal_count = fields.Integer(
        "Only Coworkers",
        compute="_compute_counts",
        help="Emails among coworkers and the company's domains only: they stay out of the CRM.",
    )
    unmatched_count = fields.Integer(
        "No Contact or Lead",
        compute="_compute_counts",
        help="Emails with outside people who are no contact or lead yet. They appear on their own when a "
        "contact or lead gets one of their addresses.",
    )
    skipped_count = fields.Integer(
        "Skipped",
        compute="_compute_counts",
        help="Automatic replies, newsletters and mailing lists, addresses on a never-sync list, and emails that "
        "could not be read: the Skipped tab counts them by reason.",
    )
    skipped_summary = fields.Html("Skipped, by Reason", compute="_compute_skipped_summary", sanitize=False)
    last_error_detail = fields.Text(
        "Technical Detail",
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="What stopped the last sync, for an administrator (the server log has the full trace).",
    )

    @api.depends("folder_ids.message_count", "folder_ids.remaining_count")
    def _compute_progress(self):
        for account in self:
            done = sum(account.folder_ids.mapped("message_count"))
            left = sum(account.folder_ids.mapped("remaining_count"))
            # Before a first sync nothing is known of the history: nothing is imported yet.
            account.progress = 0 if not done else 100 if not left else int(100 * done / (done + left))

    def _compute_counts(self):
        stats = {}
        if self.ids:
            self.env["mail.sync.index"].flush_model()
            self.env.cr.execute(
                """SELECT account_id, count(*), count(*) FILTER (WHERE state = 'posted'),
                          count(*) FILTER (WHERE state = 'skipped' AND reason = %(internal)s),
                          count(*) FILTER (WHERE state NOT IN ('posted', 'skipped', 'failed')),
                          count(*) FILTER (WHERE state = 'failed'
                                              OR (state = 'skipped' AND reason IS DISTINCT FROM %(internal)s))
                     FROM mail_sync_index WHERE account_id = ANY(%(ids)s) GROUP BY account_id""",
                {"ids": self.ids, "internal": INTERNAL},
            )
            stats = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for account in self:
            (
                account.indexed_count,
                account.posted_count,
                account.internal_count,
                account.unmatched_count,
                account.skipped_count,
            ) = stats.get(account.id, (0, 0, 0, 0, 0))

    def _compute_skipped_summary(self):
        by_account = {}
        if self.ids:
            self.env["mail.sync.index"].flush_model()
            self.env.cr.execute(
                """SELECT account_id, state, reason, count(*) FROM mail_sync_index
                    WHERE account_id = ANY(%s)
                      AND (state = 'failed' OR (state = 'skipped' AND reason IS DISTINCT FROM %s))
                    GROUP BY 1, 2, 3""",
                [self.ids, INTERNAL],
            )
            for account_id, state, reason, count in self.env.cr.fetchall():
                # A failure's own detail (a server's words) is in the index row and the
                # log; the summary counts it among the emails that could not be read.
                label = skip_reason_words(self.env, reason if reason in SKIP_REASONS else state)
                counts = by_account.setdefault(account_id, {})
                counts[label] = counts.get(label, 0) + count
        for account in self:
            rows = sorted(by_account.get(account.id, {}).items(), key=lambda item: (-item[1], item[0]))
            account.skipped_summary = (
                Markup("<table class='table table-sm o_mail_sync_skipped'>%s</table>")
                % Markup().join(Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (r, c) for r, c in rows)
                if rows
                else False
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
