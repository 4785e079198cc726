#!/usr/bin/env python3
"""A whole sales team at once: many mailboxes synced by 1, 2 and 4 parallel workers,
over the latency a real provider has.

    python3 bench/team_sync.py [--mailboxes 100] [--messages 1000] [--match 0.1]
        [--delay-ms 50] [--workers 1,2,4] [--paths cron,queue] [--db mls_team_bench]

Needs an importable Odoo 18 and PostgreSQL on 127.0.0.1 (role odoo/odoo, as .ci/run
or scripts/run-odoo leave them). Starts a Dovecot on 127.0.0.1 and fills --mailboxes
mailboxes with --messages generated emails each (--match of them involve a known
contact), then for each path and worker count, on a fresh copy of a database holding
the mailboxes (not synced yet):

  cron  - N real ``odoo-bin --max-cron-threads=1`` servers sharing the database:
          N cron workers take the sync's lanes (see models/mail_sync_schedule_mixin.py);
  queue - (when OCA queue_job is found, --queue-job-addons) a real prefork ``odoo-bin
          --workers=N --load=base,web,queue_job`` with mail_lead_sync_queue and
          channel root.mail_sync of capacity N: one job per mailbox, N at a time,
          each in its own worker process (as in production: threads would share
          one interpreter lock).

Prefork needs gevent to start (the master spawns its longpolling process), and
gevent resolves its requirements through setuptools' pkg_resources, which before
setuptools 76 cannot find the zope.interface and zope.event wheels installed under
``zope_interface-*.dist-info``: the gevent process dies at once and the master
respawns it in a loop. requirements-dev.txt pins a setuptools that can; the bench
checks this before it starts.

and measures the time until every mailbox's history is in, the longest any mailbox
waited for its first slice, then one steady-state pass (every mailbox due, nothing
new): its time and the longest wait of any one mailbox, which must stay under the
sync interval (5 minutes). Prints the speed-up of each worker count over one worker.

The network: ``tc qdisc ... netem`` is not available on the machine this was written
on ("Specified qdisc kind is unknown": no sch_netem module), so the mailboxes reach
Dovecot through a userspace TCP proxy in its own process that holds every chunk for
--delay-ms in each direction, in order (bandwidth unlimited), like a provider
--delay-ms away. The proxy is used whatever the machine; the output says so.
"""

import argparse
import asyncio
import datetime
import glob
import multiprocessing
import os
import pathlib
import signal
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from odoo_sync import generate, odoo_env  # noqa: E402

from mail_lead_sync.tests.dovecot import DovecotServer, free_port  # noqa: E402

PASSWORD = "bench-password"
PG = {"host": "127.0.0.1", "port": 5432, "user": "odoo", "password": "odoo"}
PGENV = {**os.environ, "PGPASSWORD": "odoo", "PGCONNECT_TIMEOUT": "10"}
INTERVAL = datetime.timedelta(minutes=5)
TIMEOUT = 3600


# -- latency proxy -------------------------------------------------------------
async def _forward(reader, writer, delay):
    """Copy reader to writer, each chunk delivered ``delay`` seconds after it came."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def receive():
        try:
            while data := await reader.read(1 << 16):
                queue.put_nowait((loop.time() + delay, data))
        except OSError:
            pass  # the peer went away: what came before it is still delivered
        queue.put_nowait((loop.time() + delay, b""))

    async def deliver():
        while True:
            due, data = await queue.get()
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    try:
        await asyncio.gather(receive(), deliver())
    except OSError:
        writer.close()


def run_proxy(listen_port, target_port, delay):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            _forward(client_reader, server_writer, delay), _forward(server_reader, client_writer, delay)
        )

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_proxy(target_port, delay):
    port = free_port()
    proc = multiprocessing.Process(target=run_proxy, args=(port, target_port, delay), daemon=True)
    proc.start()
    import socket

    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the latency proxy did not start")


def netem_available():
    probe = subprocess.run(
        ["tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0ms"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
        return True, ""
    return False, (probe.stderr or probe.stdout).strip()


# -- databases -----------------------------------------------------------------
def psql(db, sql, *params):
    import psycopg2

    with psycopg2.connect(dbname=db, **PG) as conn, conn.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall() if cr.description else None


def make_template(db, logins, contacts, extra_addons, modules):
    """A database with the mailboxes set up but switched off (each run copies it)."""
    import odoo
    from odoo import SUPERUSER_ID, api

    registry = odoo_env(db, extra_addons=extra_addons, modules=modules)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("mail_lead_sync.allow_private_hosts", "1")
        env.company.write({"email": "info@acme.test"})
        env["mail.sync.account"].search([]).unlink()
        if not env["res.partner"].search_count([("email", "in", contacts)]):
            env["res.partner"].create([{"name": c, "email": c} for c in contacts])
        env["mail.sync.account"].create(
            [
                {"email": login, "host": "127.0.0.1", "port": 143, "security": "none", "password": PASSWORD,
                 "sync_enabled": False}
                for login in logins
            ]
        )  # fmt: skip
        cr.commit()
    addons_path = odoo.tools.config["addons_path"]
    odoo.modules.registry.Registry.delete(db)
    odoo.sql_db.close_db(db)
    return addons_path


def copy_database(template, db):
    subprocess.run(["dropdb", "-w", "-h", PG["host"], "-U", PG["user"], "--if-exists", db], env=PGENV, check=True)
    subprocess.run(["createdb", "-w", "-h", PG["host"], "-U", PG["user"], "-T", template, db], env=PGENV, check=True)


# -- one measured run ----------------------------------------------------------
def start_odoo(db, addons_path, path, workers):
    """The Odoo servers of one run: N threaded servers (cron), or one prefork
    server with N HTTP worker processes (queue)."""
    if path == "cron":
        # N servers sharing the database, one cron thread each: N cron workers.
        return [spawn_odoo(db, addons_path, ["--workers", "0", "--max-cron-threads", "1"], {}, n)
                for n in range(workers)]  # fmt: skip
    # One prefork server whose job runner sends N jobs at a time to its N workers.
    env = {"ODOO_QUEUE_JOB_CHANNELS": f"root:{workers},root.mail_sync:{workers}"}
    extra = ["--workers", str(workers), "--gevent-port", str(free_port()), "--max-cron-threads", "1",
             "--load", "base,web,queue_job"]  # fmt: skip
    return [spawn_odoo(db, addons_path, extra, env, 0)]


def check_prefork():
    """Stop with the cause when gevent cannot start here (see the module's docstring):
    the prefork master would respawn its longpolling process in a loop."""
    probe = subprocess.run(
        [sys.executable, "-c", "import gevent.monkey; gevent.monkey.patch_all()"], capture_output=True, text=True
    )
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        raise SystemExit(
            f"queue: a prefork Odoo cannot start its gevent process with {sys.executable} ({last}); "
            "pip install -r requirements-dev.txt (it pins a setuptools whose pkg_resources finds zope.interface)"
        )


def spawn_odoo(db, addons_path, extra, extra_env, n):
    import odoo

    root = pathlib.Path(odoo.__file__).resolve().parent.parent
    http_port = free_port()
    args = [sys.executable, f"{root}/odoo-bin", "-d", db, "--db-filter", f"^{db}$", "--addons-path", addons_path,
            "--db_host", PG["host"], "--db_port", str(PG["port"]), "--db_user", PG["user"],
            "--db_password", PG["password"], "--http-port", str(http_port),
            "--log-level", "warn", "--logfile", f"/tmp/team_sync-{db}-{n}.log", *extra]  # fmt: skip
    proc = subprocess.Popen(args, env={**PGENV, **extra_env}, start_new_session=True, stdin=subprocess.DEVNULL)
    import socket

    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", http_port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"odoo-bin stopped: see /tmp/team_sync-{db}-{n}.log") from None
            time.sleep(0.1)
    raise SystemExit("odoo-bin did not start")


def stop_odoo(procs):
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def kick(db, path):
    """Wake the lanes (cron) or the cron that queues the jobs (queue), as _trigger() does."""
    code = "model._cron_sync()"
    psql(
        db,
        "INSERT INTO ir_cron_trigger (cron_id, call_at, create_date, write_date) "
        "SELECT c.id, now() at time zone 'utc', now() at time zone 'utc', now() at time zone 'utc' "
        "FROM ir_cron c JOIN ir_act_server a ON a.id = c.ir_actions_server_id "
        "WHERE a.code = %s AND c.active AND (%s OR c.id = (SELECT res_id FROM ir_model_data "
        "WHERE module = 'mail_lead_sync' AND name = 'ir_cron_mail_sync'))",
        code,
        path == "cron",
    )
    # Cron workers LISTEN in the postgres database (as ir.cron._notifydb NOTIFYs): a
    # NOTIFY in the database itself is never heard, and they wake at their next poll.
    psql("postgres", "SELECT pg_notify('cron_trigger', %s)", db)


def wait_for(db, since, done_sql, label):
    """Seconds until every mailbox satisfies ``done_sql``, and until every mailbox
    had been taken by a worker at least once (its longest wait for a first turn)."""
    started = time.perf_counter()
    all_taken = None
    while time.perf_counter() - started < TIMEOUT:
        params = [since] * done_sql.count("%s") + [since]
        rows = psql(db, f"SELECT count(*) FILTER (WHERE {done_sql}), count(*) FILTER (WHERE state IN "
                        "('error', 'reconnect')), count(*), max(last_error), count(*) FILTER (WHERE "
                        "sync_claimed_date >= %s) FROM mail_sync_account", *params)  # fmt: skip
        done, failed, total, error, taken = rows[0]
        if failed:
            raise SystemExit(f"{label}: {failed} mailbox(es) failed: {error}")
        if taken == total and all_taken is None:
            all_taken = time.perf_counter() - started
        if done == total:
            return time.perf_counter() - started, all_taken or time.perf_counter() - started
        time.sleep(0.25)
    raise SystemExit(f"{label}: not done after {TIMEOUT}s")


def measure(db, template, addons_path, path, workers, proxy_port):
    copy_database(template, db)
    psql(db, "UPDATE mail_sync_account SET port = %s", proxy_port)
    procs = start_odoo(db, addons_path, path, workers)
    try:
        time.sleep(3)  # the server's first cron pass (nothing enabled yet) goes by
        t0 = psql(db, "UPDATE mail_sync_account SET sync_enabled = true RETURNING now() at time zone 'utc'")[0][0]
        kick(db, path)
        import_s, first_turn = wait_for(db, t0, "state = 'ok'", "history import")
        emails = psql(db, "SELECT count(*) FROM mail_sync_index")[0][0]

        # Steady state: every mailbox due again, nothing new on the server.
        t1 = psql(
            db,
            "UPDATE mail_sync_account SET sync_claimed_date = sync_claimed_date - interval '1 day' "
            "RETURNING now() at time zone 'utc'",
        )[0][0]
        kick(db, path)
        # last_sync_date keeps whole seconds.
        t1 = t1.replace(microsecond=0)
        steady_s, _taken = wait_for(db, t1, "last_sync_date >= %s", "steady pass")
        longest = psql(db, "SELECT max(last_sync_date) - %s FROM mail_sync_account", t1)[0][0]
    finally:
        stop_odoo(procs)
    return import_s, first_turn, steady_s, longest.total_seconds(), emails


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mailboxes", type=int, default=100)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--match", type=float, default=0.1)
    parser.add_argument("--delay-ms", type=float, default=50)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--paths", default="cron,queue")
    parser.add_argument("--db", default="mls_team_bench")
    found = sorted(glob.glob("/var/tmp/mail_lead_sync/queue_job-*/odoo/addons"))
    parser.add_argument("--queue-job-addons", default=found[-1] if found else "")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    paths = args.paths.split(",")
    if "queue" in paths and not args.queue_job_addons:
        print("queue: SKIPPED, no queue_job found (install it as .ci/run does, or pass --queue-job-addons)")
        paths.remove("queue")
    if "queue" in paths:
        check_prefork()

    netem, why = netem_available()
    print(f"network: tc netem {'works here' if netem else f'is not available here ({why})'}; using a userspace "
          f"TCP proxy adding {args.delay_ms:g} ms each way in front of Dovecot")  # fmt: skip
    contacts = [f"contact{i}@client{i % 50}.test" for i in range(200)]
    logins = [f"rep{i}@acme.test" for i in range(args.mailboxes)]
    results = {}
    with DovecotServer() as server:
        started = time.perf_counter()
        for i, login in enumerate(logins):
            server.add_user(login, PASSWORD)
            server.append_many(
                login, "INBOX",
                generate(args.messages, args.match, contacts, "late@client.test", seed=i, prefix=f"rep{i}",
                         owner=login),
            )  # fmt: skip
        print(f"filled {args.mailboxes} mailboxes x {args.messages} emails in {time.perf_counter() - started:.0f}s")
        proxy, proxy_port = start_proxy(server.port_plain, args.delay_ms / 1000)
        try:
            for path in paths:
                template = f"{args.db}_{path}_tpl"
                extra = [args.queue_job_addons] if path == "queue" else []
                modules = "mail_lead_sync_queue" if path == "queue" else "mail_lead_sync"
                # In a child process: Odoo's configuration can be parsed once per process.
                with multiprocessing.get_context("fork").Pool(1) as pool:
                    addons_path = pool.apply(make_template, (template, logins, contacts, extra, modules))
                for n in workers:
                    db = f"{args.db}_{path}_{n}"
                    figures = measure(db, template, addons_path, path, n, proxy_port)
                    import_s, first_turn, steady_s, longest, emails = figures
                    results[path, n] = import_s
                    print(f"{path:5} {n} worker(s): history of {args.mailboxes} mailboxes ({emails} emails read) in "
                          f"{import_s:.1f}s = {emails / import_s:,.0f} emails/s, every mailbox had its first "
                          f"turn within {first_turn:.0f}s; steady pass (nothing new) in "
                          f"{steady_s:.1f}s, longest wait of one mailbox {longest:.0f}s "
                          f"({'within' if longest <= INTERVAL.total_seconds() else 'OVER'} the 5-minute interval)",
                          flush=True)  # fmt: skip
                    subprocess.run(["dropdb", "-w", "-h", PG["host"], "-U", PG["user"], "--if-exists", db], env=PGENV)
        finally:
            proxy.terminate()
    for path in paths:
        base = results.get((path, workers[0]))
        line = ", ".join(f"{n} workers {base / results[path, n]:.2f}x" for n in workers if (path, n) in results)
        print(f"speed-up {path:5} (over {workers[0]} worker): {line}")
    print(
        f"command: python3 bench/team_sync.py --mailboxes {args.mailboxes} --messages {args.messages} "
        f"--match {args.match:g} --delay-ms {args.delay_ms:g} --workers {args.workers} --paths {args.paths}"
    )


if __name__ == "__main__":
    main()
