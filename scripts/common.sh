# Shared set-up steps for .ci/run and scripts/run-odoo; source it, don't run it.
# Each step checks first and installs or starts only what is missing.

log() { printf '\n==> %s\n' "$*"; }

ensure_apt() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# The packaged Dovecot would start a system service on ports 143/993; the tests
# start their own instances, so keep the system one out of the way.
stop_system_dovecot() {
    if pgrep -x dovecot >/dev/null 2>&1 && [ -f /etc/dovecot/dovecot.conf ]; then
        doveadm -c /etc/dovecot/dovecot.conf stop >/dev/null 2>&1 || true
    fi
}

# PostgreSQL on 127.0.0.1:$PGPORT with a superuser role "odoo" (Odoo refuses to
# run as "postgres"). Reuses a running server; otherwise starts its own cluster.
ensure_postgres() {
    export PGHOST=127.0.0.1 PGPORT=${PGPORT:-5432}
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
        command -v pg_ctl >/dev/null 2>&1 || ensure_apt postgresql
        local bindir data=${MLS_PGDATA:-/var/tmp/mail_lead_sync/pgdata}
        bindir=$(dirname "$(readlink -f "$(command -v pg_ctl || ls /usr/lib/postgresql/*/bin/pg_ctl | tail -n1)")")
        mkdir -p "$data" /var/run/postgresql
        chown postgres: "$data" /var/run/postgresql
        if [ ! -f "$data/PG_VERSION" ]; then
            log "initdb $data"
            runuser -u postgres -- "$bindir/initdb" -D "$data" -A trust -U postgres >/dev/null
        fi
        log "starting PostgreSQL on $PGHOST:$PGPORT"
        runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
            -o "-h 127.0.0.1 -p $PGPORT -k /var/run/postgresql" start
    fi
    if ! PGPASSWORD=odoo psql -h "$PGHOST" -p "$PGPORT" -U odoo -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        log "creating the PostgreSQL role odoo"
        runuser -u postgres -- psql -h /var/run/postgresql -p "$PGPORT" -d postgres -qc \
            "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='odoo') THEN
               CREATE ROLE odoo LOGIN SUPERUSER PASSWORD 'odoo'; END IF; END\$\$;"
    fi
}

# Where Odoo's sources are, when "import odoo" works with $PYTHON.
odoo_root() {
    "$PYTHON" -c 'import os, odoo; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))' 2>/dev/null
}

odoo_addons_path() {
    local root=$1 repo=$2 path
    path="$root/odoo/addons"
    [ -d "$root/addons" ] && path="$root/addons,$path"
    printf '%s,%s' "$path" "$repo"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
