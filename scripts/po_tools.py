"""Checks and tidying for mail_lead_sync's translation files (used by
scripts/update_pot.sh and .ci/run).

  po_tools.py normalize FILE.pot   blank the header's dates, so a re-export of the
                                   same words is byte-identical to the committed pot
  po_tools.py status DIR           per .po: entries, untranslated, fuzzy
  po_tools.py check DIR            fail when a .po lacks a translation, is fuzzy, does
                                   not match the pot's entries, or loses a placeholder
                                   or an XML tag of its msgid
"""

import pathlib
import re
import sys

import polib

VOLATILE_HEADERS = ("POT-Creation-Date", "PO-Revision-Date")
# %s, %d, %(name)s, %%; and XML/HTML tags (with their attributes as written).
PLACEHOLDER = re.compile(r"%(?:\([a-zA-Z_][a-zA-Z0-9_]*\))?[sdfr%]")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def normalize(path):
    pot = polib.pofile(path, wrapwidth=0)
    for header in VOLATILE_HEADERS:
        if header in pot.metadata:
            pot.metadata[header] = ""
    pot.save(path)


def _po_files(directory):
    return sorted(pathlib.Path(directory).glob("*.po"))


def status(directory):
    for path in _po_files(directory):
        po = polib.pofile(str(path))
        untranslated = len(po.untranslated_entries())
        fuzzy = len(po.fuzzy_entries())
        print(f"{path.name}: {len(po)} entries, {untranslated} untranslated, {fuzzy} fuzzy")


def _tags(text):
    # A tag's attributes may hold words to translate (title="..."): compare names only.
    return sorted(
        re.match(r"</?\s*([a-zA-Z0-9]+)", tag).group(1) + ("/" if tag[1] == "/" else "") for tag in TAG.findall(text)
    )


def problems(directory):
    directory = pathlib.Path(directory)
    pots = list(directory.glob("*.pot"))
    expected = {(e.msgctxt, e.msgid) for e in polib.pofile(str(pots[0]))} if pots else None
    for path in _po_files(directory):
        po = polib.pofile(str(path))
        found = {(e.msgctxt, e.msgid) for e in po if not e.obsolete}
        if expected is not None and found != expected:
            missing, extra = len(expected - found), len(found - expected)
            yield f"{path.name}: {missing} entries of the pot missing, {extra} not in it (run scripts/update_pot.sh)"
        for entry in po:
            if entry.obsolete:
                continue
            where = f"{path.name}: {entry.msgid[:60]!r}"
            if not entry.msgstr.strip():
                yield f"{where}: not translated"
                continue
            if "fuzzy" in entry.flags:
                yield f"{where}: fuzzy (check the translation, then remove the flag)"
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
                yield f"{where}: placeholders differ ({entry.msgstr[:60]!r})"
            if _tags(entry.msgid) != _tags(entry.msgstr):
                yield f"{where}: XML tags differ ({entry.msgstr[:60]!r})"


def check(directory):
    found = list(problems(directory))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} problem(s) in the translations: fix the .po files above.")
        return 1
    print("translations: every entry translated, placeholders and tags kept")
    return 0


def main(argv):
    command, target = argv[1], argv[2]
    if command == "normalize":
        normalize(target)
    elif command == "status":
        status(target)
    elif command == "check":
        return check(target)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
