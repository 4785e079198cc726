#!/usr/bin/env bash
# The generated-mailbox test (mail_lead_sync/tests/test_generated_mailboxes.py)
# with many more examples than CI runs, drawn at random (CI runs the same few
# every time). Usage: scripts/hypothesis_long.sh [EXAMPLES] [database]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/common.sh
PYTHON=${PYTHON:-python3}
ensure_postgres
root=$(odoo_root)
examples=${1:-300}
db=${2:-mls_hypothesis_$(date +%s)}
log "generated mailboxes: $examples examples (database $db)"
MAIL_LEAD_SYNC_HYPOTHESIS_EXAMPLES=$examples "$PYTHON" "$root/odoo-bin" -d "$db" --db_host "$PGHOST" \
    --db_port "$PGPORT" --db_user odoo --db_password odoo --addons-path "$(odoo_addons_path "$root" "$repo")" \
    -i mail_lead_sync --without-demo=all --test-tags /mail_lead_sync:TestGeneratedMailboxes --stop-after-init \
    --log-level=test --http-port "$(free_port)" 2>&1 | grep -E -A12 "Falsifying|FAIL|ERROR|Traceback|tests when" || true
PGPASSWORD=odoo dropdb -h "$PGHOST" -p "$PGPORT" -U odoo --if-exists "$db" || true
