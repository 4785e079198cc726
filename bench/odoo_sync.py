#!/usr/bin/env python3
"""End-to-end speed in Odoo: mail_lead_sync against Odoo's own fetcher.

    python3 bench/odoo_sync.py [--messages 10000] [--match 0.1] [--fetchmail 1000] [--db mls_bench]
                               [--profile FILE]

Needs an importable Odoo 18 and PostgreSQL on 127.0.0.1 (role odoo/odoo, as
.ci/run or scripts/run-odoo leave them). Creates (or reuses) a database with
mail_lead_sync installed, starts a Dovecot on 127.0.0.1, fills a mailbox with
--messages generated emails of which --match involve a known contact, then
measures, each on the real Odoo and the real server:
  floor     - imapclient alone on the same mailbox: a fresh connection, every UID,
              the header fetch the IMAP reader asks for, in the sync's batch size
              (bench/index_speed.py's floor; best of one run before the sync and
              one after, so the ratio is never flattered by a slow floor);
  sync      - action_sync_now(): history import, index + match + post, commits per batch;
  unchanged - a second sync with nothing new;
  retro     - a contact gets an address found in the index: its past emails linked;
  fetchmail - Odoo's fetchmail.server (IMAP, creating crm.lead) on the first
              --fetchmail emails of a copy of the same mailbox (0 to skip).
Prints emails landed per second, SQL queries per landed email, the first sync as
a share of the floor, times, peak RSS. --profile FILE keeps a cProfile of the first
sync (read it with pstats).
"""

import argparse
import cProfile
import pathlib
import random
import resource
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.index_speed import run_floor  # noqa: E402
from mail_lead_sync.engine.imap import ImapSettings  # noqa: E402
from mail_lead_sync.tests.dovecot import DovecotServer  # noqa: E402

LOGIN, PASSWORD = "bench@acme.test", "bench-password"
WORDS = ("offer", "quote", "meeting", "invoice", "renewal", "pricing", "demo", "contract", "order", "question")


def generate(count, match, contacts, late, seed=11, inbound_only=False, prefix="odoo-bench", owner=LOGIN):
    """``match`` of the emails involve a contact; 1 in 100 involves ``late``,
    an address no record has yet (for the retroactive link)."""
    rnd = random.Random(seed)
    for n in range(count):
        if n % 100 == 50:
            other = late
        elif rnd.random() < match:
            other = rnd.choice(contacts)
        else:
            other = f"stranger{n}@nowhere{n % 997}.test"
        sender, to = (other, owner) if n % 2 or inbound_only else (owner, other)
        subject = " ".join(rnd.choice(WORDS) for _ in range(4))
        body = "\r\n".join(" ".join(rnd.choice(WORDS) for _ in range(12)) for _ in range(20))
        yield (
            f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
            f"Date: Mon, {1 + n % 28:02d} Sep 2026 10:{n % 60:02d}:00 +0000\r\n"
            f"Message-ID: <{prefix}.{n}@client.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        ).encode()


def odoo_env(db, extra_addons=(), modules="mail_lead_sync"):
    """A registry of ``db``, created with ``modules`` installed when it does not exist."""
    import odoo
    from odoo.tools import config

    root = pathlib.Path(odoo.__file__).resolve().parent.parent
    addons = ",".join([f"{root}/addons", f"{root}/odoo/addons", *extra_addons, str(REPO)])
    args = ["-d", db, "--db_host", "127.0.0.1", "--db_user", "odoo", "--db_password", "odoo", "--addons-path", addons]
    config.parse_config(args)
    probe = subprocess.run(
        # -w: a refused password fails here instead of waiting for someone to type it.
        ["psql", "-w", "-h", "127.0.0.1", "-U", "odoo", "-d", db, "-tAc", "select 1"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={"PGPASSWORD": "odoo", "PGCONNECT_TIMEOUT": "10", "PATH": "/usr/bin:/bin:/usr/local/bin"},
    )
    if probe.returncode:
        print(f"creating database {db} with {modules}")
        subprocess.run(
            [sys.executable, f"{root}/odoo-bin", *args, "-i", modules, "--without-demo=all",
             "--stop-after-init", "--log-level=warn"],
            check=True,
        )  # fmt: skip
    return odoo.modules.registry.Registry(db)


def floor_seconds(server, batch):
    """Seconds imapclient alone takes to read the mailbox's headers (see run_floor)."""
    conf = ImapSettings(host=server.host, port=server.port_plain, security="none", login=LOGIN, password=PASSWORD)
    started = time.perf_counter()
    run_floor(conf, batch)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--match", type=float, default=0.1)
    parser.add_argument("--fetchmail", type=int, default=1000)
    parser.add_argument("--db", default="mls_bench")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the first sync to FILE")
    args = parser.parse_args()

    import odoo
    from odoo import SUPERUSER_ID, api

    registry = odoo_env(args.db)
    from odoo.addons.mail_lead_sync.pipeline.run import BATCH_SIZE

    contacts = [f"contact{i}@client{i % 50}.test" for i in range(200)]
    late = "latecomer@client.test"
    with DovecotServer() as server:
        server.add_user(LOGIN, PASSWORD)
        started = time.perf_counter()
        server.append_many(LOGIN, "INBOX", generate(args.messages, args.match, contacts, late))
        print(f"filled {args.messages} emails in {time.perf_counter() - started:.1f}s")
        floor_s = floor_seconds(server, BATCH_SIZE)

        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param("mail_lead_sync.ca_file", server.cafile)
            # The benchmark's Dovecot is on loopback, which mailboxes may not reach by default.
            env["ir.config_parameter"].set_param("mail_lead_sync.allow_private_hosts", "1")
            env.company.write({"email": "info@acme.test"})
            for old in env["mail.sync.account"].search([]):
                old.unlink()
            env["res.partner"].create([{"name": c, "email": c} for c in contacts])
            account = env["mail.sync.account"].create(
                {"email": LOGIN, "host": server.host, "port": server.port_plain, "security": "none",
                 "password": PASSWORD}
            )  # fmt: skip
            cr.commit()
            before_messages = env["mail.message"].search_count([("message_type", "=", "email")])
            queries = odoo.sql_db.sql_counter
            profile = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profile:
                profile.runcall(account.action_sync_now)
            else:
                account.action_sync_now()
            sync_s = time.perf_counter() - started
            if profile:
                profile.dump_stats(args.profile)
            if account.state != "ok":
                # A sync that failed would measure nothing: say why instead of printing zeros.
                raise SystemExit(f"the sync did not finish: {account.state}: {account.last_error}")
            queries = odoo.sql_db.sql_counter - queries
            landed = env["mail.message"].search_count([("message_type", "=", "email")]) - before_messages
            indexed = account.indexed_count

            started = time.perf_counter()
            account.action_sync_now()
            unchanged_s = time.perf_counter() - started

            partner = env["res.partner"].create({"name": "Latecomer", "email": late})
            cr.commit()
            started = time.perf_counter()
            env["mail.sync.pending.address"]._cron_link_new_addresses()
            retro_s = time.perf_counter() - started
            retro = env["mail.message"].search_count([("model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                      ("message_type", "=", "email")])  # fmt: skip
            cr.commit()
        floor_s = min(floor_s, floor_seconds(server, BATCH_SIZE))

        print(f"floor     : imapclient header fetch of the same mailbox in {floor_s:.2f}s "
              f"= {args.messages / floor_s:,.0f} emails/s")  # fmt: skip
        print(f"sync      : {indexed} emails indexed, {landed} landed in chatter in {sync_s:.1f}s "
              f"= {landed / sync_s:,.0f} landed/s, {args.messages / sync_s:,.0f} indexed/s; "
              f"{queries / max(landed, 1):.2f} SQL queries per landed email")  # fmt: skip
        print(f"first sync = {floor_s / sync_s:.0%} of the imapclient header floor "
              f"({args.messages / sync_s:,.0f} emails/s)")  # fmt: skip
        print(f"unchanged : second sync with nothing new in {unchanged_s:.3f}s")
        print(f"retro     : {retro} past emails linked to a new contact address in {retro_s:.2f}s")

        if args.fetchmail:
            fetch_login = "fetch@acme.test"
            server.add_user(fetch_login, PASSWORD)
            # Every email from its own sender: Odoo's loop guard drops bursts from
            # one address, and any Message-ID it has seen: new ids, new senders.
            server.append_many(
                fetch_login, "INBOX", generate(args.fetchmail, 0, contacts, late, inbound_only=True, prefix="fetch")
            )
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                fetcher = env["fetchmail.server"].create(
                    {"name": "bench", "server": server.host, "port": server.port_plain, "server_type": "imap",
                     "is_ssl": False, "user": fetch_login, "password": PASSWORD,
                     "object_id": env.ref("crm.model_crm_lead").id, "state": "done"}
                )  # fmt: skip
                cr.commit()
                leads = env["crm.lead"].search_count([])
                started = time.perf_counter()
                fetcher.fetch_mail()
                fetch_s = time.perf_counter() - started
                created = env["crm.lead"].search_count([]) - leads
                fetcher.unlink()
                cr.commit()
            # Odoo's fetcher marks every email it processed \\Seen (and drops some
            # on its loop guard): count what it read, not only the leads it made.
            seen = sum(1 for flags in server.flags(fetch_login, "INBOX").values() if b"\\Seen" in flags)
            print(f"fetchmail : {seen} emails processed ({created} new leads) in {fetch_s:.1f}s = "
                  f"{seen / fetch_s:,.1f}/s, every one left marked \\Seen in the mailbox")  # fmt: skip
            print(f"ratio     : mail_lead_sync landed {landed / sync_s / (seen / fetch_s):,.1f}x "
                  f"the emails per second Odoo's fetcher processes")  # fmt: skip
    print(f"peak RSS  : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
