#!/usr/bin/env bash
# Regenerate mail_lead_sync/i18n/mail_lead_sync.pot from the code with Odoo's own
# exporter (on a temporary database with the addon installed, dropped afterwards),
# then merge it into every .po and print what is left to translate.
#   scripts/update_pot.sh            write the pot, msgmerge the .po files
#   scripts/update_pot.sh --check    only say whether the committed pot is stale
#   MLS_POT_DB=<db> reuses a database that has the addon installed (CI's).
# PostgreSQL: PGHOST/PGPORT/PGUSER/PGPASSWORD from the environment (never a prompt).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/common.sh
PYTHON=${PYTHON:-python3}
i18n=mail_lead_sync/i18n
pot=$i18n/mail_lead_sync.pot
check=0
[ "${1:-}" = "--check" ] && check=1

root=$(odoo_root) || { echo "Odoo is not importable with $PYTHON: cannot export the pot" >&2; exit 2; }
ensure_postgres >/dev/null
db=${MLS_POT_DB:-}
own_db=0
if [ -z "$db" ]; then
    db="mls_pot_$$_$(date +%s)"
    own_db=1
fi
out=$(mktemp /tmp/mail_lead_sync-XXXX.pot)
cleanup() {
    rm -f "$out"
    if [ "$own_db" = 1 ]; then pg_dropdb "$db" || echo "could not drop database $db" >&2; fi
}
trap cleanup EXIT
odoo=("$PYTHON" "$root/odoo-bin" -d "$db" --db_host "$PGHOST" --db_port "$PGPORT" --db_user "$PGUSER"
    --db_password "$PGPASSWORD" --addons-path "$(odoo_addons_path "$root" "$repo")" --log-level=warn --http-port 0)
if [ "$own_db" = 1 ]; then
    timeout 1800 "${odoo[@]}" -i mail_lead_sync --without-demo=all --stop-after-init </dev/null
fi
timeout 600 "${odoo[@]}" --modules=mail_lead_sync --i18n-export="$out" </dev/null
"$PYTHON" scripts/po_tools.py normalize "$out"

if [ "$check" = 1 ]; then
    if ! diff -u "$pot" "$out"; then
        echo "$pot is stale: the code's words changed. Run scripts/update_pot.sh and translate what it lists." >&2
        exit 1
    fi
    echo "$pot is up to date"
    exit 0
fi
cp "$out" "$pot"
command -v msgmerge >/dev/null || ensure_apt gettext
for po in "$i18n"/*.po; do
    [ -e "$po" ] || continue
    msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-wrap --sort-output "$po" "$pot"
    # Words the code no longer says leave the file (git keeps them).
    msgattrib --no-obsolete --no-wrap --sort-output -o "$po" "$po"
done
"$PYTHON" scripts/po_tools.py status "$i18n"
