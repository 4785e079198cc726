#!/usr/bin/env python3
"""Index-pass speed: the engine against the bare imapclient floor, same mailbox.

    python3 bench/index_speed.py [--messages 10000] [--batch 500] [--repeat 2]

Fills a fresh Dovecot mailbox (started on 127.0.0.1 like the tests do) with
generated messages, then times, each in a fresh interpreter so its peak RSS is
its own:
  floor  - imapclient alone: EXAMINE, UID SEARCH, batched FETCH of the header
           fields the index needs (the least any IMAP indexer must do);
  engine - ImapMailbox.index(): the same fetch plus parsing every header block
           into a MailRecord (participants normalized, ids, dates, noise).
Prints messages/s of both, their ratio, and each pass's peak RSS. The best of
--repeat runs is kept (the first run also warms Dovecot's caches).
"""

import argparse
import json
import pathlib
import random
import resource
import ssl
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mail_lead_sync.engine.imap import HEADER_FETCH_ITEM, ImapMailbox, ImapSettings  # noqa: E402

LOGIN, PASSWORD = "bench@example.test", "bench-password"
WORDS = ("offer", "quote", "meeting", "invoice", "renewal", "pricing", "demo", "contract", "order", "question")


def generate(count, seed=7):
    """Realistic ~2 KB messages: half from customers, half sent by the owner,
    some replies with References, some with Cc, a few newsletters."""
    rnd = random.Random(seed)
    for n in range(count):
        customer = f"contact{rnd.randrange(count // 10 + 1)}@client{rnd.randrange(500)}.test"
        inbound = n % 2 == 0
        sender, to = (customer, LOGIN) if inbound else (LOGIN, customer)
        subject = " ".join(rnd.choice(WORDS) for _ in range(4))
        headers = [
            f"From: Person {n} <{sender}>",
            f"To: <{to}>",
            f"Subject: {'Re: ' if n % 3 == 0 else ''}{subject}",
            f"Date: Mon, {1 + n % 28:02d} Sep 2026 {n % 24:02d}:{n % 60:02d}:00 +0200",
            f"Message-ID: <bench.{n}.{rnd.getrandbits(40):x}@client.test>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ]
        if n % 3 == 0 and n:
            headers.append(f"In-Reply-To: <bench.{n - 1}@client.test>")
            headers.append(f"References: <bench.{max(n - 5, 0)}@client.test> <bench.{n - 1}@client.test>")
        if n % 5 == 0:
            headers.append(f"Cc: Colleague <cc{n % 17}@client{n % 500}.test>, team@example.test")
        if n % 50 == 0:
            headers.append("List-Unsubscribe: <mailto:unsubscribe@news.test>")
        body = "\r\n".join(" ".join(rnd.choice(WORDS) for _ in range(12)) for _ in range(25))
        yield ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def settings(host, port, cafile):
    return ImapSettings(
        host=host,
        port=port,
        security="ssl",
        login=LOGIN,
        password=PASSWORD,
        timeout=60,
        ssl_context=ssl.create_default_context(cafile=cafile),
    )


def run_floor(conf, batch):
    """Messages read by imapclient alone over a fresh connection of ``conf`` (an
    ``ImapSettings``): every UID, in batches of ``batch``, the reader's header fetch."""
    import imapclient

    tls = conf.security == "ssl"
    client = imapclient.IMAPClient(
        conf.host, port=conf.port, ssl=tls, ssl_context=conf.ssl_context if tls else None, timeout=60
    )
    client.login(conf.login, conf.password)
    client.select_folder("INBOX", readonly=True)
    uids = client.search(["ALL"])
    seen = 0
    for i in range(0, len(uids), batch):
        seen += len(client.fetch(uids[i : i + batch], [b"RFC822.SIZE", b"INTERNALDATE", HEADER_FETCH_ITEM]))
    client.logout()
    return seen


def run_engine(conf, batch):
    seen = 0
    with ImapMailbox(conf) as box:
        inbox = box.sync_folders()[0]
        for chunk in box.index(inbox, batch_size=batch):
            seen += len(chunk.entries) + len(chunk.failures)
    return seen


def child(args):
    conf = settings(args.host, args.port, args.cafile)
    started = time.perf_counter()
    seen = (run_floor if args.child == "floor" else run_engine)(conf, args.batch)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seen": seen, "seconds": elapsed, "peak_mb": peak_mb}))


def measure(kind, server, args):
    where = ["--host", server.host, "--port", str(server.port_ssl), "--cafile", server.cafile]
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--batch", str(args.batch), *where],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", choices=["floor", "engine"], help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cafile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    from mail_lead_sync.tests.dovecot import DovecotServer

    with tempfile.TemporaryDirectory(prefix="mls-bench-") as root, DovecotServer(root) as server:
        server.add_user(LOGIN, PASSWORD)
        started = time.perf_counter()
        server.append_many(LOGIN, "INBOX", generate(args.messages))
        fill = time.perf_counter() - started
        print(f"filled {args.messages} messages in {fill:.1f}s ({args.messages / fill:,.0f}/s)")
        best = {}
        for _ in range(args.repeat):
            for kind in ("floor", "engine"):
                result = measure(kind, server, args)
                assert result["seen"] == args.messages, result
                if kind not in best or result["seconds"] < best[kind]["seconds"]:
                    best[kind] = result
    rate = {k: args.messages / v["seconds"] for k, v in best.items()}
    for kind in ("floor", "engine"):
        print(
            f"{kind:>6}: {rate[kind]:>9,.0f} messages/s  ({best[kind]['seconds']:.2f}s)  "
            f"peak RSS {best[kind]['peak_mb']:.0f} MB"
        )
    print(f"engine / floor: {rate['engine'] / rate['floor']:.0%}  (target >= 50%)")


if __name__ == "__main__":
    main()
