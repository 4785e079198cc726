import email
import email.policy
from unittest.mock import patch

from odoo import Command, modules, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.base.models.ir_mail_server import MailDeliveryException

from .common import MailSyncCase
from .smtp_server import SmtpServer


@tagged("post_install", "-at_install")
class TestSendingTrustBoundaries(MailSyncCase):
    """Whose mail leaves through a mailbox's outgoing server. Two real SMTP servers
    on loopback: Odoo's own (set in odoo.conf, as in many databases) and the one a
    salesperson, Mallory, gave her mailbox for the company's address."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mallory = new_test_user(
            cls.env, login="mallory", email="mallory@acme.test", name="Mallory", groups="sales_team.group_sale_salesman"
        )
        cls.manager = new_test_user(
            cls.env, login="sam", email="sam@acme.test", name="Sam", groups="sales_team.group_sale_manager"
        )
        cls.dovecot.add_user("info@acme.test", "info-pw")
        # notifications@acme.test: Odoo's address for mail with no sender of its own.
        cls.env["mail.alias.domain"].create({"name": "acme.test"})

    def setUp(self):
        super().setUp()
        self.odoo_smtp = SmtpServer({"odoo": "odoo-pw"}).start()
        self.addCleanup(self.odoo_smtp.stop)
        self.evil = SmtpServer({"info@acme.test": "info-pw"}).start()
        self.addCleanup(self.evil.stop)
        self.bob_smtp = SmtpServer({self.box.email: self.box.sudo().password}).start()
        self.addCleanup(self.bob_smtp.stop)
        # Odoo's own outgoing server is in odoo.conf; no ir.mail_server of its own.
        self.env["ir.mail_server"].sudo().search([("mail_sync_account_id", "=", False)]).active = False
        conf = {"smtp_server": "127.0.0.1", "smtp_port": self.odoo_smtp.port, "smtp_user": "odoo",
                "smtp_password": "odoo-pw", "smtp_ssl": True, "from_filter": False}  # fmt: skip
        patcher = patch.dict(tools.config.options, conf)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.lead = self.env["crm.lead"].create({"name": "Deal", "partner_id": self.dana.id, "user_id": self.bob.id})
        self.bob.partner_id.email = self.box.email

    def mallory_box(self, **values):
        return (
            self.env["mail.sync.account"]
            .with_user(self.mallory)
            .create({"email": "info@acme.test", "host": self.dovecot.host, "port": self.dovecot.port_ssl,
                     "password_input": "info-pw", "smtp_host": "127.0.0.1", "smtp_port": self.evil.port, **values})
        )  # fmt: skip

    def bob_sends(self):
        self.box.action_confirm_address()
        self.box.write({"send_enabled": True, "smtp_host": "127.0.0.1", "smtp_port": self.bob_smtp.port,
                        "password_input": self.box.sudo().password})  # fmt: skip

    def send(self, action=None):
        # Odoo neither connects nor sends in test mode: these tests want the real thing.
        with patch.object(modules.module, "current_test", None):
            if action:
                action()
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()

    def received(self, server):
        return [email.message_from_bytes(raw, policy=email.policy.default) for _f, _t, raw in server.received]

    # -- proof of the address ---------------------------------------------------------
    def test_sending_stays_off_for_an_address_nobody_proved(self):
        with self.assertRaises(UserError) as refused:
            self.mallory_box(send_enabled=True)
        self.assertIn("until the address is proven to be yours", str(refused.exception))
        box = self.mallory_box()
        self.assertFalse(box.send_verified)
        self.assertIn("until the address is proven to be yours", box.send_blocked_reason)
        with self.assertRaises(UserError):
            box.write({"send_enabled": True})
        # The proof is Odoo's to write, not the owner's (RPC write / create).
        with self.assertRaises(AccessError):
            box.write({"send_verified_email": "info@acme.test", "send_verified_by": "admin"})
        with self.assertRaises(AccessError):
            self.mallory_box(email="sales@acme.test", send_verified_email="sales@acme.test")
        with self.assertRaises(AccessError):
            box.action_confirm_address()  # administrators only
        self.assertFalse(box.sudo().mail_server_id)

    def test_code_goes_through_odoo_and_is_read_back_from_the_inbox(self):
        box = self.box.with_user(self.bob)
        box.write(
            {"smtp_host": "127.0.0.1", "smtp_port": self.bob_smtp.port, "password_input": self.box.sudo().password}
        )
        self.send(box.action_send_verification_code)
        self.assertFalse(self.bob_smtp.received)  # never through the server its owner chose
        [code_mail] = self.received(self.odoo_smtp)
        self.assertEqual(code_mail["To"], self.box.email)
        # The owner learns the code only from the inbox: with it, a server of theirs could fake the proof.
        with self.assertRaises(AccessError):
            box.read(["send_code"])
        self.assertFalse(self.env["mail.message"].with_user(self.bob).search([("subject", "ilike", "address check")]))
        with self.assertRaises(UserError):
            box.action_send_verification_code()  # one code a minute
        self.assertEqual(box.action_check_verification_code()["params"]["type"], "warning")  # not in the inbox yet
        self.assertFalse(box.send_verified)
        self.dovecot.append(self.box.email, "INBOX", self.odoo_smtp.received[0][2])
        self.assertEqual(box.action_check_verification_code()["params"]["type"], "success")
        self.assertEqual((box.send_verified, box.send_verified_by, box.send_enabled), (True, "code", True))
        # Another address is another proof.
        box.email = "bob.other@acme.test"
        self.assertEqual((box.send_verified, box.send_enabled), (False, False))
        self.assertFalse(self.box.sudo().mail_server_id.active)

    # -- whose mail a mailbox carries ----------------------------------------------------
    def test_company_mail_never_leaves_through_a_salespersons_mailbox(self):
        box = self.mallory_box()
        box.sudo().action_confirm_address()  # even if an administrator was fooled
        box.write({"send_enabled": True})
        self.bob_sends()
        karen_partner = self.karen.partner_id
        self.lead.message_subscribe(partner_ids=[karen_partner.id])
        # A password reset (From the company's address, the mailbox's own).
        self.send(self.karen.action_reset_password)
        # A colleague's notification to a follower, and a colleague posting with the
        # mailbox owner's address and partner.
        self.lead.with_user(self.karen).with_context(mail_notify_force_send=False).message_post(
            body="Note for Bob", partner_ids=self.bob.partner_id.ids, message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.lead.with_user(self.karen).with_context(mail_notify_force_send=False).message_post(
            body="As Bob", email_from=self.box.email, author_id=self.bob.partner_id.id,
            partner_ids=self.dana.ids, message_type="comment", subtype_xmlid="mail.mt_comment",
            mail_server_id=self.box.sudo().mail_server_id.id,
        )  # fmt: skip
        # Mail From the notifications address, From the company's address, From nobody.
        Mail = self.env["mail.mail"].sudo()
        for sender in ("notifications@acme.test", "info@acme.test", False):
            Mail.create({"subject": f"Queue {sender}", "body_html": "<p>x</p>", "email_to": "dana@client.test",
                         "email_from": sender})  # fmt: skip
        self.send()
        self.assertFalse(self.evil.received)
        self.assertFalse(self.bob_smtp.received)
        subjects = [m["Subject"] for m in self.received(self.odoo_smtp)]
        self.assertTrue(any("Password" in s or "password" in s for s in subjects), subjects)
        for subject in ("Queue notifications@acme.test", "Queue info@acme.test", "Queue False"):
            self.assertIn(subject, subjects)
        bodies = " ".join(m.get_body(("plain",)).get_content() for m in self.received(self.odoo_smtp))
        self.assertIn("Note for Bob", bodies)
        self.assertIn("As Bob", bodies)

    def test_odoo_never_chooses_a_mailbox_server(self):
        self.bob_sends()
        mailbox_server = self.box.sudo().mail_server_id
        Server = self.env["ir.mail_server"].sudo()
        # Exact address, its domain, the notifications address, nothing, anything: the
        # odoo.conf server (None), never the mailbox's, even as the last fallback.
        for sender in (self.box.email, "sue@acme.test", "notifications@acme.test", False, "x@gmail.test"):
            self.assertIsNone(Server._find_mail_server(sender)[0], sender)
        self.assertIsNone(Server._find_mail_server(self.box.email, Server.search([]))[0])
        other = Server.create({"name": "Other", "smtp_host": "127.0.0.1", "from_filter": "other.test"})
        self.assertEqual(Server._find_mail_server(self.box.email)[0], other)
        # Named outright, outside the owner's own sending: refused.
        with self.assertRaises(MailDeliveryException):
            Server.connect(mail_server_id=mailbox_server.id, smtp_from=self.box.email)

    def test_the_owners_own_email_leaves_through_the_mailbox_and_notifications_through_odoo(self):
        self.bob_sends()
        self.lead.message_subscribe(partner_ids=[self.karen.partner_id.id])
        eve = self.env["res.partner"].create({"name": "Eve", "email": "eve@client.test"})
        self.lead.with_user(self.bob).with_context(mail_notify_force_send=False).message_post(
            body="Here is the offer.", subject="Offer", partner_ids=(self.dana | eve).ids, message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.send()
        self.assertEqual(sorted(rcpt for _f, rcpt, _r in self.bob_smtp.received),
                         [["dana@client.test"], ["eve@client.test"]])  # fmt: skip
        # Karen follows the lead: her notification is Odoo's, not a mail of Bob's mailbox.
        self.assertEqual([rcpt for _f, rcpt, _r in self.odoo_smtp.received], [[self.karen.email]])
        with self.dovecot.client(self.box.email) as client:
            client.select_folder("Sent", readonly=True)
            [uid] = client.search(["ALL"])  # one copy: what Bob wrote to Dana and Eve
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        copy = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(sorted(a.addr_spec for a in copy["To"].addresses), ["dana@client.test", "eve@client.test"])

    def test_a_manager_cannot_send_from_a_colleagues_mailbox(self):
        self.bob_sends()
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.manager)
            .with_context(default_model="crm.lead", default_res_ids=self.lead.ids)
        )
        self.assertNotIn(self.box, composer.new({})._mail_sync_accounts())
        with self.assertRaises(AccessError):
            composer.create({"body": "Hi", "partner_ids": [Command.link(self.dana.id)],
                             "mail_sync_account_id": self.box.id})  # fmt: skip

    # -- who may change what ---------------------------------------------------------------
    def test_owner_cannot_move_a_mailbox_and_a_new_host_needs_the_password_again(self):
        box = self.box.with_user(self.bob)
        with self.assertRaises(AccessError):
            box.write({"user_id": self.mallory.id})
        with self.assertRaises(AccessError):
            box.write({"company_id": self.env["res.company"].create({"name": "Other"}).id})
        self.box.sudo().write({"oauth_refresh_token": "rt-1", "oauth_access_token": "at-1"})
        box.write({"host": "evil.test"})
        self.assertEqual((self.box.sudo().password, self.box.sudo().oauth_refresh_token), (False, False))
        box.write({"password_input": "pw-new"})
        box.write({"smtp_host": "smtp.evil.test"})
        self.assertFalse(self.box.sudo().password)
        box.write({"host": "imap.acme.test", "password_input": "pw-typed"})  # given with the host: kept
        self.assertEqual(self.box.sudo().password, "pw-typed")
        self.box.action_confirm_address()
        self.box.write({"user_id": self.karen.id})  # an administrator can, and the proof was Bob's
        self.assertEqual((self.box.user_id, self.box.send_verified), (self.karen, False))

    # -- where the owner's password may go ----------------------------------------------------
    def test_outgoing_server_is_held_to_the_incoming_ones_host_rules(self):
        # An outgoing server the owner typed gets their password only where an incoming
        # one could go: here loopback, refused once private servers are not allowed.
        self.bob_sends()
        self.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.allow_private_hosts", False)
        posted = self.lead.with_user(self.bob).message_post(
            body="Offer", subject="Offer", partner_ids=self.dana.ids, message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        self.send()
        self.assertEqual(self.bob_smtp.received, [])
        self.assertIn("private or local network", self.box.last_error)
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", posted.id)])
        self.assertEqual(mail.mapped("state"), ["exception"], "the email stays in Odoo's queue, failed")
        with self.assertRaises(ValidationError):
            self.box.with_user(self.bob).write({"smtp_host": "https://smtp.evil.test:2525/relay"})

    def test_an_unproven_mailbox_address_does_not_silence_the_companys_sync(self):
        # Mallory types a client's address as a mailbox of hers: until it is proven hers,
        # the address stays external and Bob's emails with that client are still synced.
        self.mallory_box(email="dana@client.test")
        rules = self.env.company._mail_sync_internal_rules()
        self.assertFalse(rules.is_internal("dana@client.test"))
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Still synced", "<u1@client.test>")
        self.box.action_sync_now()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Still synced"])
        # A proven address of a coworker's mailbox is internal.
        self.box.action_confirm_address()
        self.assertTrue(self.env.company._mail_sync_internal_rules().is_internal(self.box.email))
