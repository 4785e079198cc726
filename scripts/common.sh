# Shared set-up steps for .ci/run and scripts/run-odoo; source it, don't run it.
# Each step checks first and installs or starts only what is missing.

log() { printf '\n==> %s\n' "$*"; }

# No step may stop to ask anything: pip and git fail rather than prompt.
export PIP_NO_INPUT=1 GIT_TERMINAL_PROMPT=0

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

# Whatever talks to PostgreSQL never waits for a password nobody types: the role
# and its password come from the environment (PGUSER/PGPASSWORD, default odoo/odoo,
# which Odoo gets too), every client runs with -w (fail, never prompt) under a
# timeout, and libpq gives up on a server that does not answer (PGCONNECT_TIMEOUT).
pg_env() {
    export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-odoo}
    export PGPASSWORD=${PGPASSWORD-odoo} PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
}

# pg_sql DB SQL: one query's rows, unaligned; fails (never prompts) when refused.
pg_sql() {
    pg_env
    timeout 60 psql -w -X -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d "$1" -tAc "$2" </dev/null
}

pg_dropdb() {
    pg_env
    timeout 120 dropdb -w -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" --if-exists "$1" </dev/null
}

# pg_module_installed DB MODULE: true when DB exists and has MODULE installed.
pg_module_installed() {
    pg_sql "$1" "select 1 from ir_module_module where name='$2' and state='installed'" 2>/dev/null | grep -qx 1
}

# PostgreSQL on 127.0.0.1:$PGPORT with a superuser role $PGUSER (Odoo refuses to
# run as "postgres"). Reuses a running server (trust or password: PGPASSWORD is
# the role's password); otherwise starts its own cluster.
ensure_postgres() {
    export PGHOST=127.0.0.1
    pg_env
    if ! timeout 30 pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
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
        timeout 120 runuser -u postgres -- "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
            -o "-h 127.0.0.1 -p $PGPORT -k /var/run/postgresql" start
    fi
    if ! pg_sql postgres 'select 1' >/dev/null 2>&1; then
        log "creating the PostgreSQL role $PGUSER"
        # As postgres over the local socket (peer or trust there, as Debian sets it up).
        if ! timeout 60 runuser -u postgres -- psql -w -X -h /var/run/postgresql -p "$PGPORT" -d postgres -qc \
            "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$PGUSER') THEN
               CREATE ROLE \"$PGUSER\" LOGIN SUPERUSER PASSWORD '$PGPASSWORD'; END IF; END\$\$;" </dev/null ||
            ! pg_sql postgres 'select 1' >/dev/null; then
            echo "PostgreSQL on $PGHOST:$PGPORT refuses the role $PGUSER with the password in PGPASSWORD," \
                "and the role could not be created as postgres: set PGUSER and PGPASSWORD to a superuser's." >&2
            return 1
        fi
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
    printf '%s%s' "$path" "${repo:+,$repo}"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
