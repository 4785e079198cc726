#!/usr/bin/env python3
"""Take the README's screenshots from a running Odoo with mail_lead_sync.

    scripts/run-odoo &              # an Odoo on http://127.0.0.1:8069, database mail_lead_sync
    python3 scripts/take_screenshots.py [--url http://127.0.0.1:8069] [--db mail_lead_sync]

Starts a Dovecot on 127.0.0.1 with a small customer conversation, connects it as
the admin's mailbox through Odoo's JSON-RPC API, syncs it, then drives headless
Chromium (Debian's) over the DevTools protocol to capture the settings block (and
its sign-in part), the mailbox form, a lead's chatter with the "why" lines and the
never-sync wizard into mail_lead_sync/static/description/.
"""

import argparse
import base64
import email.utils
import itertools
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mail_lead_sync.tests.dovecot import DovecotServer  # noqa: E402

OUT = REPO / "mail_lead_sync" / "static" / "description"
MAILBOX, PASSWORD = "alex@yourcompany.example", "demo-password"
LEAD = "40 licences for Client Inc."


class Odoo:
    def __init__(self, url, db):
        self.url, self.db, self.session = url, db, None
        self._ids = itertools.count(1)

    def _post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params}).encode()
        request = urllib.request.Request(self.url + path, body, {"Content-Type": "application/json"})
        if self.session:
            request.add_header("Cookie", f"session_id={self.session}")
        with urllib.request.urlopen(request, timeout=120) as response:
            cookie = response.headers.get("Set-Cookie", "")
            if "session_id=" in cookie:
                self.session = cookie.split("session_id=")[1].split(";")[0]
            reply = json.loads(response.read())
        if reply.get("error"):
            raise RuntimeError(json.dumps(reply["error"], indent=1)[:2000])
        return reply["result"]

    def login(self, login, password):
        return self._post("/web/session/authenticate", {"db": self.db, "login": login, "password": password})

    def call(self, model, method, *args, **kwargs):
        return self._post("/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs})


def deliver(server, folder, sender, to, subject, msgid, body, days_ago, extra=""):
    date = email.utils.format_datetime(email.utils.localtime() - __import__("datetime").timedelta(days=days_ago))
    raw = f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {msgid}\r\n{extra}"
    raw += f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    server.append(MAILBOX, folder, raw.encode())


def set_up(odoo, server):
    server.add_user(MAILBOX, PASSWORD)
    alex, dana = f"Alex <{MAILBOX}>", "Dana Smith <dana@client.example>"
    deliver(
        server,
        "Sent",
        alex,
        dana,
        "Quote for 40 licences",
        "<q1@yourcompany.example>",
        "Hi Dana,\n\nas promised, the quote for 40 licences is attached.\n\nAlex",
        9,
    )
    deliver(
        server,
        "INBOX",
        dana,
        alex,
        "Re: Quote for 40 licences",
        "<r1@client.example>",
        "Thanks Alex, we'll review it with finance on Thursday.\n\nDana",
        8,
        "In-Reply-To: <q1@yourcompany.example>\r\n",
    )
    deliver(
        server,
        "INBOX",
        "Dana <dana.smith@home.example>",
        alex,
        "Re: Quote for 40 licences",
        "<r2@home.example>",
        "Finance says yes! Writing from my phone.\n\nDana",
        2,
        "In-Reply-To: <r1@client.example>\r\nReferences: <q1@yourcompany.example> <r1@client.example>\r\n",
    )
    deliver(server, "INBOX", "Karen <karen@yourcompany.example>", alex, "Lunch?", "<l1@yourcompany.example>",
            "Internal: never synced.", 1)  # fmt: skip
    deliver(server, "INBOX", dana, alex, "Contract draft", "<c1@client.example>",
            "Counsel has comments on clause 7.\n\nDana", 1, "Cc: Counsel <counsel@lawfirm.example>\r\n")  # fmt: skip
    odoo.call("ir.config_parameter", "set_param", "mail_lead_sync.ca_file", server.cafile)
    # The demo's Dovecot is on loopback, which mailboxes may use only when allowed.
    odoo.call("ir.config_parameter", "set_param", "mail_lead_sync.allow_private_hosts", "1")
    company_id = odoo.call("res.users", "read", [2], ["company_id"])[0]["company_id"][0]
    odoo.call("res.company", "write", [company_id], {"email": "info@yourcompany.example"})
    domains = odoo.call("mail.alias.domain", "search", [("name", "=", "yourcompany.example")])
    domain = domains[0] if domains else odoo.call("mail.alias.domain", "create", {"name": "yourcompany.example"})
    odoo.call("res.company", "write", [company_id], {"alias_domain_id": domain})
    for old in odoo.call("mail.sync.account", "search", [("email", "=", MAILBOX)]):
        odoo.call("mail.sync.account", "unlink", [old])
    for model, domain in (
        ("crm.lead", [("name", "=", LEAD)]),
        ("res.partner", [("email", "=", "dana@client.example")]),
        ("mail.sync.never", [("entry", "=", "@lawfirm.example")]),
    ):
        odoo.call(model, "unlink", odoo.call(model, "search", domain))
    partner = odoo.call("res.partner", "create", {"name": "Dana Smith", "email": "dana@client.example"})
    lead = odoo.call("crm.lead", "create", {"name": LEAD, "partner_id": partner, "expected_revenue": 24000})
    account = odoo.call(
        "mail.sync.account",
        "create",
        {"email": MAILBOX, "host": server.host, "port": server.port_ssl, "security": "ssl", "password": PASSWORD},
    )
    odoo.call("mail.sync.account", "action_sync_now", [account])
    return account, lead


class Browser:
    def __init__(self, chromium, width=1400, height=1000):
        self.profile = tempfile.mkdtemp(prefix="mls-chromium-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={self.profile}", f"--remote-debugging-port={port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=1) as response:
                    pages = [t for t in json.loads(response.read()) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=60)
        self._ids = itertools.count(1)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, **params):
        msg_id = next(self._ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                return reply.get("result", {})

    def shot(self, url, path, script="", wait=5, settle=1):
        self.send("Page.navigate", url=url)
        time.sleep(wait)
        if script:
            self.send("Runtime.evaluate", expression=script)
            time.sleep(settle)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print("wrote", path.relative_to(REPO))

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="mail_lead_sync")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()
    odoo = Odoo(args.url, args.db)
    odoo.login(args.login, args.password)
    with DovecotServer() as server:
        account, lead = set_up(odoo, server)
        browser = Browser(shutil.which("chromium") or "/usr/bin/chromium")
        try:
            browser.send("Network.setCookie", name="session_id", value=odoo.session, url=args.url)
            browser.shot(
                f"{args.url}/odoo/settings#crm",
                OUT / "settings.png",
                "[...document.querySelectorAll('h2')].find(h => h.textContent.includes('Email Sync'))"
                ".scrollIntoView({block: 'start'})",
            )
            browser.shot(f"{args.url}/odoo/action-mail_lead_sync.mail_sync_account_action/{account}",
                         OUT / "mailbox.png")  # fmt: skip
            browser.shot(
                f"{args.url}/odoo/action-crm.crm_lead_all_leads/{lead}",
                OUT / "chatter.png",
                "document.querySelector('.o-mail-Chatter-content, .o-mail-Thread').scrollIntoView({block: 'start'})",
            )
            browser.shot(
                f"{args.url}/odoo/settings#crm",
                OUT / "signin.png",
                "document.querySelector('#mail_sync_google_setting').scrollIntoView({block: 'start'})",
            )
            # The never-sync wizard says what an entry removes before it is added.
            browser.shot(
                f"{args.url}/odoo/action-mail_lead_sync.mail_sync_never_action_company",
                OUT / "never_sync.png",
                """
                [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Add').click();
                setTimeout(() => {
                    const input = document.querySelector('.modal .o_field_widget[name=entry] input');
                    input.value = '@lawfirm.example';
                    input.dispatchEvent(new Event('input', {bubbles: true}));
                    input.dispatchEvent(new Event('change', {bubbles: true}));
                }, 1500);
                """,
                settle=4,
            )
        finally:
            browser.close()


if __name__ == "__main__":
    main()
