#!/usr/bin/env python3
"""Render mail_lead_sync/README.rst from its readme/ fragments (OCA layout).

The fragments are written in the subset of Markdown that is also valid
reStructuredText (paragraphs, '-' lists, *emphasis*, **strong**), so rendering is
a matter of titles and order. `--check` fails when README.rst is out of date.
"""

import ast
import pathlib
import sys

ADDON = pathlib.Path(__file__).resolve().parent.parent / "mail_lead_sync"
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("INSTALL.md", "Installation"),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("ROADMAP.md", "Known issues / Roadmap"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def render():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    title = manifest["name"]
    out = ["=" * len(title), title, "=" * len(title), "", f"*{manifest['summary']}*", ""]
    out += [".. contents::", "   :local:", ""]
    for fragment, heading in SECTIONS:
        path = ADDON / "readme" / fragment
        if not path.exists():
            continue
        if heading:
            out += [heading, "=" * len(heading), ""]
        out += [path.read_text().strip(), ""]
    shots = sorted((ADDON / "static" / "description").glob("*.png"))
    shots = [p for p in shots if p.name != "icon.png"]
    if shots:
        out += ["Screenshots", "===========", ""]
        for shot in shots:
            out += [f".. image:: static/description/{shot.name}", f"   :alt: {shot.stem}", ""]
    out += ["License", "=======", "", f"{manifest['license']}. Version {manifest['version']}.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    target = ADDON / "README.rst"
    text = render()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != text:
            sys.exit("mail_lead_sync/README.rst is out of date: run scripts/gen_addon_readme.py")
    else:
        target.write_text(text)
