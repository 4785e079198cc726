import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import MailSyncCase, why_lines


@tagged("post_install", "-at_install")
class TestChatterByDate(HttpCase):
    """A record's chatter lists messages by date, and its pages follow that order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = new_test_user(cls.env, login="bob-chatter", groups="sales_team.group_sale_salesman")
        cls.lead = cls.env["crm.lead"].create({"name": "Timeline", "user_id": cls.bob.id, "type": "opportunity"})
        base = datetime.datetime(2026, 11, 1, 9, 0)
        # Created in this order, dated out of it: a history import, a retroactive link,
        # and two emails of the same second (the id decides between them).
        days = [5, 1, 7, 3, 3, 6, 2, 4]
        cls.lead.message_ids.unlink()
        cls.messages = cls.env["mail.message"]
        for n, day in enumerate(days):
            cls.messages |= cls.env["mail.message"].create(
                {"model": "crm.lead", "res_id": cls.lead.id, "message_type": "email", "body": f"<p>email {n}</p>",
                 "date": base + datetime.timedelta(days=day)}
            )  # fmt: skip
        # Odoo's own note, written now: the newest of all.
        cls.messages |= cls.lead.message_post(body="a note", message_type="comment", subtype_xmlid="mail.mt_note")
        cls.expected = cls.messages.sorted(lambda m: (m.date, m.id), reverse=True).ids

    def fetch(self, **cursor):
        return self.make_jsonrpc_request(
            "/mail/thread/messages", {"thread_model": "crm.lead", "thread_id": self.lead.id, **cursor}
        )["messages"]

    def test_pages_follow_the_dates(self):
        self.authenticate("bob-chatter", "bob-chatter")
        self.assertNotEqual(self.expected, sorted(self.expected, reverse=True))  # ids alone would be wrong
        seen, page = [], self.fetch(limit=3)
        while page:
            seen += page
            page = self.fetch(limit=3, before=page[-1])
        self.assertEqual(seen, self.expected)

    def test_newer_and_around_follow_the_dates(self):
        self.authenticate("bob-chatter", "bob-chatter")
        middle = self.expected[4]
        self.assertEqual(self.fetch(limit=30, after=middle), self.expected[:4])
        self.assertEqual(self.fetch(limit=4, around=middle), self.expected[2:6])

    def test_discuss_keeps_odoos_order(self):
        channel = self.env["discuss.channel"].create({"name": "General chat"})
        posted = [channel.message_post(body=f"hi {n}", message_type="comment").id for n in range(3)]
        channel.message_ids.filtered(lambda m: m.id == posted[0]).date = datetime.datetime(2030, 1, 1)
        fetched = self.env["mail.message"]._message_fetch([("model", "=", "discuss.channel"),
                                                           ("res_id", "=", channel.id)], limit=30)  # fmt: skip
        self.assertEqual(fetched["messages"].ids[:3], posted[::-1])


@tagged("post_install", "-at_install")
class TestTakenOff(MailSyncCase):
    """What users took off a record ("Not related") is listed on it and can be
    restored, by those who may edit the record only."""

    def setUp(self):
        super().setUp()
        self.lead = self.env["crm.lead"].create(
            {"name": "Deal", "email_from": "lee@client.test", "user_id": self.bob.id}
        )
        self.deliver(self.box, "INBOX", "Lee <lee@client.test>", self.box.email, "Hi", "<r1@client.test>")
        self.box.action_sync_now()
        self.Link = self.env["mail.sync.link"]
        self.Link.with_user(self.bob).action_not_related(self.synced(self.lead).id)

    def test_restore_puts_the_email_back_as_the_sync_posts_it(self):
        [taken_off] = self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id)
        self.assertEqual((taken_off["subject"], taken_off["email_from"], taken_off["rejected_by"]),
                         ("Hi", '"Lee" <lee@client.test>', "Bob"))  # fmt: skip
        self.Link.with_user(self.bob).restore_taken_off(taken_off["id"])
        message = self.synced(self.lead)
        self.assertEqual((message.subject, message.message_id), ("Hi", "<r1@client.test>"))
        self.assertIn("Linked by lee@client.test in From", why_lines(message, self.bob)[message])
        self.assertFalse(self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id))
        # Restored: the sync leaves it where it is, once.
        self.box.folder_ids.sudo().write({"cursor": False})
        self.box.action_sync_now()
        self.assertEqual(self.synced(self.lead), message)

    def test_only_who_may_edit_the_record_sees_and_restores(self):
        [taken_off] = self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id)
        other_company = self.env["res.company"].create({"name": "Other Co"})
        outsider = new_test_user(self.env, login="olga", groups="sales_team.group_sale_salesman",
                                 company_id=other_company.id, company_ids=[other_company.id])  # fmt: skip
        for user in (self.karen, outsider):  # Bob's lead; another company's user
            with self.assertRaises(AccessError):
                self.Link.with_user(user).restore_taken_off(taken_off["id"])
            with self.assertRaises(AccessError):
                self.Link.with_user(user).get_taken_off("crm.lead", self.lead.id)
        self.assertFalse(self.synced(self.lead))
        with self.assertRaises(UserError):
            self.Link.with_user(self.bob).get_taken_off("res.users", self.bob.id)

    def test_what_the_owner_deleted_everywhere_cannot_be_restored(self):
        [taken_off] = self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id)
        self.box.posted_message_ids.with_user(self.bob).action_delete_everywhere()
        self.assertFalse(self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id))
        with self.assertRaises(UserError):
            self.Link.with_user(self.bob).restore_taken_off(taken_off["id"])
        self.assertFalse(self.synced(self.lead))

    def test_without_its_mailbox_it_cannot_come_back(self):
        [taken_off] = self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id)
        self.assertTrue(taken_off["can_restore"])
        self.Link.sudo().browse(taken_off["id"]).account_id = False  # the mailbox was removed
        [taken_off] = self.Link.with_user(self.bob).get_taken_off("crm.lead", self.lead.id)
        self.assertFalse(taken_off["can_restore"])
        with self.assertRaises(UserError):
            self.Link.with_user(self.bob).restore_taken_off(taken_off["id"])
