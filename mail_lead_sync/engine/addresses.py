"""Email address splitting and normalization.

The results agree with Odoo's ``email_split`` / ``email_normalize`` on every case
Odoo's own tests document, so an address normalized here compares equal to
``res.partner.email_normalized``. One addition: a punycode (``xn--``) domain is
decoded to its Unicode form, so ``a@xn--exampl-gva.com`` in a header matches the
``a@examplé.com`` a user typed on a contact.
"""

import email.utils
import re

import idna

# Same pattern as Odoo's ``email_re``: used only for the '@domain' corner case.
_EMAIL_RE = re.compile(r"([a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,63})")

if getattr(email.utils, "supports_strict_parsing", False):

    def _getaddresses(values):
        # Odoo relies on the lenient parser; strict mode drops malformed headers
        # that real mail is full of.
        return email.utils.getaddresses(values, strict=False)

else:
    _getaddresses = email.utils.getaddresses


def _split_spaced(name, addr):
    """'Name addr@x' without quotes comes back as one address; split on spaces."""
    if name or not addr or " " not in addr:
        return name, addr
    name_parts, found = [], None
    for _name, part in _getaddresses([addr.replace(" ", ",")]):
        if part and "@" in part:
            found = part
        elif part:
            name_parts.append(part)
    return (" ".join(name_parts), found) if found else (name, addr)


# The forms nearly every real header uses: `addr`, `Name <addr>`, `"Name" <addr>`,
# comma separated. Anything else (comments, groups, quoted local parts, broken
# syntax) goes through the full parser; a test checks both agree on these forms.
_ADDR = r"[^\s<>()\[\]\\,;:@\"]+@[^\s<>()\[\]\\,;:@\"]+"
_SIMPLE_ITEM = re.compile(
    rf"""\s*(?:
        (?:"(?P<quoted>[^"\\<>\r\n]*)"|(?P<plain>[^\s<>()\[\]\\,;:@".][^<>()\[\]\\,;:@".]*?)?)\s*<(?P<bracketed>{_ADDR})>
        |(?P<bare>{_ADDR})
    )\s*(?:,|$)""",
    re.VERBOSE,
)


def _split_simple(text):
    pairs, pos, end = [], 0, len(text)
    while pos < end:
        match = _SIMPLE_ITEM.match(text, pos)
        if not match or match.end() == pos:
            return None
        if match.group("bare"):
            pairs.append(("", match.group("bare")))
        else:
            name = match.group("quoted")
            if name is None:
                name = " ".join((match.group("plain") or "").split())
            pairs.append((name, match.group("bracketed")))
        pos = match.end()
    return pairs


def split_pairs(text):
    """Return the ``(display name, address)`` pairs found in a header value."""
    if not text:
        return []
    if "@" in text:
        simple = _split_simple(text)
        if simple is not None:
            return simple
    return _split_full(text)


def _split_full(text):
    """Odoo's ``email_split_tuples`` algorithm, on the standard library's parser."""
    pairs = [(name, addr) for name, addr in _getaddresses([text]) if addr and "@" in addr]
    if any(addr.startswith("@") for _name, addr in pairs):
        found = [addr for addr in _EMAIL_RE.findall(text) if not addr.startswith("@")]
        if found:
            pairs = [("", addr) for addr in found]
    return [_split_spaced(name, addr) for name, addr in pairs]


def split(text):
    """Return the addresses (as written) found in a header value."""
    return [addr for _name, addr in split_pairs(text)]


def normalize_domain(domain):
    """Lower-case a domain and decode punycode labels; None when it is no domain."""
    if not domain:
        return None
    domain = domain.strip().lstrip("@").rstrip(".").lower()
    if not domain or "@" in domain or any(c.isspace() for c in domain):
        return None
    if "xn--" in domain:
        try:
            domain = idna.decode(domain)
        except idna.IDNAError:
            pass  # keep an undecodable label as written: it still compares equal to itself
    return domain


def normalize_address(addr):
    """Normalize one address as returned by :func:`split` (no display name)."""
    local, at, domain = addr.rpartition("@")
    if local.isascii():
        # As Odoo: local parts are compared case-insensitively unless SMTPUTF8.
        local = local.lower()
    return local + at + (normalize_domain(domain) or domain.lower())


def normalize(text, strict=True):
    """Return the normalized address in ``text``, or None.

    With ``strict`` (Odoo's default), text holding several addresses gives None.
    """
    found = split(text)
    if not found or (strict and len(found) != 1):
        return None
    return normalize_address(found[0])


def normalize_all(text):
    """Return every normalized address found in ``text``, in order, without repeats."""
    return list(dict.fromkeys(normalize_address(addr) for addr in split(text)))


def domain_of(address):
    """Domain part of a normalized address ('' when there is none)."""
    return address.rpartition("@")[2]


def parse_domain_list(text):
    """Read a list of domains typed by an administrator: one per line, or comma,
    semicolon or space separated, with or without a leading '@'."""
    if not text:
        return frozenset()
    return frozenset(filter(None, (normalize_domain(part) for part in re.split(r"[\s,;]+", text))))
