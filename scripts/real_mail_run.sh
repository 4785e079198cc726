#!/usr/bin/env bash
# The real-mail test over every email of the corpora (CI syncs a subset of 2,000
# SpamAssassin emails plus enmime's): fetches them, then runs
# mail_lead_sync/tests/test_real_mail.py in Odoo on a database of its own.
# Usage: scripts/real_mail_run.sh [database]   (needs Odoo 18 importable)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/common.sh
PYTHON=${PYTHON:-python3}
bash scripts/fetch_corpora.sh
ensure_postgres
root=$(odoo_root)
db=${1:-mls_real_mail_$(date +%s)}
log "real-mail run over every email (database $db)"
MAIL_LEAD_SYNC_REAL_MAIL_LIMIT=0 "$PYTHON" "$root/odoo-bin" -d "$db" --db_host "$PGHOST" --db_port "$PGPORT" \
    --db_user odoo --db_password odoo --addons-path "$(odoo_addons_path "$root" "$repo")" -i mail_lead_sync \
    --without-demo=all --test-tags /mail_lead_sync:TestRealMail --stop-after-init --log-level=test \
    --http-port "$(free_port)" 2>&1 | grep -E -A3 "real mail:|FAIL|ERROR|Traceback|AssertionError|tests when" || true
PGPASSWORD=odoo dropdb -h "$PGHOST" -p "$PGPORT" -U odoo --if-exists "$db" || true
