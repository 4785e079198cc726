"""Where the quoted history of a plain-text reply is, so Odoo's chatter can fold it.

Odoo folds quotes in HTML (blockquotes, Gmail's, Outlook's and Yahoo's quote
containers) when a body is sanitized, but a plain-text reply turned into
paragraphs and line breaks keeps its ``>`` lines in the open. Here the quoted
parts of a text reply — ``>`` lines with the "On … wrote:" line that introduces
them (English, French, German, Spanish, Dutch), an Outlook "-----Original
Message-----" or "From:/Sent:" header and all that follows it, a ``-- ``
signature — are found here; the addon renders them as ``<blockquote>``, which
Odoo folds.
"""

import re

# "On Mon, 2 Nov 2026 at 10:00, Dana <d@x> wrote:" and its translations; Gmail and
# Apple Mail may wrap this line, hence up to three lines.
_ATTRIBUTION = re.compile(
    r"^(?:On\s.{0,200}?\swrote|Le\s.{0,200}?\sa\s+écrit|Am\s.{0,200}?\sschrieb.{0,100}?"
    r"|El\s.{0,200}?\sescribió|Op\s.{0,200}?\sschreef.{0,100}?)\s?:\s*$",
    re.IGNORECASE | re.DOTALL,
)
# Outlook's separator, and its header block (From/Sent in the five languages).
_ORIGINAL = re.compile(r"^-{2,}\s*(?:Original Message|Message d'origine|Ursprüngliche Nachricht"
                       r"|Mensaje original|Oorspronkelijk bericht)\s*-{2,}\s*$", re.IGNORECASE)  # fmt: skip
_FROM = re.compile(r"^\*?(?:From|De|Von|Van)\s?:\*?\s", re.IGNORECASE)
_SENT = re.compile(r"^\*?(?:Sent|Envoyé|Gesendet|Enviado|Verzonden|Date|Datum|Fecha)\s?:\*?\s", re.IGNORECASE)
_SIGNATURE = re.compile(r"^--\s?$")


def _attribution_start(lines, quote_start):
    """Index of the "… wrote:" line(s) just before a quote block, if any."""
    i = quote_start
    while i > 0 and not lines[i - 1].strip():
        i -= 1
    for span in (1, 2, 3):
        start = i - span
        if start >= 0 and _ATTRIBUTION.match(" ".join(line.strip() for line in lines[start:i])):
            return start
    return quote_start


def split_quoted(text):
    """``[(quoted, lines)]``: the text in runs, each quoted or not, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quoted = [False] * len(lines)
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line.strip()) or (
            _FROM.match(line.strip()) and i + 1 < len(lines) and _SENT.match(lines[i + 1].strip())
        ):
            quoted[i:] = [True] * (len(lines) - i)  # Outlook puts the whole history below
            break
    for i, line in enumerate(lines):
        if line.startswith(">") and not quoted[i]:
            start = _attribution_start(lines, i) if i == 0 or not quoted[i - 1] else i
            for j in range(start, i + 1):
                quoted[j] = True
        elif not line.strip() and i and quoted[i - 1] and i + 1 < len(lines) and lines[i + 1].startswith(">"):
            quoted[i] = True  # a blank line inside a quote
    for i, line in enumerate(lines):
        if _SIGNATURE.match(line) and i + 1 < len(lines):
            quoted[i:] = [True] * (len(lines) - i)
            break
    runs = []
    for flag, line in zip(quoted, lines, strict=True):
        if runs and runs[-1][0] == flag:
            runs[-1][1].append(line)
        else:
            runs.append((flag, [line]))
    return runs
