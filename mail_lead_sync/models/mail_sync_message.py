import base64
import datetime
import hashlib
import logging
import re
import time

import lxml.html
from markupsafe import Markup, escape

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, formataddr, html_sanitize, plaintext2html

from ..engine import addresses, quotes, rules
from ..engine.message import MalformedMessage, identity, parse_message, place_message_id

_logger = logging.getLogger(__name__)


# Records a company's mailboxes may post on: the company's own, and those without
# a company (read by every company's users) only where the company allows it.
# Parameters: %(company)s, %(shared)s.
def _in_scope(alias):
    return f"({alias}.company_id = %(company)s OR (%(shared)s AND {alias}.company_id IS NULL))"


# Portal users write their own contact's address (My Account): an address they typed
# proves nothing, so they never author synced emails. Their contacts still receive
# them (a customer with portal access is a customer), and they read none of them
# (see mail_message.py).
NOT_PORTAL = "NOT EXISTS (SELECT 1 FROM res_users s WHERE s.partner_id = {}.id AND s.share)"


# A link whose record is still there, active and reachable by the company.
LINK_IN_SCOPE = f"""CASE l.res_model
    WHEN 'crm.lead' THEN EXISTS (SELECT 1 FROM crm_lead c WHERE c.id = l.res_id AND c.active AND {_in_scope("c")})
    WHEN 'res.partner' THEN EXISTS (SELECT 1 FROM res_partner p WHERE p.id = l.res_id AND p.active
                                                                   AND {_in_scope("p")})
    ELSE FALSE END"""


_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"url\s*\([^)]*\)", re.IGNORECASE)


def _without_remote_content(html, placeholder="[image]"):
    """The sanitized body without what a browser would fetch from elsewhere when a
    colleague opens the chatter (tracking pixels, remote backgrounds): each view
    would tell the sender who read it, when, and from which network. A remote
    image leaves its alt text; an email made of remote images only says
    ``placeholder`` rather than nothing."""
    if not html or ("//" not in html and "url" not in html.lower()):
        return html
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    removed = False
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for attr in ("src", "background", "poster", "srcset", "lowsrc", "dynsrc"):
            value = element.get(attr)
            if value is not None and (attr == "srcset" or _REMOTE.match(value)):
                del element.attrib[attr]
                if element.tag == "img" and attr == "src":
                    removed = True
                    _replace_image(element, (element.get("alt") or "").strip())
        if element.get("style") and _CSS_URL.search(element.get("style")):
            element.set("style", _CSS_URL.sub("none", element.get("style")))
    if removed and not root.text_content().strip():
        note = lxml.html.Element("p", {"class": "text-muted"})
        note.text = placeholder
        root.append(note)
    return "".join(
        [(root.text and escape(root.text)) or ""] + [lxml.html.tostring(child, encoding="unicode") for child in root]
    )


def _replace_image(img, label):
    """A remote image becomes its alt text (or nothing, as a tracking pixel has none)."""
    parent = img.getparent()
    if parent is None:
        return
    if label:
        span = lxml.html.Element("span", {"class": "text-muted"})
        span.text, span.tail = f"[{label}]", img.tail
        parent.replace(img, span)
    else:
        img.drop_tree()


def _scope_params(company):
    return {"company": company.id, "shared": company._mail_sync_shares_records()}


def _rows_by_key(row_ids, keys):
    """{entry key: index row id}, as the mailbox readers name messages."""
    return dict(zip(keys, row_ids, strict=True))


class MailSyncMessage(models.Model):
    """The header index: one row per email per mailbox, enough to match it again
    later (participants, thread) without reading the mailbox. Written in bulk."""

    _name = "mail.sync.message"
    _description = "Indexed email header"
    _order = "date desc, id desc"

    account_id = fields.Many2one("mail.sync.account", required=True, ondelete="cascade", index=True, readonly=True)
    folder_id = fields.Many2one("mail.sync.folder", required=True, ondelete="cascade", readonly=True)
    key = fields.Char(
        "Place in Folder",
        readonly=True,
        help="Where the email is in its folder: its UID (IMAP) or the server's id (Graph, EWS).",
    )
    message_id = fields.Char("Message-ID", required=True, readonly=True)
    date = fields.Datetime(readonly=True, index=True)
    subject = fields.Char(readonly=True)
    from_address = fields.Char(readonly=True)
    noise = fields.Char(readonly=True, help="Why it looks automatic or bulk.")
    state = fields.Selection(
        [("indexed", "Not linked"), ("posted", "Synced"), ("skipped", "Skipped"), ("failed", "Could not be read")],
        default="indexed",
        readonly=True,
    )
    reason = fields.Char(readonly=True)
    # Also: participants text[] and thread_ids text[] (see init), matched in SQL, and identity
    # (engine.message.identity), which tells copies of an email from other emails with its id.

    _sql_constraints = [
        ("account_message_uniq", "unique(account_id, message_id)", "An email is indexed once per mailbox."),
    ]

    def init(self):
        cr = self.env.cr
        # Indexes of before the one key column: their place moves into it (once).
        cr.execute(
            """
            DO $$ BEGIN
                IF EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_name = 'mail_sync_message' AND column_name = 'remote_id') THEN
                    UPDATE mail_sync_message SET key = coalesce(remote_id, uid::text) WHERE key IS NULL;
                    ALTER TABLE mail_sync_message DROP COLUMN uid, DROP COLUMN remote_id;
                END IF;
            END $$;
            ALTER TABLE mail_sync_message ADD COLUMN IF NOT EXISTS participants text[] NOT NULL DEFAULT '{}';
            ALTER TABLE mail_sync_message ADD COLUMN IF NOT EXISTS thread_ids text[] NOT NULL DEFAULT '{}';
            ALTER TABLE mail_sync_message ADD COLUMN IF NOT EXISTS identity varchar;
            CREATE INDEX IF NOT EXISTS mail_sync_message_participants_idx
                ON mail_sync_message USING gin (participants);
            CREATE INDEX IF NOT EXISTS mail_sync_message_message_id_idx ON mail_sync_message (message_id);
            """
        )

    # -- matching context ------------------------------------------------------
    @api.model
    def _match_context(self, account):
        company = account.company_id
        return {
            # The company's never-sync list is in its rules; the owner's own list is added here.
            "rules": company._mail_sync_internal_rules().with_never(account.user_id._mail_sync_never_entries()),
            "company": company,
            "owner": account._owner_addresses(),
            "owner_name": account.user_id.name,
            "source": _("%(owner)s's mailbox", owner=account.user_id.name),
            "share_level": account.share_level,
            "skip_noise": company.mail_sync_skip_noise,
            "max_attachment": (company.mail_sync_attachment_max_mb or 0) * 1024 * 1024,
        }

    @api.model
    def _forward_context(self, user):
        """Matching context for an email a user forwarded to the CRM (no mailbox)."""
        company = user.company_id
        owner = frozenset(filter(None, (addresses.normalize(a or "") for a in (user.login, user.email))))
        return {
            "rules": company._mail_sync_internal_rules().with_never(user._mail_sync_never_entries()),
            "company": company,
            "owner": owner,
            "owner_name": user.name,
            "source": _("%(user)s's forward", user=user.name),
            "share_level": "full",
            "skip_noise": False,  # the user chose to log it
            "max_attachment": (company.mail_sync_attachment_max_mb or 0) * 1024 * 1024,
        }

    # -- indexing --------------------------------------------------------------
    @api.model
    def _process_batch(self, account, folder, batch, box, context):
        """Index one batch of any reader, match it, fetch and post what matched."""
        rows = self._insert_index(account, folder, batch, context)
        fresh = rows
        if batch.failures:
            self._insert_failures(account, folder, batch.failures)
        if not fresh:
            return
        decisions = self._decide([entry.record for _row, entry in fresh], account.company_id, context)
        wanted = {entry.key: row_id for (row_id, entry), d in zip(fresh, decisions, strict=True) if d.posted}
        self._set_states(
            [(row_id, "skipped" if d.reason != "no matching record" else "indexed", d.reason)
             for (row_id, _e), d in zip(fresh, decisions, strict=True) if not d.posted]
        )  # fmt: skip
        if wanted:
            bodies = dict(box.fetch_bodies(folder._engine_folder(), list(wanted)))
            self._post_bodies(account, [(wanted[key], bodies.get(key)) for key in wanted], context)

    @api.model
    def _distinct_entries(self, account, entries):
        """The batch's entries with one per Message-ID, ready for one INSERT, as
        ``[(entry, identity)]``.

        A Message-ID names one email, so copies of it (delivered twice, a list
        copy beside the direct one, the per-recipient copies one send leaves in
        Sent, the same place read twice) are one row, posted once. But a broken
        client can give one id to different emails: an email whose sender, date
        or subject differs from the one that already holds its id (in this batch
        or in the index) gets an id of its own, derived from the id and its
        content, so it is kept and posted too; its copies derive the same id."""
        ids = list({entry.record.message_id for entry in entries})
        self.env.cr.execute(
            """SELECT message_id, identity, CASE WHEN noise IS NOT NULL AND state = 'skipped' THEN id END
                 FROM mail_sync_message WHERE account_id = %s AND message_id = ANY(%s)""",
            [account.id, ids],
        )
        found = self.env.cr.fetchall()
        # Rows indexed before identities were kept (NULL) are taken as the same email.
        holders = {mid: key for mid, key, _noisy in found}
        noisy = {mid: row_id for mid, _key, row_id in found if row_id}
        kept, places, position = [], set(), {}
        for entry in entries:
            if entry.key in places:
                continue  # one place read twice: the same email
            places.add(entry.key)
            rec = entry.record
            own = identity(rec)
            held = holders.setdefault(rec.message_id, own)
            if held is not None and held != own:
                digest = hashlib.sha256(f"{rec.message_id}\n{own}".encode()).hexdigest()[:40]
                rec.message_id = f"<{digest}@mail-lead-sync.invalid>"
                rec.message_id_synthesized = True
                holders.setdefault(rec.message_id, own)
            # The list copy of an email was skipped as list mail, but its direct
            # copy is a person's: the direct copy is the one indexed (and posted).
            if rec.message_id in position:
                index = position[rec.message_id]
                if kept[index][0].record.noise and not rec.noise:
                    kept[index] = (entry, own)
                continue  # a copy of an email of this batch: one place is kept
            position[rec.message_id] = len(kept)
            kept.append((entry, own))
        replaced = [
            noisy[e.record.message_id] for e, _own in kept if not e.record.noise and e.record.message_id in noisy
        ]
        if replaced:
            self.env.cr.execute("DELETE FROM mail_sync_message WHERE id = ANY(%s)", [replaced])
        return kept

    @api.model
    def _insert_index(self, account, folder, batch, context):
        """One INSERT for the batch. Returns ``[(row id, entry)]`` for emails not
        indexed before in this mailbox (a message seen again after a UIDVALIDITY
        change or an expired delta link only gets its new place)."""
        entries = self._distinct_entries(account, batch.entries) if batch.entries else []
        if not entries:
            return []
        uid = self.env.uid
        values = []
        for entry, own in entries:
            rec = entry.record
            participants = rec.participants(include_bcc=rules.owner_sent(rec, context["owner"]))
            values.append(
                (
                    account.id,
                    folder.id,
                    entry.key,
                    rec.message_id,
                    rec.date.replace(tzinfo=None) if rec.date else None,
                    rec.subject[:500],
                    rec.sender[0].email if rec.sender else None,
                    rec.noise or None,
                    participants,
                    rec.thread_ids,
                    own,
                    uid,
                    uid,
                )
            )
        rows = self.env.cr.execute_values(
            """
            INSERT INTO mail_sync_message AS m (account_id, folder_id, key, message_id, date, subject, from_address,
                                                noise, participants, thread_ids, identity, create_uid, write_uid,
                                                create_date, write_date, state)
            VALUES %s
            ON CONFLICT (account_id, message_id) DO UPDATE SET key = EXCLUDED.key
                WHERE m.folder_id = EXCLUDED.folder_id
            RETURNING id, key, (xmax = 0) AS inserted
            """,
            values,
            template="(%s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s::text[], %s, %s, %s,"
            " now() at time zone 'UTC', now() at time zone 'UTC', 'indexed')",
            fetch=True,
            page_size=len(values),
        )
        self.invalidate_model()
        by_key = {entry.key: entry for entry, _own in entries}
        return [(row_id, by_key[key]) for row_id, key, inserted in rows if inserted]

    @api.model
    def _insert_failures(self, account, folder, failures):
        """Unreadable emails are kept in the index with their place and the reason
        (nothing else of them can be read to name them by)."""
        self.env.cr.execute_values(
            """
            INSERT INTO mail_sync_message (account_id, folder_id, key, message_id, state, reason, create_uid,
                                           write_uid, create_date, write_date)
            VALUES %s ON CONFLICT (account_id, message_id) DO NOTHING
            """,
            [
                (account.id, folder.id, f.key, place_message_id(folder.id, f.key), "failed", f.reason,
                 self.env.uid, self.env.uid)
                for f in failures
            ],
            template="(%s, %s, %s, %s, %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')",
        )  # fmt: skip

    def _set_states(self, triples):
        if triples:
            self.env.cr.execute_values(
                "UPDATE mail_sync_message m SET state = v.state, reason = v.reason "
                "FROM (VALUES %s) AS v(id, state, reason) WHERE m.id = v.id",
                triples,
            )
            self.invalidate_model(["state", "reason"])

    # -- matching --------------------------------------------------------------
    @api.model
    def _records_by_address(self, addresses, company):
        """{address: {(model, id)}} for contacts and active leads carrying it that
        the company's mailboxes may post on (see ``_in_scope``)."""
        found = {}
        if not addresses:
            return found
        self.env.cr.execute(
            f"""
            SELECT p.email_normalized, 'res.partner', p.id FROM res_partner p
             WHERE p.email_normalized = ANY(%(a)s) AND p.active AND {_in_scope("p")}
            UNION ALL
            SELECT l.email_normalized, 'crm.lead', l.id FROM crm_lead l
             WHERE l.email_normalized = ANY(%(a)s) AND l.active AND {_in_scope("l")}
            UNION ALL
            SELECT p.email_normalized, 'crm.lead', l.id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
             WHERE p.email_normalized = ANY(%(a)s) AND l.active AND {_in_scope("l")}
            """,
            {"a": list(addresses), **_scope_params(company)},
        )
        for address, model, res_id in self.env.cr.fetchall():
            found.setdefault(address, set()).add((model, res_id))
        return found

    @api.model
    def _links_by_message_id(self, message_ids, company):
        links = {}
        if message_ids:
            self.env.cr.execute(
                # Records deleted or archived since do not pass their thread on, and
                # a thread never carries an email to a record out of the company's reach.
                f"""
                SELECT l.message_id, l.res_model, l.res_id, l.address FROM mail_sync_link l
                 WHERE l.message_id = ANY(%(ids)s) AND l.state = 'linked' AND {LINK_IN_SCOPE}
                """,
                {"ids": list(message_ids), **_scope_params(company)},
            )
            for message_id, model, res_id, address in self.env.cr.fetchall():
                links.setdefault(message_id, {})[(model, res_id)] = address
        return links

    @api.model
    def _decide(self, records, company, context):
        # Raw SQL below reads contacts, leads and links the ORM may not have written yet.
        self.env.flush_all()
        internal = context["rules"]
        wanted = {a for rec in records for a in rules.external_participants(rec, internal, context["owner"])}
        by_address = self._records_by_address(wanted, company)
        links = self._links_by_message_id({ref for rec in records for ref in rec.thread_ids}, company)
        return [
            rules.decide(rec, internal, by_address, links, context["owner"], context["skip_noise"]) for rec in records
        ]

    # -- posting ---------------------------------------------------------------
    @api.model
    def _post_bodies(self, account, rows, context):
        """Parse the fetched bodies, decide again on the whole message (the body
        fetch is the source of truth) and post. ``rows``: [(index row id, raw)]."""
        parsed, states = [], []
        # The index names each email: an email that shares its Message-ID with a
        # different one was given an id of its own there (see _distinct_entries).
        self.env.cr.execute("SELECT id, message_id FROM mail_sync_message WHERE id = ANY(%s)", [[r for r, _ in rows]])
        indexed_ids = dict(self.env.cr.fetchall())
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
        decisions = self._decide([rec for _row, rec in parsed], account.company_id, context)
        items = [(row_id, rec, d) for (row_id, rec), d in zip(parsed, decisions, strict=True)]
        posted_rows = self._post(account, items, context)
        for row_id, _rec, d in items:
            if row_id in posted_rows:
                states.append((row_id, "posted", d.reason))
            elif not d.posted:
                states.append((row_id, "skipped", d.reason))
            else:
                states.append((row_id, "posted", "already on every record"))
        self._set_states(states)

    @api.model
    def _post(self, account, items, context):
        """Create the chatter messages of a batch: one create() per model, no
        notification. Skips what a record already has (same Message-ID synced
        before, sent from Odoo, or routed by Odoo's gateway). Returns the index
        rows that produced at least one message."""
        message_ids = list({rec.message_id for _row, rec, _d in items})
        present = self._already_present(message_ids)
        authors = self._authors({rec.sender[0].email for _r, rec, _d in items if rec.sender}, context["company"])
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_comment")
        by_model, link_values, posted_rows = {}, [], set()
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
                why = self._why(decision.reason, address, header, model, context["source"])
                by_model.setdefault(model, []).append(
                    self._message_values(rec, model, res_id, authors, subtype_id, context)
                )
                link_values.append(
                    {
                        "message_id": rec.message_id,
                        "res_model": model,
                        "res_id": res_id,
                        "address": address,
                        "header": header,
                        "reason": decision.reason,
                        "why": why,
                        "account_id": account.id if account else False,
                    }
                )
                posted_rows.add(row_id)
        messages = self.env["mail.message"]
        for model, values_list in by_model.items():
            # HTML or SVG attachments of outside senders are kept as text, as Odoo's
            # gateway keeps them: the cron runs as an administrator, whose attachments
            # would otherwise keep their type and be served as pages of Odoo's site.
            Model = self.env[model].sudo().with_context(attachments_mime_plainxml=True)
            messages |= Model._message_create(values_list)
        by_key = {(m.message_id, m.model, m.res_id): m.id for m in messages}
        for values in link_values:
            values["mail_message_id"] = by_key.get((values["message_id"], values["res_model"], values["res_id"]))
        self.env["mail.sync.link"].sudo().create(link_values)
        return posted_rows

    @api.model
    def _already_present(self, message_ids):
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

    @api.model
    def _authors(self, addresses, company):
        """The contact each sender is, preferring a user's own partner; only
        contacts the company's users may read (Odoo's res_partner_rule), so a
        chatter never shows another company's contact."""
        if not addresses:
            return {}
        self.env.cr.execute(
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
        return dict(self.env.cr.fetchall())

    @api.model
    def _why(self, reason, address, header, model, source):
        """The one line that says why an email is on a record (stored with the link,
        shown beside the email in the chatter)."""
        if reason == "thread":
            record = _("lead") if model == "crm.lead" else _("contact")
            return _("Reply to an email linked to this %(record)s, from %(origin)s", record=record, origin=source)
        return _("Linked by %(address)s in %(header)s, from %(origin)s",
                 address=address, header=header or _("the message"), origin=source)  # fmt: skip

    @api.model
    def _shared_body(self, rec, level, context, attachment_names=None):
        """The chatter body and attachments a sharing level lets through. At the lower
        levels the body is not kept anywhere: it is not in what this returns."""
        if level == "metadata":
            return Markup("<p><em>%s</em></p>") % _("Only the participants and date of this email are shared."), []
        names = attachment_names if attachment_names is not None else [att.name for att in rec.attachments]
        if level == "subject":
            body = Markup("<p><em>%s</em></p>") % _("Body not shared by the mailbox owner.")
            if names:
                body += Markup("<p>%s</p>") % _("Attachments: %(names)s", names=", ".join(names))
            return body, []
        body = (
            Markup(_without_remote_content(html_sanitize(rec.body_html), _("[remote image not loaded]")))
            if rec.body_html
            else self._text_body(rec.body_text or "")
        )
        attachments, notes = [], []
        for att in rec.attachments:
            if context["max_attachment"] and att.size > context["max_attachment"]:
                notes.append(
                    _(
                        "%(name)s (%(size).1f MB) was not imported: larger than %(max)s MB.",
                        name=att.name,
                        size=att.size / 1048576,
                        max=context["max_attachment"] // 1048576,
                    )
                )
                continue
            attachments.append(att)
        if notes:
            body += plaintext2html("\n".join(notes))
        return body, attachments

    @api.model
    def _text_body(self, text):
        """A text reply as HTML, its quoted history in blockquotes Odoo folds."""
        parts = []
        for quoted, lines in quotes.split_quoted(text):
            chunk = "\n".join(lines).strip("\n")
            if chunk.strip():
                rendered = plaintext2html(chunk)
                parts.append(Markup("<blockquote>%s</blockquote>") % rendered if quoted else rendered)
        return Markup().join(parts) or plaintext2html("")

    @api.model
    def _message_values(self, rec, model, res_id, authors, subtype_id, context):
        sender = rec.sender[0] if rec.sender else None
        email_from = formataddr((sender.name, sender.email)) if sender else False
        level = context.get("share_level") or "full"
        body, attachments = self._shared_body(rec, level, context)
        return {
            "model": model,
            "res_id": res_id,
            "message_type": "email",
            "subtype_id": subtype_id,
            "author_id": authors.get(sender.email) if sender else False,
            "email_from": email_from,
            "reply_to": email_from,
            "subject": (rec.subject or False) if level != "metadata" else False,
            "body": body,
            "date": rec.date.replace(tzinfo=None) if rec.date else fields.Datetime.now(),
            "message_id": rec.message_id,
            "email_add_signature": False,
            "attachment_ids": self._attachment_commands(attachments, model, res_id),
        }

    @api.model
    def _attachment_commands(self, attachments, model, res_id):
        return [
            Command.create(
                {
                    "name": att.name,
                    "datas": base64.b64encode(att.content or b""),
                    "mimetype": att.content_type,
                    "res_model": model,
                    "res_id": res_id,
                }
            )
            for att in attachments
        ]

    # -- sharing level and removal -------------------------------------------------
    @api.model
    def _reshare(self, account, previous):
        links = (
            self.env["mail.sync.link"]
            .sudo()
            .search([("account_id", "=", account.id), ("state", "=", "linked"), ("mail_message_id", "!=", False)])
        )
        if not links:
            return
        level = account.share_level
        context = self._match_context(account)
        records = {}
        if level == "full" or previous == "metadata":
            records = self._refetch(account, set(links.mapped("message_id")))
        for link in links:
            message = link.mail_message_id.sudo().with_context(attachments_mime_plainxml=True)
            rec = records.get(link.message_id)
            if rec is None and (level == "full" or previous == "metadata"):
                continue  # gone from the mailbox: left as it is
            names = message.attachment_ids.mapped("name") if rec is None else None
            body, attachments = self._shared_body(rec, level, context, names)
            values = {"body": body}
            if level == "metadata":
                values["subject"] = False
            elif rec is not None:
                values["subject"] = rec.subject or False
            old_attachments = message.attachment_ids
            values["attachment_ids"] = self._attachment_commands(attachments, link.res_model, link.res_id)
            message.write(values)
            old_attachments.unlink()

    @api.model
    def _refetch(self, account, message_ids):
        """{Message-ID: parsed email} read again from the mailbox."""
        rows = self.sudo().search([("account_id", "=", account.id), ("message_id", "in", list(message_ids))])
        found = {}
        with account._open_mailbox() as box:
            for folder in rows.folder_id:
                in_folder = rows.filtered(lambda r, f=folder: r.folder_id == f)
                by_key = {row.key: row for row in in_folder}
                for key, raw in box.fetch_bodies(folder._engine_folder(), list(by_key)):
                    if raw:
                        try:
                            found[by_key[key].message_id] = parse_message(raw, keep_attachment_content=True)
                        except MalformedMessage:
                            continue
        return found

    def action_delete_everywhere(self):
        """The mailbox owner takes an email back from every record this mailbox
        posted it on. A Message-ID is no authority: the same email posted from
        another mailbox (or planted in this one) stays where that mailbox put it."""
        for row in self:
            if row.account_id.user_id != self.env.user and not self.env.user.has_group("base.group_system"):
                raise UserError(_("Only the owner of the mailbox can delete its emails everywhere."))
        Link = self.env["mail.sync.link"].sudo()
        for account in self.account_id:
            rows = self.filtered(lambda r, a=account: r.account_id == a)
            Link.search(
                [("message_id", "in", rows.mapped("message_id")), ("account_id", "=", account.id)]
            )._reject_and_remove()
        self.sudo().write({"state": "skipped", "reason": "deleted by its owner"})
        return True

    # -- retroactive linking ---------------------------------------------------
    @api.model
    def _cron_link_new_addresses(self, chunk=200, time_budget=240):
        """Post the past emails of addresses new on a contact or lead: found in
        the index by address, bodies fetched for those emails only. Works through
        the queue in chunks, one transaction each; asks to run again when its time
        is up."""
        deadline = time.monotonic() + time_budget
        Pending = self.env["mail.sync.pending.address"].sudo()
        cron = self.env["ir.cron"]
        done = 0
        while True:
            self.env.flush_all()
            pending = Pending.search([], limit=chunk)
            if not pending:
                return
            self._link_addresses([a for a in pending.mapped("address") if email_normalize(a)])
            pending.unlink()
            self.env["mail.sync.account"]._commit()
            done += len(pending)
            remaining = Pending.search_count([])
            cron._notify_progress(done=done, remaining=remaining)
            if remaining and time.monotonic() > deadline:
                self.env.ref("mail_lead_sync.ir_cron_mail_sync_link").sudo()._trigger()
                return

    @api.model
    def _link_addresses(self, addresses):
        # Each company's mailboxes are searched only for the addresses of records
        # they may post on: a new address on another company's contact reads no
        # mailbox of this one. Within a company, one mailbox per email is enough:
        # the same email in two mailboxes is fetched once.
        groups = []
        for company, reachable in self._reachable_addresses(addresses).items():
            self.env.cr.execute(
                """
                WITH candidates AS (
                    SELECT DISTINCT ON (m.message_id) m.id, m.key, m.account_id, m.folder_id
                      FROM mail_sync_message m JOIN mail_sync_account a ON a.id = m.account_id
                     WHERE m.participants && %s::text[] AND m.state IN ('indexed', 'skipped', 'posted')
                       AND a.company_id = %s AND (a.history_start IS NULL OR m.date >= a.history_start)
                     ORDER BY m.message_id, m.id
                )
                SELECT account_id, folder_id, array_agg(id), array_agg(key) FROM candidates
                 GROUP BY account_id, folder_id
                """,
                [sorted(reachable), company.id],
            )
            groups += self.env.cr.fetchall()
        for account_id, folder_id, row_ids, keys in groups:
            account = self.env["mail.sync.account"].sudo().browse(account_id)
            folder = self.env["mail.sync.folder"].sudo().browse(folder_id)
            self._link_rows(account, folder, _rows_by_key(row_ids, keys))
            self._follow_threads(account)

    @api.model
    def _reachable_addresses(self, addresses):
        """{company with mailboxes: the ``addresses`` carried by records its
        mailboxes may post on}."""
        if not addresses:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT p.email_normalized, p.company_id FROM res_partner p
             WHERE p.email_normalized = ANY(%(a)s) AND p.active
            UNION
            SELECT l.email_normalized, l.company_id FROM crm_lead l
             WHERE l.email_normalized = ANY(%(a)s) AND l.active
            UNION
            SELECT p.email_normalized, l.company_id FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
             WHERE p.email_normalized = ANY(%(a)s) AND l.active
            """,
            {"a": list(addresses)},
        )
        by_company = {}
        for address, company_id in self.env.cr.fetchall():
            by_company.setdefault(company_id, set()).add(address)
        self.env.cr.execute("SELECT DISTINCT company_id FROM mail_sync_account")
        companies = self.env["res.company"].sudo().browse(row[0] for row in self.env.cr.fetchall())
        reachable = {}
        for company in companies:
            found = by_company.get(company.id, set())
            if company._mail_sync_shares_records():
                found = found | by_company.get(None, set())
            if found:
                reachable[company] = found
        return reachable

    def _link_rows(self, account, folder, row_by_key, box=None):
        """Fetch and post index rows of one folder (on ``box`` when one is open).
        ``row_by_key``: {entry key (place in the folder): index row id}."""
        context = self._match_context(account)
        try:
            if box is None:
                with account._open_mailbox() as box:
                    bodies = dict(box.fetch_bodies(folder._engine_folder(), list(row_by_key)))
            else:
                bodies = dict(box.fetch_bodies(folder._engine_folder(), list(row_by_key)))
        except Exception as exc:  # noqa: BLE001 - an unreachable mailbox waits for the next run
            _logger.info("mailbox %s: past mail not linked now: %s", account.id, exc)
            return
        with self.env.cr.savepoint():
            self._post_bodies(account, [(row_id, bodies.get(key)) for key, row_id in row_by_key.items()], context)

    @api.model
    def _follow_threads(self, account, box=None, rounds=5):
        """Link replies whose original was linked after them (another folder read
        later, the same batch, a contact address added afterwards): unlinked
        index rows that name a linked Message-ID are decided again. A few rounds
        follow chains of replies."""
        for _round in range(rounds):
            self.env.flush_all()
            # Only threads linked on records this mailbox may post on.
            self.env.cr.execute(
                f"""
                SELECT m.folder_id, array_agg(m.id), array_agg(m.key) FROM mail_sync_message m
                 WHERE m.account_id = %(account)s AND m.state = 'indexed' AND m.thread_ids <> '{{}}'
                   AND EXISTS (SELECT 1 FROM mail_sync_link l WHERE l.message_id = ANY(m.thread_ids)
                                                              AND l.state = 'linked' AND {LINK_IN_SCOPE})
                 GROUP BY m.folder_id
                """,
                {"account": account.id, **_scope_params(account.company_id)},
            )
            groups = self.env.cr.fetchall()
            if not groups:
                return
            for folder_id, row_ids, keys in groups:
                folder = self.env["mail.sync.folder"].sudo().browse(folder_id)
                self._link_rows(account, folder, _rows_by_key(row_ids, keys), box)
