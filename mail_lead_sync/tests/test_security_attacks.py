import email.message
import email.policy

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import MailSyncCase
from .test_forward import GMAIL_EN, LOG, forward


@tagged("post_install", "-at_install")
class TestAttacks(MailSyncCase):
    """Attacks found after issue 11's fixes: each made as its attacker would."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mona = new_test_user(cls.env, login="mona@acme.test", name="Mona", groups="sales_team.group_sale_manager")

    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def test_outside_senders_html_attachment_is_stored_as_text(self):
        """An outside sender's HTML or SVG attachment, synced by the cron (which runs
        as an administrator), is stored as text, as Odoo's own mail gateway does: served
        as HTML from Odoo's domain it could run script in a reader's session."""
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"], msg["To"], msg["Subject"] = "dana@client.test", self.box.email, "Invoice"
        msg["Message-ID"], msg["Date"] = "<att-1@client.test>", "Mon, 30 Nov 2026 10:00:00 +0000"
        msg.set_content("See attached")
        payload = b"<html><script>alert(document.cookie)</script></html>"
        msg.add_attachment(payload, maintype="text", subtype="html", filename="invoice.html")
        msg.add_attachment(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                           maintype="image", subtype="svg+xml", filename="logo.svg")  # fmt: skip
        self.dovecot.append(self.box.email, "INBOX", msg.as_bytes())
        self.box.action_sync_now()  # as the cron: superuser
        attachments = self.synced(self.dana).attachment_ids
        self.assertEqual(sorted(attachments.mapped("name")), ["invoice.html", "logo.svg"])
        self.assertEqual(set(attachments.mapped("mimetype")), {"text/plain"})
        self.assertEqual(attachments.filtered(lambda a: a.name == "invoice.html").raw, payload)  # nothing lost

    def test_sales_manager_cannot_work_a_colleagues_mailbox(self):
        """Mona reads Bob's mailbox (sales managers see their companies'); she cannot
        make it connect or sync: its password opens it for its owner only."""
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Private", "<priv-1@client.test>")
        opened = []
        original = type(self.box)._open_mailbox

        def spy(account):
            opened.append(account.env.uid)
            return original(account)

        self.patch(type(self.box), "_open_mailbox", spy)
        box = self.box.with_user(self.mona)
        self.assertEqual(box.email, self.box.email)  # she does read it
        for method in ("action_sync_now", "action_test_connection"):
            with self.assertRaises(AccessError, msg=method):
                getattr(box, method)()
        self.assertEqual(opened, [])
        self.box.with_user(self.bob).action_sync_now()
        self.assertEqual(opened, [self.bob.id])

    def test_personal_never_entry_changes_no_other_mailbox(self):
        """Karen's own never-sync entry takes away what her mailbox posted, and writes
        nothing in Bob's index (the same email, synced from his mailbox too)."""
        karen_box = self.connect(self.karen)
        for box in (karen_box, self.box):
            self.deliver(box, "INBOX", "dana@client.test", f"{karen_box.email}, {self.box.email}", "Hi",
                         "<shared-1@client.test>")  # fmt: skip
        karen_box.with_user(self.karen).action_sync_now()
        self.box.with_user(self.bob).action_sync_now()
        Row = self.env["mail.sync.index"]
        bob_row = Row.search([("account_id", "=", self.box.id), ("message_id", "=", "<shared-1@client.test>")])
        self.assertEqual(bob_row.state, "posted")
        self.env["mail.sync.never.wizard"].with_user(self.karen).create(
            {"entry": "dana@client.test", "scope": "user"}
        ).action_confirm()
        karen_row = Row.search([("account_id", "=", karen_box.id), ("message_id", "=", "<shared-1@client.test>")])
        self.assertEqual((karen_row.state, karen_row.reason), ("skipped", "never-sync list"))
        self.assertEqual(bob_row.state, "posted")

    def test_portal_user_who_types_a_clients_address_reads_none_of_its_mail(self):
        """A portal user changes their own email (My Account does it with sudo, no
        check) to a client's: neither past nor new mail with the client reaches the
        portal user's contact, whose chatter they read."""
        pat = new_test_user(self.env, login="pat", email="pat@home.test", name="Pat", groups="base.group_portal")
        pat.partner_id.company_id = self.env.company
        self.env["res.partner"].create({"name": "CEO", "email": "ceo@client.test"})
        self.deliver(self.box, "INBOX", "ceo@client.test", self.box.email, "Our secret price", "<ceo-1@client.test>")
        self.box.action_sync_now()
        pat.partner_id.with_user(pat).sudo().write({"email": "ceo@client.test"})  # as /my/account
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.deliver(self.box, "INBOX", "ceo@client.test", self.box.email, "Second secret", "<ceo-2@client.test>")
        self.box.action_sync_now()
        # Nor is she the author of the client's emails (Odoo lets authors read theirs).
        self.assertFalse(self.env["mail.message"].with_user(pat).search([("message_type", "=", "email")]))
        self.assertEqual(len(self.synced(self.env["res.partner"].search([("name", "=", "CEO")]))), 2)
        self.assertFalse(self.synced(pat.partner_id).author_id & pat.partner_id)

    def test_a_customer_with_portal_access_keeps_their_emails_and_reads_none(self):
        """A client who has portal access is still a client: the emails with them land
        on their contact, for the salespeople; the portal user reads none of them."""
        dana = new_test_user(self.env, login="dana", email="dana@client.test", name="Dana", groups="base.group_portal")
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Quote", "<dana-1@client.test>")
        self.deliver(self.box, "Sent", self.box.email, "dana@client.test", "Re: Quote", "<bob-1@acme.test>")
        self.box.action_sync_now()
        self.assertEqual(sorted(self.synced(dana.partner_id).mapped("subject")), ["Quote", "Re: Quote"])
        self.assertFalse(self.env["mail.message"].with_user(dana).search([("message_type", "=", "email")]))
        self.assertEqual(self.synced(dana.partner_id).with_user(self.bob).mapped("subject").count("Quote"), 1)

    def test_a_clients_portal_user_sees_nothing_taken_off_their_contact(self):
        """Dana, a client with portal access, calls the chatter's "taken off" list and
        its Restore and "Not related" over RPC on her own contact: the subjects and
        senders of the emails salespeople took off it are theirs, not hers."""
        dana = new_test_user(self.env, login="dana", email="dana@client.test", name="Dana", groups="base.group_portal")
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Discount for Dana?", "<d-1@client.test>")
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Renewal", "<d-2@client.test>")
        self.box.action_sync_now()
        Link = self.env["mail.sync.link"]
        discount, renewal = self.synced(dana.partner_id).sorted("subject")
        Link.with_user(self.bob).action_not_related(discount.id)
        [taken_off] = Link.with_user(self.bob).get_taken_off("res.partner", dana.partner_id.id)
        attempts = (
            lambda: Link.with_user(dana).get_taken_off("res.partner", dana.partner_id.id),
            lambda: Link.with_user(dana).restore_taken_off(taken_off["id"]),
            lambda: Link.with_user(dana).action_not_related(renewal.id),
        )
        for attempt in attempts:
            with self.assertRaises(AccessError):
                attempt()
        self.assertEqual(self.synced(dana.partner_id), renewal)

    def test_a_salesperson_cannot_make_a_clients_address_a_users(self):
        """Karen types the client's address as her own email (Preferences), or as
        Bob's (she manages contacts): every user's email counts as internal to the
        sync, so this would silence the company's sync with the client. Her own email
        stays hers to change otherwise, as Odoo lets her."""
        self.env["res.partner"].create({"name": "CEO", "email": "ceo@client.test"})
        self.karen.groups_id |= self.env.ref("base.group_partner_manager")  # Odoo's default for new users
        attempts = (
            lambda: self.karen.with_user(self.karen).write({"email": "ceo@client.test"}),
            lambda: self.karen.partner_id.with_user(self.karen).write({"email": "CEO <ceo@client.test>"}),
            lambda: self.bob.partner_id.with_user(self.karen).write({"email": "karen.new@gmail.test"}),
        )
        for attempt in attempts:
            with self.assertRaises(AccessError):
                attempt()
        self.karen.with_user(self.karen).write({"email": "karen.new@gmail.test", "signature": "K"})
        self.karen.with_user(self.karen).write({"email": "karen@acme.test"})  # the company's domain: free
        self.assertEqual(self.karen.email, "karen@acme.test")
        self.deliver(self.box, "INBOX", "ceo@client.test", self.box.email, "Order", "<ceo-9@client.test>")
        self.box.action_sync_now()
        self.assertTrue(self.synced(self.env["res.partner"].search([("name", "=", "CEO")])))

    def test_address_checks_are_one_a_minute_per_user_not_per_mailbox(self):
        """Each verification code is an email from the company's address to the
        address typed: a salesperson adding mailboxes must not make Odoo mail anybody."""
        Account = self.env["mail.sync.account"].with_user(self.karen)
        boxes = [Account.create({"email": f"victim{i}@elsewhere.test", "host": "imap.elsewhere.test"}) for i in (1, 2)]
        boxes[0].action_send_verification_code()
        with self.assertRaises(UserError):
            boxes[1].action_send_verification_code()

    def sync_html_from_dana(self, html, subject, message_id):
        """An HTML email from Dana, an outside sender, synced: its body in the chatter."""
        msg = email.message.EmailMessage(policy=email.policy.SMTP)
        msg["From"], msg["To"], msg["Subject"] = "dana@client.test", self.box.email, subject
        msg["Message-ID"], msg["Date"] = message_id, "Mon, 30 Nov 2026 10:00:00 +0000"
        msg.set_content(html, subtype="html")
        self.dovecot.append(self.box.email, "INBOX", msg.as_bytes())
        self.box.action_sync_now()
        return str(self.synced(self.dana).body)

    def test_outside_senders_html_runs_nothing(self):
        """Script, event handlers, javascript: links and forms of an outside sender's
        HTML email are taken out before the chatter shows it."""
        html = (
            "<p onclick='steal()'>Hi<script>alert(1)</script></p><img src=x onerror='alert(2)'>"
            "<a href='javascript:alert(3)'>click</a><form action='https://evil.test/'><input name=p></form>"
            "<iframe src='https://evil.test/'></iframe><svg onload='alert(4)'></svg>"
        )
        body = self.sync_html_from_dana(html, "<b onmouseover=x()>Hi</b>", "<html-1@client.test>")
        self.assertIn("Hi", body)
        for bad in ("<script", "onclick", "onerror", "javascript:", "<form", "<iframe", "onload", "evil.test"):
            self.assertNotIn(bad, body)

    def test_outside_senders_html_fetches_nothing_when_read(self):
        """A tracking pixel (or any remote image, background or style) would tell the
        sender each time a colleague opens the chatter, and from where."""
        html = (
            "<p style='color:red;background:url(https://track.test/bg.gif)'>Offer</p>"
            "<img src='https://track.test/p.gif?id=42' width='1' alt='logo'><img src='//track.test/q.gif'>"
            "<table background='https://track.test/t.gif'><tr><td>Price</td></tr></table>"
            "<video poster='https://track.test/v.gif'></video> Thanks &amp; <b>bye</b>"
        )
        body = self.sync_html_from_dana(html, "Offer", "<pixel-1@client.test>")
        self.assertNotIn("track.test", body)
        for kept in ("Offer", "Price", "Thanks &amp; <b>bye</b>", "[logo]", "color:red"):
            self.assertIn(kept, body)

    def test_a_clients_portal_user_reads_no_colleagues_emails(self):
        """Odoo lets a portal user read every contact of their own company: Bob's
        emails with Dana, her colleague, are not theirs to read."""
        client = self.env["res.partner"].create({"name": "Client Inc", "is_company": True})
        self.dana.parent_id = client
        ann = new_test_user(self.env, login="ann", email="ann@client.test", name="Ann", groups="base.group_portal")
        ann.partner_id.parent_id = client
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Between us", "<dana-7@client.test>")
        self.box.action_sync_now()
        [message] = self.synced(self.dana)
        Message = self.env["mail.message"].with_user(ann)
        self.assertTrue(self.dana.with_user(ann).name)  # she does read Dana's contact
        self.assertFalse(Message.search([("model", "=", "res.partner"), ("res_id", "=", self.dana.id)]))
        with self.assertRaises(AccessError):
            Message.browse(message.id).read(["body"])
        self.assertEqual(self.synced(self.dana).with_user(self.karen).subject, "Between us")  # coworkers do


@tagged("post_install", "-at_install")
class TestLogAddressAttacks(MailSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_log_alias_domain()
        cls.env["ir.config_parameter"].sudo().set_param("mail_lead_sync.log_authserv_id", "mx.acme.test")

    def test_an_unproven_mailbox_address_makes_no_forwarder(self):
        """Karen types a client's address as one of her mailboxes (nothing proves it);
        the client's email to the shared log address, DMARC-passed for the client's
        domain, is not believed to be hers."""
        self.env["mail.sync.account"].with_user(self.karen).create({"email": "ceo@client.test", "host": "imap.x.test"})
        self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        raw = forward("CEO <ceo@client.test>", GMAIL_EN, to=LOG)
        header = "Authentication-Results: mx.acme.test; dmarc=pass header.from=client.test\r\n"
        with self.assertLogs("odoo.addons.mail_lead_sync.models.mail_thread", "WARNING"):
            self.env["mail.thread"].message_process(None, header.encode() + raw)
        self.assertFalse(self.env["mail.sync.forward"].search([]))
