"""Posting: emails onto the chatter of the records they were matched to, with the
link that keeps each there once. ``Poster.create_messages`` is the one place messages and
links are written, for synced, past, followed, forwarded and assigned emails."""

import datetime
import logging

from odoo import fields
from odoo.tools import formataddr

from odoo.addons.mail.models.mail_message import _image_dataurl

from ..engine import rules
from ..engine.message import MalformedMessage, parse_message
from . import bodies
from .index import HeaderIndex
from .matching import NOT_PORTAL, Matcher

_logger = logging.getLogger(__name__)


class Poster:
    """Posts emails matched in ``context`` (a ``MatchContext``), for ``account``
    (the mailbox they came from; empty for a forwarded email)."""

    def __init__(self, env, context, account=None):
        self.env = env
        self.context = context
        self.account = account

    # -- from the mailbox ------------------------------------------------------------
    def fetch_and_post(self, folder, row_by_key, box=None):
        """Fetch and post index rows of one folder (on ``box`` when one is open).
        ``row_by_key``: {entry key (place in the folder): index row id}."""
        account = self.account
        try:
            if box is None:
                with account._open_mailbox() as box:
                    raw_by_key = dict(box.fetch_bodies(folder._engine_folder(), list(row_by_key)))
            else:
                raw_by_key = dict(box.fetch_bodies(folder._engine_folder(), list(row_by_key)))
        except Exception as exc:  # noqa: BLE001 - an unreachable mailbox waits for the next run
            _logger.info("mailbox %s: past mail not linked now: %s", account.id, exc)
            return
        with self.env.cr.savepoint():
            self.post_bodies([(row_id, raw_by_key.get(key)) for key, row_id in row_by_key.items()])

    def post_bodies(self, rows):
        """Parse the fetched bodies, decide again on the whole message (the body
        fetch is the source of truth) and post. ``rows``: [(index row id, raw)]."""
        index = HeaderIndex(self.env, self.account)
        parsed, states = [], []
        indexed_ids = index.message_ids([r for r, _ in rows])
        for row_id, raw in rows:
            if raw is None:
                states.append((row_id, "failed", "deleted from the mailbox before it could be read"))
                continue
            try:
                rec = parse_message(raw, keep_attachment_content=True)
            except MalformedMessage as exc:
                states.append((row_id, "failed", str(exc)))
                continue
            if indexed_ids.get(row_id, rec.message_id) != rec.message_id:
                rec.message_id, rec.message_id_synthesized = indexed_ids[row_id], True
            parsed.append((row_id, rec))
        decisions = Matcher(self.env, self.context).decide([rec for _row, rec in parsed])
        items = [(row_id, rec, d) for (row_id, rec), d in zip(parsed, decisions, strict=True)]
        posted_rows = self.post(items)
        for row_id, _rec, d in items:
            if row_id in posted_rows:
                states.append((row_id, "posted", d.reason))
            elif not d.posted:
                states.append((row_id, "skipped", d.reason))
            else:
                states.append((row_id, "posted", "already on every record"))
        index.set_states(states)

    # -- matched emails ----------------------------------------------------------------
    def post(self, items):
        """Post matched emails: ``items`` [(index row id, parsed email, decision)].
        Skips what a record already has (same Message-ID synced before, sent from
        Odoo, or routed by Odoo's gateway). Returns the index rows that produced at
        least one message."""
        message_ids = list({rec.message_id for _row, rec, _d in items})
        present = self.already_present(message_ids)
        authors = self.authors({rec.sender[0].email for _r, rec, _d in items if rec.sender})
        postings, posted_rows = [], set()
        # Odoo's chatter lists messages by creation order: create oldest first.
        items = sorted(
            items, key=lambda item: item[1].date or datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)
        )
        for row_id, rec, decision in items:
            for (model, res_id), address in decision.targets.items():
                # Already there: synced before, or sent from this record by an Odoo
                # (its copy in Sent carries another Message-ID, and X-Odoo-Objects).
                if (rec.message_id, model, res_id) in present or f"{model}-{res_id}" in rec.odoo_objects:
                    continue
                present.add((rec.message_id, model, res_id))
                header = rules.header_of(rec, address) if decision.reason == "address" else ""
                why = self.why(decision.reason, address, header, model)
                values = self.message_values(rec, model, res_id, authors)
                link = {"address": address, "header": header, "reason": decision.reason, "why": why}
                postings.append((values, link))
                posted_rows.add(row_id)
        self.create_messages(postings)
        return posted_rows

    def message_values(self, rec, model, res_id, authors):
        sender = rec.sender[0] if rec.sender else None
        email_from = formataddr((sender.name, sender.email)) if sender else False
        level = self.context.share_level or "full"
        body, attachments = bodies.shared_body(self.env, rec, level, self.context.max_attachment)
        return {
            "model": model,
            "res_id": res_id,
            "author_id": authors.get(sender.email) if sender else False,
            "email_from": email_from,
            "reply_to": email_from,
            "subject": (rec.subject or False) if level != "metadata" else False,
            "body": body,
            "date": rec.date.replace(tzinfo=None) if rec.date else fields.Datetime.now(),
            "message_id": rec.message_id,
            "email_add_signature": False,
            "attachment_ids": bodies.attachment_commands(bodies.email_files(attachments), model, res_id),
        }

    def why(self, reason, address, header, model):
        return why_line(self.env, reason, address, header, model, self.context.source)

    # -- the one writer ----------------------------------------------------------------
    def create_messages(self, postings):
        """Create the chatter messages, one create() per model and no notification,
        and their links. ``postings``: [(message values, link values)]; the message
        values name the record (model, res_id) and the email (message_id)."""
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        by_model, link_values = {}, []
        for values, link in postings:
            values = {"message_type": "email", "subtype_id": subtype_id, **values}
            by_model.setdefault(values["model"], []).append(values)
            link_values.append(
                {
                    "message_id": values["message_id"],
                    "res_model": values["model"],
                    "res_id": values["res_id"],
                    "account_id": self.account.id if self.account else False,
                    **link,
                }
            )
        messages = self.env["mail.message"]
        for model, values_list in by_model.items():
            # HTML or SVG attachments of outside senders are kept as text, as Odoo's
            # gateway keeps them: the cron runs as an administrator, whose attachments
            # would otherwise keep their type and be served as pages of Odoo's site.
            Model = self.env[model].sudo().with_context(attachments_mime_plainxml=True)
            # The records' names in one read: mail.message would read them one by one.
            records = Model.browse({values["res_id"] for values in values_list})
            names = {record.id: record.display_name for record in records}
            for values in values_list:
                values.setdefault("record_name", names[values["res_id"]])
            messages |= create_sanitized_once(Model, values_list)
        by_key = {(m.message_id, m.model, m.res_id): m.id for m in messages}
        for values in link_values:
            values["mail_message_id"] = by_key.get((values["message_id"], values["res_model"], values["res_id"]))
        self.insert_links(link_values)

    def insert_links(self, link_values):
        """The links in one INSERT, the rows the ORM's create would write: one
        array per column, unnested by PostgreSQL (as the header index is written):
        the ORM's create of the links took a fifth of a first sync's message creation."""
        columns = [[] for _n in range(9)]
        for values in link_values:
            row = (
                values["message_id"],
                values["res_model"],
                values["res_id"],
                values.get("address"),
                values.get("header"),
                values["reason"],
                values.get("why"),
                values["mail_message_id"],
                values["account_id"],
            )
            for column, value in zip(columns, row, strict=True):
                # As the ORM writes a value: False (an empty field) is NULL, "" stays "".
                column.append(None if value is False else value)
        self.env.cr.execute(
            """
            INSERT INTO mail_sync_link (message_id, res_model, res_id, address, header, reason, why, mail_message_id,
                                        account_id, state, create_uid, write_uid, create_date, write_date)
            SELECT v.*, 'linked', %s, %s, now() at time zone 'UTC', now() at time zone 'UTC'
              FROM unnest(%s::varchar[], %s::varchar[], %s::int[], %s::varchar[], %s::varchar[], %s::varchar[],
                          %s::varchar[], %s::int[], %s::int[])
                AS v(message_id, res_model, res_id, address, header, reason, why, mail_message_id, account_id)
            """,
            [self.env.uid, self.env.uid, *columns],
        )
        self.env["mail.sync.link"].invalidate_model()

    # -- what is there already ---------------------------------------------------------
    def already_present(self, message_ids):
        """{(Message-ID, model, record id)} of these emails on contacts and leads."""
        if not message_ids:
            return set()
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT message_id, model, res_id FROM mail_message
             WHERE message_id = ANY(%(ids)s) AND model IN ('res.partner', 'crm.lead')
            UNION
            SELECT message_id, res_model, res_id FROM mail_sync_link WHERE message_id = ANY(%(ids)s)
            """,
            {"ids": message_ids},
        )
        return set(self.env.cr.fetchall())

    def authors(self, addresses):
        return sender_contacts(self.env, addresses, self.context.company)


def create_sanitized_once(Model, values_list):
    """``Model._message_create(values_list)``, each body sanitized once.

    Creating a message sanitizes its body twice with the same options (for the
    column and for the cache), the most costly step of a first sync. Here the
    bodies are left out of the create and written after it, sanitized once by the
    body field itself, exactly as the create would have stored them. A body with
    inline images goes through the create as it is: mail.message turns those into
    attachments there."""
    bodies = [values.pop("body") if body_written_after(values) else None for values in values_list]
    messages = Model._message_create(values_list)
    field = messages._fields["body"]
    rows = []
    for message, body in zip(messages, bodies, strict=True):
        if body is not None:
            clean = field.convert_to_column_insert(body, message)
            rows.append((message.id, clean))
            message.env.cache.set(message, field, field.convert_to_cache(clean, message, validate=False))
    if rows:
        messages.env.cr.execute_values(
            "UPDATE mail_message m SET body = v.body FROM (VALUES %s) AS v(id, body) WHERE m.id = v.id", rows
        )
    return messages


def body_written_after(values):
    body = values.get("body")
    return bool(body) and not _image_dataurl.search(body)


def sender_contacts(env, addresses, company):
    """The contact each sender is, preferring a user's own partner; only
    contacts the company's users may read (Odoo's res_partner_rule), so a
    chatter never shows another company's contact."""
    if not addresses:
        return {}
    env.cr.execute(
        f"""
        SELECT DISTINCT ON (p.email_normalized) p.email_normalized, p.id FROM res_partner p
          LEFT JOIN res_users u ON u.partner_id = p.id
         WHERE p.email_normalized = ANY(%s) AND p.active
           AND (p.company_id IS NULL OR p.company_id = %s OR p.partner_share IS NOT TRUE)
           AND {NOT_PORTAL.format("p")}
         ORDER BY p.email_normalized, u.id IS NULL, p.id
        """,
        [list(addresses), company.id],
    )
    return dict(env.cr.fetchall())


def why_line(env, reason, address, header, model, source):
    """The one line that says why an email is on a record (stored with the link,
    shown beside the email in the chatter), in ``env``'s language."""
    _ = env._
    if reason == "thread":
        if model == "crm.lead":
            return _("Reply to an email linked to this lead, from %(origin)s", origin=source)
        return _("Reply to an email linked to this contact, from %(origin)s", origin=source)
    # Header names as the reader's own email program says them.
    headers = {"From": _("From"), "To": _("To"), "Cc": _("Cc"), "Bcc": _("Bcc")}
    return _("Linked by %(address)s in %(header)s, from %(origin)s",
             address=address, header=headers.get(header, header) or _("the message"), origin=source)  # fmt: skip
