import datetime
import email.utils
import itertools

from odoo.tests import HttpCase, TransactionCase, new_test_user

from odoo.addons.mail.tools.discuss import Store

from .dovecot import DovecotServer

_numbers = itertools.count(1)


class DovecotHttpCase(HttpCase):
    """A browser test with a real Dovecot on 127.0.0.1, which mailboxes may reach
    (loopback is refused by default) and whose certificate they trust."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot = DovecotServer().start()
        cls.addClassCleanup(cls.dovecot.stop)
        for name, value in (("allow_private_hosts", "1"), ("ca_file", cls.dovecot.cafile)):
            cls.env["ir.config_parameter"].sudo().set_param(f"mail_lead_sync.{name}", value)


def raw_email(sender, to, subject, message_id, extra=""):
    """A plain text email as bytes, dated in the sync window of any test."""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Body of {subject}\r\n"
    ).encode()


def why_lines(messages, user):
    """{message: the "why" line the web client gets beside it, as ``user`` reads the chatter}."""
    result = Store(messages.with_user(user), for_current_user=True).get_result()
    whys = {values["id"]: values.get("mail_sync_why") for values in result.get("mail.message", [])}
    return {message: whys.get(message.id) for message in messages}


class MailSyncCase(TransactionCase):
    """Acme (acme.test) with Bob and Karen as users, Bob's mailbox on a real
    Dovecot. Each test gets a fresh, empty mailbox for Bob."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dovecot = DovecotServer().start()
        cls.addClassCleanup(cls.dovecot.stop)
        cls.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.ca_file", cls.dovecot.cafile)
        # Dovecot is on loopback: the administrator's switch for private servers is on.
        cls.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.allow_private_hosts", "1")
        cls.env.company.write({"email": "info@acme.test", "mail_sync_excluded_domains": "acme.test"})
        cls.bob = new_test_user(
            cls.env, login="bob@acme.test", email="bob@acme.test", name="Bob", groups="sales_team.group_sale_salesman"
        )
        cls.karen = new_test_user(
            cls.env, login="karen", email="karen.acme@gmail.test", name="Karen", groups="sales_team.group_sale_salesman"
        )

    @classmethod
    def use_log_alias_domain(cls, name="crm.acme.test"):
        """The company's alias domain, which the CRM's log address lives on."""
        domain = cls.env["mail.alias.domain"].create({"name": name})
        cls.env.company.alias_domain_id = domain
        cls.env.ref("mail_lead_sync.mail_sync_log_alias").alias_domain_id = domain
        return domain

    def setUp(self):
        super().setUp()
        self.box = self.connect(self.bob)

    def connect(self, user):
        login = f"{user.login.partition('@')[0]}.{next(_numbers)}@acme.test"
        password = f"pw-{next(_numbers)}"
        self.dovecot.add_user(login, password)
        return self.env["mail.sync.account"].create(
            {
                "user_id": user.id,
                "company_id": user.company_id.id,
                "email": login,
                "host": self.dovecot.host,
                "port": self.dovecot.port_ssl,
                "security": "ssl",
                "password": password,
            }
        )

    def deliver(self, box, folder, sender, to, subject, msgid, cc="", extra="", body="Hello", days_ago=1):
        date = email.utils.format_datetime(
            datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days_ago)
        )
        headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}", f"Message-ID: {msgid}"]
        if cc:
            headers.append(f"Cc: {cc}")
        headers.extend(filter(None, extra.split("\n")))
        raw = ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()
        self.dovecot.append(box.email, folder, raw)
        return raw

    def synced(self, record):
        """Synced emails on a record's chatter (email-type messages)."""
        return self.env["mail.message"].search(
            [("model", "=", record._name), ("res_id", "=", record.id), ("message_type", "=", "email")]
        )
