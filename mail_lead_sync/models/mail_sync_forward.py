import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

from ..engine import addresses, forward
from ..engine.message import MalformedMessage, parse_message
from ..pipeline import bodies
from ..pipeline.matching import MatchContext, Matcher
from ..pipeline.posting import Poster

_logger = logging.getLogger(__name__)


class MailSyncForward(models.Model):
    """An email a user forwarded (or Bcc'd) to the CRM's log address. Its original
    is posted by the same rules as synced mail; when no contact or lead matches,
    it waits here for the user to pick one ("Emails to assign")."""

    _name = "mail.sync.forward"
    _description = "Email forwarded to the CRM"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _rec_name = "subject"

    user_id = fields.Many2one("res.users", string="Forwarded by", readonly=True, index=True)
    company_id = fields.Many2one("res.company", readonly=True, default=lambda self: self.env.company)
    subject = fields.Char(readonly=True)
    email_from = fields.Char("Original Sender", readonly=True)
    date = fields.Datetime("Original Date", readonly=True)
    message_id = fields.Char("Original Message-ID", readonly=True, index=True)
    body = fields.Html("Original Email", readonly=True, sanitize=True)
    participants = fields.Char(readonly=True, help="Addresses in the original email, for the assignment.")
    how = fields.Selection(
        [("attachment", "Attached email"), ("inline", "Inline forward"), ("bcc", "Copied (Bcc)")], readonly=True
    )
    state = fields.Selection(
        [("to_assign", "To assign"), ("posted", "Posted"), ("assigned", "Assigned")],
        default="to_assign",
        readonly=True,
        index=True,
    )
    note = fields.Char(readonly=True)
    original_attachment_ids = fields.Many2many("ir.attachment", string="Original Attachments", readonly=True)

    # -- incoming ------------------------------------------------------------------
    @api.model
    def _personal_log_pattern(self):
        """``(regex of <log>+<token>@<domain>, the plain log address)``, or
        ``(None, None)`` while the log alias has no domain."""
        alias = self.env.ref("mail_lead_sync.mail_sync_log_alias", raise_if_not_found=False)
        alias = alias.sudo() if alias else alias
        if not alias or not alias.alias_name or not alias.alias_domain:
            return None, None
        name, domain = re.escape(alias.alias_name), re.escape(alias.alias_domain)
        pattern = re.compile(rf"(?<![\w.+-]){name}\+([a-z0-9]+)@{domain}(?![\w.-])", re.IGNORECASE)
        return pattern, f"{alias.alias_name}@{alias.alias_domain}"

    @api.model
    def _users_by_log_token(self, tokens):
        tokens = [token for token in tokens if token]
        if not tokens:
            return self.env["res.users"]
        return self.env["res.users"].sudo().search([("mail_sync_log_token", "in", tokens), ("share", "=", False)])

    @api.model
    def _user_addresses(self, user):
        """The addresses a user writes from: login, email, connected mailboxes."""
        user = user.sudo()
        own = (user.login, user.email, *user.mail_sync_account_ids.mapped("email"))
        found = {addresses.normalize(a or "") for a in own}
        return found - {None, ""}

    @api.model
    def _authenticated_forwarder(self, user_ids, email_from, message=None):
        """The user who sent this to the log address, when that is proven: it came to
        their personal log address and its From is that same user (exact address), or
        the receiving server the administrator names passed its From domain by DMARC
        or aligned DKIM (``Authentication-Results``). An empty recordset otherwise: a
        From header alone proves nothing, anybody can write any."""
        sender = addresses.normalize(email_from or "")
        if not sender:
            return self.env["res.users"]
        users = self.env["res.users"].sudo().browse(user_ids).exists()
        user = users.filtered(lambda u: not u.share and sender in self._user_addresses(u))[:1]
        if not user and message is not None and self._domain_authenticated(message, addresses.domain_of(sender)):
            user = self._user_of_address(sender)
        return user

    @api.model
    def _user_of_address(self, sender):
        """The internal user whose login, email or connected mailbox is exactly ``sender``."""
        Users = self.env["res.users"].sudo()
        users = Users.search(["|", ("login", "=", sender), ("email_normalized", "=", sender), ("share", "=", False)])
        users = users.filtered(lambda u: not u.share and sender in self._user_addresses(u))
        if not users:
            # A mailbox address counts once proven: anybody can type a client's.
            accounts = self.env["mail.sync.account"].sudo().search([("send_verified_email", "=", sender)])
            users = accounts.user_id.filtered(lambda u: not u.share)
        return users[:1] if len(users) == 1 else Users

    @api.model
    def _domain_authenticated(self, message, domain):
        """True when the topmost ``Authentication-Results`` header (the one the last
        server, ours, added) is from the host named in ``mail_lead_sync.log_authserv_id``
        and says dmarc=pass for ``domain`` (or dkim=pass signed by ``domain``)."""
        authserv = self.env["ir.config_parameter"].sudo().get_param("mail_lead_sync.log_authserv_id")
        headers = message.get_all("Authentication-Results") or []
        if not authserv or not headers or not domain:
            return False
        results = parse_authentication_results(str(headers[0]))
        if not results or results[0] != authserv.strip().lower():
            return False
        for method, result, props in results[1]:
            if result != "pass":
                continue
            if method == "dmarc" and props.get("header.from") == domain:
                return True
            if method == "dkim" and props.get("header.d") == domain:
                return True
        return False

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        # The raw email and its authenticated sender come from the gateway (see
        # mail_thread.py): the original inside it is read from the bytes, not from
        # Odoo's flattened parse.
        raw = self.env.context.get("mail_sync_raw")
        user = self.env["res.users"].browse(self.env.context.get("mail_sync_forwarder_id") or [])
        original, values = (
            self._recover(raw, user) if raw and user else (None, {"note": _("Not a forward from a user.")})
        )
        # The forwarder's company, not the gateway's: its rules and records apply.
        values = {**values, "user_id": user.id, "company_id": (user.company_id or self.env.company).id}
        record = super().message_new(msg_dict, {**(custom_values or {}), **values})
        if original is not None:
            try:
                with self.env.cr.savepoint():
                    record._post_original(original)
            except Exception:
                _logger.exception("forwarded email %s could not be posted", record.id)
                record.note = _("It could not be posted automatically: assign it by hand.")
        return record

    @api.model
    def _recover(self, raw, user):
        """``(original MailRecord, values for the record)`` of an email ``user`` forwarded."""
        try:
            found = forward.recover(raw)
            if found is None:  # the log address was in Bcc (or To) of the user's own email
                found = forward.Forwarded(parse_message(raw, keep_attachment_content=True), "bcc")
        except MalformedMessage as exc:
            return None, {"note": self.env._("This email could not be read (%(reason)s).", reason=exc)}
        original = found.original
        log_addresses = self._log_addresses()
        personal, _plain = self._personal_log_pattern()

        def kept(address):
            # A personal log address in the chatter would hand its secret to every reader.
            return address.email not in log_addresses and not (personal and personal.fullmatch(address.email))

        original.to = tuple(a for a in original.to if kept(a))
        original.cc = tuple(a for a in original.cc if kept(a))
        original.bcc = tuple(a for a in original.bcc if kept(a))
        if original.message_id_synthesized:
            original.message_id = self._synced_message_id(original, user) or original.message_id
        body = (
            bodies.safe_html(self.env, original.body_html)
            if original.body_html
            else plaintext2html(original.body_text or "")
        )
        return original, {
            "subject": original.subject,
            "email_from": original.sender[0].email if original.sender else False,
            "date": original.date.replace(tzinfo=None) if original.date else False,
            "message_id": original.message_id,
            "body": body,
            "participants": ", ".join(original.participants(include_bcc=True)),
            "how": found.how,
            "note": " ".join(found.notes) or False,
            "original_attachment_ids": bodies.attachment_commands(bodies.email_files(original.attachments)),
        }

    @api.model
    def _log_addresses(self):
        alias = self.env.ref("mail_lead_sync.mail_sync_log_alias", raise_if_not_found=False)
        return {addresses.normalize(alias.sudo().alias_full_name or "")} if alias else set()

    @api.model
    def _synced_message_id(self, original, user):
        """The Message-ID a synced copy of this inline-forwarded original has in
        ``user``'s own mailboxes (same sender and subject, within a day: a forward
        prints the time without its zone). Never another user's: the forward would
        show it, and post under it."""
        if not original.sender or not original.date:
            return None
        self.env["mail.sync.index"].flush_model()
        self.env.cr.execute(
            """SELECT m.message_id FROM mail_sync_index m JOIN mail_sync_account a ON a.id = m.account_id
                WHERE a.user_id = %s AND m.from_address = %s AND m.subject = %s
                  AND m.date BETWEEN %s::timestamp - interval '1 day' AND %s::timestamp + interval '1 day'
                ORDER BY m.id LIMIT 1""",
            [user.id, original.sender[0].email, original.subject[:500], original.date.replace(tzinfo=None),
             original.date.replace(tzinfo=None)],
        )  # fmt: skip
        row = self.env.cr.fetchone()
        return row[0] if row else None

    def _post_original(self, record):
        """Post the original by the sync's rules; without a match it waits to be assigned."""
        self.ensure_one()
        env = self.sudo().env
        match = MatchContext.for_forward(self.user_id, self.company_id)
        poster = Poster(env, match)
        [decision] = Matcher(env, match).decide([record])
        if decision.posted:
            poster.post([(0, record, decision)])
            self.state = "posted"
        else:
            present = poster.already_present([record.message_id])
            if present:
                self.write({"state": "posted", "note": _("Already on its records.")})

    # -- assigning -------------------------------------------------------------------
    def action_assign(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Assign %(subject)s", subject=self.subject or _("email")),
            "res_model": "mail.sync.forward.assign",
            "view_mode": "form",
            "target": "new",
            "context": {"default_forward_id": self.id},
        }

    def _check_forwarder(self):
        """Only the forwarder (or an administrator) handles a forwarded email."""
        for record in self:
            if record.sudo().user_id != self.env.user and not self.env.user.has_group("base.group_system"):
                raise AccessError(_("Only the user who forwarded this email can assign it."))

    def _assign(self, target, add_address):
        """Post the original on ``target`` (a contact or a lead) by hand. Users
        only read their forwards: what is posted here (with sudo) is what the
        gateway stored, never values a user wrote."""
        self.ensure_one()
        self._check_forwarder()
        self = self.sudo()  # checked above: the rest reads and writes what the gateway stored
        if self.state == "posted":
            raise UserError(_("This email was already posted."))
        target.check_access("write")
        poster = Poster(self.env, MatchContext.for_forward(self.user_id, self.company_id))
        if (self.message_id, target._name, target.id) not in poster.already_present([self.message_id]):
            author = poster.authors({self.email_from} if self.email_from else set())
            files = [(a.name, a.datas, a.mimetype) for a in self.original_attachment_ids]
            values = {
                "model": target._name,
                "res_id": target.id,
                "author_id": author.get(self.email_from) or False,
                "email_from": self.email_from,
                "subject": self.subject,
                "body": self.body,
                "date": self.date or fields.Datetime.now(),
                "message_id": self.message_id,
                "attachment_ids": bodies.attachment_commands(files, target._name, target.id),
            }
            link = {"address": self.email_from, "reason": "manual",
                    "why": _("Assigned by %(user)s from a forwarded email", user=self.env.user.name)}  # fmt: skip
            poster.create_messages([(values, link)])
        if add_address and self.email_from:
            field = "email_from" if target._name == "crm.lead" else "email"
            if not target[field]:
                target[field] = self.email_from
        self.state = "assigned"


def parse_authentication_results(value):
    """``(authserv-id, [(method, result, {property: value})])`` of an RFC 8601
    Authentication-Results header, lower case; None when it cannot be read."""
    text = re.sub(r"\([^()]*\)", " ", value or "").strip().lower()
    authserv, _semi, rest = text.partition(";")
    authserv = authserv.split()[0] if authserv.split() else ""
    if not authserv:
        return None
    found = []
    for part in rest.split(";"):
        words = part.split()
        if not words or "=" not in words[0]:
            continue
        method, _eq, result = words[0].partition("=")
        props = dict(word.partition("=")[::2] for word in words[1:] if "=" in word)
        found.append((method.split("/")[0], result, {k: v.strip('"') for k, v in props.items()}))
    return authserv, found
