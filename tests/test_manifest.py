"""The manifest's external_dependencies name every library the addon imports: Odoo
checks them before installing the addon, and whool turns them into the requirements
of the wheel odoo-addon-mail_lead_sync, so a missing one installs a broken addon."""

import ast
import importlib.metadata
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ADDON = ROOT / "mail_lead_sync"
# Odoo itself and the libraries of Odoo's own requirements.txt: an Odoo that runs has them.
FROM_ODOO = {"odoo", "markupsafe", "werkzeug", "dateutil", "lxml", "psycopg2"}


def _name(requirement):
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]).lower()


def _manifest_dependencies():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    return {_name(dep) for dep in manifest["external_dependencies"]["python"]}


def _imported_top_levels():
    """Top-level names imported by the addon's code (its tests' helpers excluded)."""
    found = {}
    for path in ADDON.rglob("*.py"):
        if "tests" in path.relative_to(ADDON).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _providers(tops):
    """Import name -> the installed distributions that ship it, from their RECORD
    (Python 3.10's packages_distributions() reads only top_level.txt, which dnspython
    lacks; parsing every RECORD into paths takes a minute on a machine with torch)."""
    names = "|".join(map(re.escape, tops))
    pattern = re.compile(rf"^({names})(?:/|\.py,)", re.MULTILINE)
    providers = {}
    for dist in importlib.metadata.distributions():
        for top in set(pattern.findall(dist.read_text("RECORD") or "")):
            providers.setdefault(top, set()).add(dist.metadata["Name"])
    return providers


def test_every_imported_library_is_an_external_dependency():
    declared = _manifest_dependencies()
    imported = {
        top: where
        for top, where in _imported_top_levels().items()
        if top not in sys.stdlib_module_names and top not in FROM_ODOO and top != "mail_lead_sync"
    }
    providers = _providers(imported)
    missing = []
    for top, where in sorted(imported.items()):
        dists = {_name(dist) for dist in providers.get(top, [])}
        assert dists, f"{where} imports {top}, which no installed distribution provides"
        if not dists & declared:
            missing.append(f"{top} ({' or '.join(sorted(dists))}, imported by {where})")
    assert not missing, "not in the manifest's external_dependencies: " + ", ".join(missing)


def test_external_dependencies_are_the_requirements():
    """requirements.txt installs what the manifest asks for, no more, no less."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    required = {_name(line) for line in lines if line.strip() and not line.lstrip().startswith("#")}
    assert _manifest_dependencies() == required
