"""What a chatter message shows of an email: its body as a sharing level lets it
through, without remote content, and its attachments. Written once for synced,
forwarded and assigned emails and for sharing-level rewrites."""

import base64
import re

import lxml.html
from markupsafe import Markup, escape

from odoo import Command
from odoo.tools import html_sanitize, plaintext2html

from ..engine import quotes

_REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"url\s*\([^)]*\)", re.IGNORECASE)


def without_remote_content(html, placeholder="[image]"):
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


def safe_html(env, html):
    """An email's HTML body, sanitized and without remote content."""
    return without_remote_content(html_sanitize(html), env._("[remote image not loaded]"))


def text_body(text):
    """A text reply as HTML, its quoted history in blockquotes Odoo folds."""
    parts = []
    for quoted, lines in quotes.split_quoted(text):
        chunk = "\n".join(lines).strip("\n")
        if chunk.strip():
            rendered = plaintext2html(chunk)
            parts.append(Markup("<blockquote>%s</blockquote>") % rendered if quoted else rendered)
    return Markup().join(parts) or plaintext2html("")


def shared_body(env, rec, level, max_attachment, attachment_names=None):
    """The chatter body and attachments a sharing level lets through. At the lower
    levels the body is not kept anywhere: it is not in what this returns.
    ``max_attachment``: bytes (0: no limit)."""
    if level == "metadata":
        return Markup("<p><em>%s</em></p>") % env._("Only the participants and date of this email are shared."), []
    names = attachment_names if attachment_names is not None else [att.name for att in rec.attachments]
    if level == "subject":
        body = Markup("<p><em>%s</em></p>") % env._("Body not shared by the mailbox owner.")
        if names:
            body += Markup("<p>%s</p>") % env._("Attachments: %(names)s", names=", ".join(names))
        return body, []
    body = Markup(safe_html(env, rec.body_html)) if rec.body_html else text_body(rec.body_text or "")
    attachments, notes = [], []
    for att in rec.attachments:
        if max_attachment and att.size > max_attachment:
            notes.append(
                env._(
                    "%(name)s (%(size).1f MB) was not imported: larger than %(max)s MB.",
                    name=att.name,
                    size=att.size / 1048576,
                    max=max_attachment // 1048576,
                )
            )
            continue
        attachments.append(att)
    if notes:
        body += plaintext2html("\n".join(notes))
    return body, attachments


def email_files(attachments):
    """``[(name, base64 content, mimetype)]`` of an email's attachments."""
    return [(att.name, base64.b64encode(att.content or b""), att.content_type) for att in attachments]


def attachment_commands(files, model=None, res_id=None):
    """Commands creating ``files`` (``[(name, base64 content, mimetype)]``), on the
    record ``model``/``res_id`` when one is given."""
    on_record = {"res_model": model, "res_id": res_id} if model else {}
    return [
        Command.create({"name": name, "datas": datas, "mimetype": mimetype, **on_record})
        for name, datas, mimetype in files
    ]
