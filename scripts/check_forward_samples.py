#!/usr/bin/env python3
"""Run the engine's forward recovery on the real forwarded emails collected by the
MIT-licensed crisp-oss/email-forward-parser project (its test/fixtures), for the
clients and languages the addon supports. The samples are read from a local clone
and are not part of this repository:

    git clone https://github.com/crisp-oss/email-forward-parser /tmp/efp
    python3 scripts/check_forward_samples.py /tmp/efp

Every sample there is John Doe <john.doe@acme.com> forwarding "Integer consequat
non purus" to bessie.berry@acme.com; the script prints what was recovered and a
count of the samples where sender, subject, first recipient and body are right.
"""

import email.message
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from mail_lead_sync.engine.forward import recover

CLIENTS = r"(apple_mail|gmail|outlook_2013|outlook_2019|new_outlook_2019|thunderbird)"
NAME = re.compile(CLIENTS + r"_(en|fr|de|es|nl)_body\.txt$")


def _samples(fixtures):
    """(body file, forward subject): each client/language body; Outlook on the web
    writes one body, in English, under subjects in the five languages."""
    for path in sorted(p for p in fixtures.glob("*.txt") if NAME.match(p.name)):
        yield path, "TR: Integer consequat non purus"
    web = fixtures / "outlook_live_body.txt"
    for lang in ("en", "fr", "de", "es", "nl"):
        subject = fixtures / f"outlook_live_{lang}_subject.txt"
        if web.exists() and subject.exists():
            yield web, subject.read_text(encoding="utf-8-sig").strip()


def main(clone):
    samples = list(_samples(pathlib.Path(clone) / "test" / "fixtures"))
    good = 0
    for path, subject in samples:
        msg = email.message.EmailMessage()
        msg["From"], msg["To"] = "bob@acme.test", "log@crm.acme.test"
        msg["Subject"] = subject
        msg["Date"] = "Tue, 03 Nov 2026 09:00:00 +0000"
        msg.set_content(path.read_text(encoding="utf-8-sig"))
        found = recover(msg.as_bytes())
        rec = found.original if found else None
        # Outlook 2019's reply-style line names no recipient.
        to_ok = path.name.startswith("outlook_2019") or bool(
            rec and rec.to and rec.to[0].email == "bessie.berry@acme.com"
        )
        ok = bool(
            rec and rec.sender and rec.sender[0].email == "john.doe@acme.com" and rec.sender[0].name in ("", "John Doe")
            and rec.subject == "Integer consequat non purus" and to_ok
            and rec.body_text.lstrip("> ").startswith("Aenean")
        )  # fmt: skip
        good += ok
        summary = (rec.sender[0].email, rec.subject, rec.date) if rec and rec.sender else None
        print("ok " if ok else "BAD", path.name, subject[:4], summary)
    print(f"{good} of {len(samples)} real samples recovered right")
    return 0 if good == len(samples) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/efp"))
