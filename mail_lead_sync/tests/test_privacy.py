import lxml.html

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.base.tests import test_mail_examples

from .common import MailSyncCase, why_lines

ATTACHED = 'Content-Type: multipart/mixed; boundary="b"\nMIME-Version: 1.0'
ATTACHED_BODY = (
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe secret price is 42.\r\n"
    '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="quote.pdf"\r\n'
    "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--"
)


@tagged("post_install", "-at_install")
class TestNeverSync(MailSyncCase):
    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.lead = self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test"})

    def add(self, entry, scope, user=None):
        wizard = (
            self.env["mail.sync.never.wizard"].with_user(user or self.env.user).create({"entry": entry, "scope": scope})
        )
        preview = wizard.preview
        wizard.action_confirm()
        return preview

    def test_company_domain_entry_before_and_after_a_sync(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Deal", "<n1@client.test>",
                     cc="Counsel <counsel@firm.test>")  # fmt: skip
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Other", "<n2@client.test>")
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(self.dana)), 2)
        preview = self.add("@Firm.test", "company")
        self.assertEqual(preview, "Adding @firm.test removes 1 synced email, from 2 records.")
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Other"])
        self.assertEqual(self.synced(self.lead).mapped("subject"), ["Other"])
        # Nothing comes back: a new sync, then the address added to another contact.
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Later", "<n3@client.test>",
                     cc="partner@firm.test")  # fmt: skip
        self.box.action_sync_now()
        self.env["res.partner"].create({"name": "Counsel", "email": "counsel@firm.test"})
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.assertEqual(sorted(self.synced(self.dana).mapped("subject")), ["Other"])
        reasons = self.env["mail.sync.index"].sudo().search([("account_id", "=", self.box.id)]).mapped("reason")
        self.assertEqual(reasons.count("never-sync list"), 2)
        self.assertIn("On a never-sync list", self.box.skipped_summary)

    def test_user_address_entry_applies_to_their_own_mailboxes_only(self):
        karen_box = self.connect(self.karen)
        for box, msgid in ((self.box, "<u1@client.test>"), (karen_box, "<u2@client.test>")):
            self.deliver(box, "INBOX", "dana@client.test", box.email, "Hi " + box.email, msgid,
                         cc="friend@private.test")  # fmt: skip
        preview = self.add("friend@private.test", "user", user=self.bob)
        self.assertIn("removes no synced email.", preview)
        (self.box | karen_box).action_sync_now()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Hi " + karen_box.email])
        # Bob's own list is his: Karen sees it neither in hers nor can she add to the company's.
        self.assertFalse(self.env["mail.sync.never"].with_user(self.karen).search([("user_id", "!=", False)]))
        with self.assertRaises(UserError):
            self.add("@x.test", "company", user=self.karen)

    def test_user_entry_removes_what_their_mailbox_synced(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Hi", "<r1@client.test>")
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(self.dana)), 1)
        self.assertIn("removes 1 synced email, from 2 records", self.add("dana@client.test", "user", self.bob))
        self.assertFalse(self.synced(self.dana) | self.synced(self.lead))

    def test_bad_entry_is_refused_in_words(self):
        with self.assertRaises(Exception) as caught:
            self.add("not an address", "user", self.bob)
        self.assertIn("neither an email address nor a domain", str(caught.exception))


@tagged("post_install", "-at_install")
class TestSharingLevels(MailSyncCase):
    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def deliver_quote(self, msgid="<q1@client.test>"):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Quote", msgid,
                     extra=ATTACHED, body=ATTACHED_BODY)  # fmt: skip

    def test_subject_level_keeps_no_body_and_no_attachment(self):
        self.box.share_level = "subject"
        self.deliver_quote()
        self.box.action_sync_now()
        message = self.synced(self.dana)
        self.assertEqual(message.subject, "Quote")
        self.assertIn("Body not shared", message.body)
        self.assertIn("quote.pdf", message.body)
        self.assertNotIn("42", message.body)
        self.assertFalse(message.attachment_ids)
        self.assertFalse(self.env["ir.attachment"].sudo().search([("name", "=", "quote.pdf")]))

    def test_metadata_level_keeps_who_and_when_only(self):
        self.box.share_level = "metadata"
        self.deliver_quote()
        self.box.action_sync_now()
        message = self.synced(self.dana)
        self.assertFalse(message.subject)
        self.assertNotIn("quote.pdf", message.body)
        self.assertNotIn("42", message.body)
        self.assertEqual((message.author_id, message.email_from), (self.dana, "dana@client.test"))

    def test_level_change_applies_to_what_was_synced(self):
        self.deliver_quote()
        self.box.action_sync_now()
        message = self.synced(self.dana)
        self.assertIn("42", message.body)
        self.assertEqual(message.attachment_ids.mapped("name"), ["quote.pdf"])
        self.box.share_level = "subject"
        self.assertNotIn("42", message.body)
        self.assertIn("quote.pdf", message.body)
        self.assertFalse(message.attachment_ids)
        self.assertFalse(self.env["ir.attachment"].sudo().search([("name", "=", "quote.pdf")]))
        self.assertIn("Linked by dana@client.test in From", why_lines(message, self.bob)[message])  # still said
        self.box.share_level = "metadata"
        self.assertFalse(message.subject)
        self.assertNotIn("quote.pdf", message.body)
        # Back to everything: read again from the mailbox.
        self.box.share_level = "full"
        self.assertEqual(message.subject, "Quote")
        self.assertIn("42", message.body)
        self.assertEqual(message.attachment_ids.mapped("name"), ["quote.pdf"])
        self.assertEqual(len(self.synced(self.dana)), 1)


@tagged("post_install", "-at_install")
class TestWhyAndTakingBack(MailSyncCase):
    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.lead = self.env["crm.lead"].create(
            {"name": "Deal", "email_from": "lee@client.test", "user_id": self.bob.id}
        )

    def test_why_line_for_each_header_and_for_a_thread(self):
        box = self.box
        self.deliver(box, "INBOX", "dana@client.test", box.email, "From", "<w1@client.test>")
        self.deliver(box, "Sent", box.email, "dana@client.test", "To", "<w2@acme.test>")
        self.deliver(box, "Sent", box.email, "x@other.test", "Cc", "<w3@acme.test>", cc="dana@client.test")
        self.deliver(box, "Sent", box.email, "y@other.test", "Bcc", "<w4@acme.test>", extra="Bcc: dana@client.test")
        self.deliver(box, "INBOX", "lee@client.test", box.email, "Lead", "<w5@client.test>")
        self.deliver(box, "INBOX", "lee.new@elsewhere.test", box.email, "Re: Lead", "<w6@elsewhere.test>",
                     extra="In-Reply-To: <w5@client.test>")  # fmt: skip
        box.action_sync_now()
        synced = self.synced(self.dana) | self.synced(self.lead)
        lines = {m.subject: why for m, why in why_lines(synced, self.bob).items()}
        self.assertFalse(any("Linked by" in m.body or "Reply to" in m.body for m in synced))  # not the sender's words
        for subject, header in (("From", "From"), ("To", "To"), ("Cc", "Cc"), ("Bcc", "Bcc")):
            self.assertIn(f"Linked by dana@client.test in {header}, from Bob's mailbox", lines[subject])
        self.assertIn("Linked by lee@client.test in From", lines["Lead"])
        self.assertIn("Reply to an email linked to this lead, from Bob's mailbox", lines["Re: Lead"])
        link = self.env["mail.sync.link"].sudo().search([("message_id", "=", "<w4@acme.test>")])
        self.assertEqual((link.address, link.header, link.reason), ("dana@client.test", "Bcc", "address"))

    def test_not_related_survives_resync_second_mailbox_and_retroactive_link(self):
        self.deliver(self.box, "INBOX", "lee@client.test", self.box.email, "Hi", "<t1@client.test>",
                     cc="dana@client.test")  # fmt: skip
        self.box.action_sync_now()
        message = self.synced(self.lead)
        self.assertEqual(len(message), 1)
        # A salesperson who may edit the lead says it does not belong there.
        self.env["mail.sync.link"].with_user(self.bob).action_not_related(message.id)
        self.assertFalse(self.synced(self.lead))
        self.assertEqual(len(self.synced(self.dana)), 1)  # only there
        # Resync, the same email in Karen's mailbox, a retroactive link: it stays away.
        karen_box = self.connect(self.karen)
        self.deliver(karen_box, "INBOX", "lee@client.test", karen_box.email, "Hi", "<t1@client.test>",
                     cc="dana@client.test")  # fmt: skip
        self.box.folder_ids.sudo().write({"cursor": False})
        (self.box | karen_box).action_sync_now()
        self.lead.email_from = "lee+crm@client.test"
        self.lead.email_from = "lee@client.test"
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.assertFalse(self.synced(self.lead))
        self.assertEqual(len(self.synced(self.dana)), 1)

    def test_not_related_needs_write_access_and_a_synced_message(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Hi", "<a1@client.test>")
        self.box.action_sync_now()
        message = self.synced(self.dana)
        portal = new_test_user(self.env, login="portal-p", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["mail.sync.link"].with_user(portal).action_not_related(message.id)
        note = self.dana.message_post(body="A note")
        with self.assertRaises(UserError):
            self.env["mail.sync.link"].with_user(self.bob).action_not_related(note.id)

    def test_owner_deletes_everywhere(self):
        self.deliver(self.box, "INBOX", "lee@client.test", self.box.email, "Hi", "<d1@client.test>",
                     cc="dana@client.test")  # fmt: skip
        self.box.action_sync_now()
        row = self.box.posted_message_ids
        self.assertEqual(len(row), 1)
        with self.assertRaises(UserError):
            row.with_user(self.karen).sudo(False).action_delete_everywhere()
        row.with_user(self.bob).action_delete_everywhere()
        self.assertFalse(self.synced(self.lead) | self.synced(self.dana))
        self.box.folder_ids.sudo().write({"cursor": False})
        self.box.action_sync_now()
        self.assertFalse(self.synced(self.lead) | self.synced(self.dana))
        self.assertIn("Deleted everywhere", self.box.skipped_summary)

    def test_noise_counts_by_reason(self):
        self.deliver(self.box, "INBOX", "news@shop.test", self.box.email, "Sale", "<z1@shop.test>",
                     extra="List-Unsubscribe: <mailto:u@shop.test>")  # fmt: skip
        self.deliver(self.box, "INBOX", "robot@shop.test", self.box.email, "Away", "<z2@shop.test>",
                     extra="Auto-Submitted: auto-replied")  # fmt: skip
        self.deliver(self.box, "INBOX", "x@shop.test", self.box.email, "Promo", "<z3@shop.test>",
                     extra="Precedence: bulk")  # fmt: skip
        self.deliver(self.box, "INBOX", "karen.acme@gmail.test", self.box.email, "Lunch", "<z4@acme.test>")
        self.box.action_sync_now()
        summary = self.box.skipped_summary
        for words in ("Mailing lists and newsletters", "Automatic replies", "Bulk mail"):
            self.assertIn(words, summary)
        # Mail among coworkers has a count of its own, beside the skipped mail.
        self.assertEqual((self.box.skipped_count, self.box.internal_count), (3, 1))


@tagged("post_install", "-at_install")
class TestQuotedHistoryFolded(MailSyncCase):
    """Replies from Odoo's own collection of real emails (odoo/addons/base/tests/
    test_mail_examples.py: Thunderbird, Outlook, Gmail, a French plain-text reply),
    synced: their quoted history is marked the way Odoo's chatter folds it."""

    def _visible_and_hidden(self, body):
        tree = lxml.html.fromstring(f"<div>{body}</div>")
        hidden = " ".join(el.text_content() for el in tree.xpath("//*[@data-o-mail-quote]"))
        for el in tree.xpath("//*[@data-o-mail-quote]"):
            el.drop_tree()
        return tree.text_content(), hidden

    def test_html_and_text_replies(self):
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        samples = {
            "thunderbird": ("text/html", test_mail_examples.QUOTE_BLOCKQUOTE, "I don't care how much", "Yep Dominique"),
            "outlook": ("text/html", test_mail_examples.QUOTE_OUTLOOK_HTML, "Reply from outlook", "Parent email body"),
            "gmail": ("text/html", test_mail_examples.GMAIL_1, "Ok for me", "Here is the schedule"),
            "text-fr": ("text/plain", test_mail_examples.TEXT_2, "Of course. This seems viable.", "blahblahblah"),
            "text-sig": ("text/plain", test_mail_examples.TEXT_1, "Is everything ok for you?", "MySignature"),
        }
        for name, (ctype, body, _shown, _folded) in samples.items():
            self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, name, f"<{name}@client.test>",
                         extra=f"Content-Type: {ctype}; charset=utf-8", body=body)  # fmt: skip
        self.box.action_sync_now()
        bodies = {m.subject: m.body for m in self.synced(dana)}
        for name, (_ctype, _body, shown, folded) in samples.items():
            visible, hidden = self._visible_and_hidden(bodies[name])
            self.assertIn(shown, visible, name)
            self.assertNotIn(folded, visible, name)
            self.assertIn(folded, hidden, name)
            self.assertNotIn("Linked by", bodies[name], name)  # the why line is beside the email, never folded
