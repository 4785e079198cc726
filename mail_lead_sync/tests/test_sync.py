import email.mime.application
import email.mime.multipart
import email.mime.text
import email.utils
import threading
from unittest.mock import patch

import odoo
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..engine import errors
from ..engine.imap import ImapMailbox
from ..pipeline.posting import Poster
from ..pipeline.run import MailboxSync
from .common import MailSyncCase


class SimulatedCrash(BaseException):
    """A worker killed mid-batch: nothing of ours may catch it."""


@tagged("post_install", "-at_install")
class TestSync(MailSyncCase):
    def test_acme_table_end_to_end(self):
        sue = self.env["res.partner"].create({"name": "Sue", "email": "sue.acme@gmail.test"})
        sue_work = self.env["res.partner"].create({"name": "Sue at Acme", "email": "sue@acme.test"})
        karen_contact = self.env["res.partner"].search([("email", "=", "karen.acme@gmail.test")], limit=1)
        self.deliver(self.box, "Sent", "Bob <bob@acme.test>", "Sue <sue@acme.test>", "Domain", "<a1@acme.test>")
        self.deliver(self.box, "Sent", "Bob <bob@acme.test>", "Sue <sue.acme@gmail.test>", "Gmail", "<a2@acme.test>")
        self.deliver(self.box, "Sent", "Bob <bob@acme.test>", "Karen <karen.acme@gmail.test>", "User", "<a3@acme.test>")
        self.box.action_sync_now()

        [message] = self.synced(sue)
        self.assertFalse(self.synced(sue_work))
        self.assertFalse(self.synced(karen_contact))
        self.assertEqual(message.subject, "Gmail")
        self.assertEqual(message.message_id, "<a2@acme.test>")
        self.assertEqual(message.author_id, self.bob.partner_id)
        self.assertEqual(message.email_from, '"Bob" <bob@acme.test>')
        self.assertIn("Hello", message.body)
        self.assertEqual(self.box.state, "ok")
        self.assertEqual(self.box.posted_count, 1)

    def test_reply_from_new_address_follows_the_thread(self):
        lead = self.env["crm.lead"].create({"name": "Dana's deal", "email_from": "dana@client.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test", "Offer", "<offer@acme.test>", days_ago=3)
        self.deliver(
            self.box, "INBOX", "Dana <dana.home@mail.test>", "bob@acme.test", "Re: Offer", "<re1@mail.test>",
            extra="In-Reply-To: <offer@acme.test>\nReferences: <offer@acme.test>",
        )  # fmt: skip
        self.box.action_sync_now()
        self.assertEqual(self.synced(lead).mapped("subject"), ["Re: Offer", "Offer"])
        link = self.env["mail.sync.link"].search([("message_id", "=", "<re1@mail.test>")])
        self.assertEqual((link.reason, link.address), ("thread", "dana@client.test"))

    def test_links_hold_what_the_orm_would_write(self):
        # The sync writes its links in SQL: every column as the ORM's create writes it.
        lead = self.env["crm.lead"].create({"name": "Dana's deal", "email_from": "dana@client.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test", "Offer", "<col1@acme.test>", days_ago=3)
        self.deliver(self.box, "INBOX", "dana.home@mail.test", "bob@acme.test", "Re: Offer", "<col2@mail.test>",
                     extra="In-Reply-To: <col1@acme.test>")  # fmt: skip
        self.box.action_sync_now()
        messages = {m.message_id: m.id for m in self.synced(lead)}
        self.env.cr.execute(
            """SELECT message_id, res_model, res_id, address, header, reason, why, state, mail_message_id, account_id,
                      rejected_by_id, rejected_date, subject, email_from, email_date, create_uid, write_uid,
                      create_date = write_date AND create_date IS NOT NULL
                 FROM mail_sync_link WHERE message_id IN ('<col1@acme.test>', '<col2@mail.test>') ORDER BY message_id"""
        )
        source = f"{self.box.user_id.name}'s mailbox"
        uid = self.env.uid
        self.assertEqual(
            self.env.cr.fetchall(),
            [
                ("<col1@acme.test>", "crm.lead", lead.id, "dana@client.test", "To", "address",
                 f"Linked by dana@client.test in To, from {source}", "linked", messages["<col1@acme.test>"],
                 self.box.id, None, None, None, None, None, uid, uid, True),
                ("<col2@mail.test>", "crm.lead", lead.id, "dana@client.test", "", "thread",
                 f"Reply to an email linked to this lead, from {source}", "linked", messages["<col2@mail.test>"],
                 self.box.id, None, None, None, None, None, uid, uid, True),
            ],
        )  # fmt: skip

    def test_reply_to_an_email_of_a_deleted_lead_goes_nowhere_and_breaks_nothing(self):
        # Found by the screenshot script: a lead deleted after its email was synced
        # made the next sync fail on the reply's thread ("Record does not exist").
        lead = self.env["crm.lead"].create({"name": "Gone", "email_from": "dana@client.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test", "Offer", "<del1@acme.test>", days_ago=3)
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(lead)), 1)
        lead.unlink()
        self.deliver(self.box, "INBOX", "dana.home@mail.test", "bob@acme.test", "Re: Offer", "<del2@mail.test>",
                     extra="In-Reply-To: <del1@acme.test>")  # fmt: skip
        self.box.action_sync_now()
        self.assertEqual((self.box.state, self.box.last_error), ("ok", False))
        self.assertFalse(self.env["mail.sync.link"].search([("message_id", "=", "<del2@mail.test>")]))

    def test_reply_to_two_leads_with_different_addresses_is_not_guessed(self):
        lead_a = self.env["crm.lead"].create({"name": "A", "email_from": "dana@client.test"})
        lead_b = self.env["crm.lead"].create({"name": "B", "email_from": "eve@other.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test, eve@other.test", "Both", "<both@acme.test>")
        self.deliver(
            self.box, "INBOX", "someone@mail.test", "bob@acme.test", "Re: Both", "<re2@mail.test>",
            extra="In-Reply-To: <both@acme.test>",
        )  # fmt: skip
        self.box.action_sync_now()
        self.assertEqual(self.synced(lead_a).mapped("subject"), ["Both"])
        self.assertEqual(self.synced(lead_b).mapped("subject"), ["Both"])
        row = self.env["mail.sync.index"].search([("message_id", "=", "<re2@mail.test>")])
        self.assertEqual((row.state, row.reason), ("skipped", "ambiguous thread"))

    def test_one_email_on_every_matching_record_once(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        lead = self.env["crm.lead"].create({"name": "Deal", "partner_id": partner.id})
        other = self.env["crm.lead"].create({"name": "Other", "email_from": "DANA@client.test"})
        lost = self.env["crm.lead"].create({"name": "Lost", "email_from": "dana@client.test", "active": False})
        self.deliver(
            self.box, "INBOX", "Dana <dana@client.test>", "bob@acme.test", "Hi", "<hi@client.test>",
            cc="dana@client.test",
        )  # fmt: skip
        self.box.action_sync_now()
        for record in (partner, lead, other):
            self.assertEqual(len(self.synced(record)), 1, record.display_name)
        self.assertFalse(self.synced(lost))

    def test_same_email_in_two_mailboxes_is_posted_once(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        karen_box = self.connect(self.karen)
        for box in (self.box, karen_box):
            self.deliver(box, "INBOX", "dana@client.test", "bob@acme.test, karen.acme@gmail.test", "Team", "<t@c.test>")
        (self.box | karen_box).action_sync_now()
        self.assertEqual(len(self.synced(partner)), 1)
        self.assertEqual(self.env["mail.sync.link"].search_count([("message_id", "=", "<t@c.test>")]), 1)

    def test_email_already_in_odoo_is_not_posted_again(self):
        lead = self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test"})
        sent_from_odoo = lead.message_post(
            body="Quote attached", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self.deliver(self.box, "Sent", "bob@acme.test", "dana@client.test", "Quote", sent_from_odoo.message_id)
        self.box.action_sync_now()
        self.assertFalse(self.synced(lead))
        self.assertEqual(self.env["mail.message"].search_count([("message_id", "=", sent_from_odoo.message_id)]), 1)

    def test_history_is_linked_when_a_contact_gets_the_address(self):
        self.deliver(self.box, "INBOX", "newcomer@client.test", "bob@acme.test", "Hello", "<new@client.test>")
        self.box.action_sync_now()
        row = self.env["mail.sync.index"].search([("message_id", "=", "<new@client.test>")])
        self.assertEqual(row.state, "indexed")
        self.assertTrue(row.key.isdigit())  # its place: the IMAP UID the body is fetched by below
        partner = self.env["res.partner"].create({"name": "Newcomer", "email": "someone.else@client.test"})
        partner.email = "Newcomer <NEWCOMER@client.test>"
        self.assertIn("newcomer@client.test", self.env["mail.sync.pending.address"].sudo().search([]).mapped("address"))
        self.env["res.partner"].create([{"name": f"P{n}", "email": f"p{n}@client.test"} for n in range(3)])
        self.env["mail.sync.pending.address"]._cron_link_new_addresses(chunk=2)  # the queue takes several chunks
        self.assertEqual(self.synced(partner).mapped("subject"), ["Hello"])
        self.assertFalse(self.env["mail.sync.pending.address"].sudo().search([]))

    def test_sync_sends_nothing_and_changes_no_flag(self):
        self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test", "user_id": self.bob.id})
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Unread", "<u@client.test>")
        flags = self.dovecot.flags(self.box.email, "INBOX")
        mails, notifications = self.env["mail.mail"].search_count([]), self.env["mail.notification"].search_count([])
        self.box.action_sync_now()
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)
        self.assertEqual(self.env["mail.notification"].search_count([]), notifications)
        self.assertEqual(self.dovecot.flags(self.box.email, "INBOX"), flags)

    def test_crash_mid_sync_loses_nothing_and_repeats_nothing(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        for n in range(5):
            self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", f"Mail {n}", f"<m{n}@client.test>")
        real_post, calls = Poster.post, []

        def crash_on_second_batch(poster, *args, **kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise SimulatedCrash
            return real_post(poster, *args, **kwargs)

        # Not assertRaises: Odoo's rolls back everything done inside it.
        crashed = False
        with (
            patch("odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE", 2),
            patch.object(Poster, "post", crash_on_second_batch),
        ):
            try:
                self.box.action_sync_now()
            except SimulatedCrash:
                crashed = True
        self.assertTrue(crashed)
        self.assertEqual(len(self.synced(partner)), 2, "the first batch is kept")
        with patch("odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE", 2):
            self.box.action_sync_now()
        self.assertEqual(sorted(self.synced(partner).mapped("subject")), [f"Mail {n}" for n in range(5)])

    def _queries_to_sync(self, count, start):
        """SQL queries of a sync landing ``count`` emails, each on a contact of its own."""
        for n in range(start, start + count):
            self.env["res.partner"].create({"name": f"Client {n}", "email": f"client{n}@client.test"})
            self.deliver(self.box, "INBOX", f"client{n}@client.test", "bob@acme.test", f"Hi {n}", f"<q{n}@client.test>")
        # As a cron's sync finds them: nothing of the records in memory (each batch commits).
        self.env.invalidate_all()
        before = odoo.sql_db.sql_counter
        self.box.action_sync_now()
        return odoo.sql_db.sql_counter - before

    def test_a_batch_costs_the_same_queries_whatever_its_number_of_emails(self):
        # Per batch, not per email: each email's own query (its record's name, its
        # index row's state) would make a first sync of a large mailbox crawl.
        few = self._queries_to_sync(5, 0)
        many = self._queries_to_sync(45, 100)
        self.assertEqual(self.env["mail.message"].search_count([("message_id", "=like", "<q%@client.test>")]), 50)
        self.assertLess(many - few, 10, f"{few} queries for 5 emails, {many} for 45")

    def test_synced_email_names_its_record_and_keeps_its_inline_images(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        lead = self.env["crm.lead"].create({"name": "Dana's deal", "partner_id": partner.id})
        pixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        for subject, html in (
            ("Inline", f'<p>Plan</p><img src="data:image/png;base64,{pixel}"><script>alert(1)</script>'),
            ("Plain html", '<p onclick="steal()">Offer <b>attached</b></p><script>alert(2)</script>'),
        ):
            msg = email.mime.text.MIMEText(html, "html")
            msg["From"], msg["To"], msg["Subject"] = "dana@client.test", "bob@acme.test", subject
            msg["Message-ID"], msg["Date"] = f"<{subject[0]}@client.test>", email.utils.formatdate()
            self.dovecot.append(self.box.email, "INBOX", msg.as_bytes())
        self.box.action_sync_now()
        for record in (partner, lead):
            by_subject = {m.subject: m for m in self.synced(record)}
            self.assertEqual(set(by_subject), {"Inline", "Plain html"})
            for message in by_subject.values():
                self.assertEqual(message.record_name, record.display_name)
                self.assertNotIn("<script", message.body)
                self.assertNotIn("onclick", message.body)
            # The inline image became an attachment of the message, as Odoo's create makes it.
            inline = by_subject["Inline"]
            self.assertIn("/web/image/", inline.body)
            self.assertNotIn("data:image", inline.body)
            self.assertEqual(len(inline.attachment_ids), 1)
            self.assertIn("<b>attached</b>", by_subject["Plain html"].body)
            # What the database holds is what the chatter reads.
            by_subject["Plain html"].invalidate_recordset(["body"])
            self.assertIn("<b>attached</b>", by_subject["Plain html"].body)

    def _reading_threads(self):
        return [t for t in threading.enumerate() if t.name == "mail-sync-read-ahead"]

    def test_next_batch_is_read_while_one_lands(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        for n in range(4):
            self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", f"Mail {n}", f"<ra{n}@client.test>")
        real_index, real_land = ImapMailbox.index, MailboxSync.land_batch
        second_read, overlapped = threading.Event(), []

        def index(box, *args, **kwargs):
            for n, batch in enumerate(real_index(box, *args, **kwargs)):
                if n == 1:
                    second_read.set()
                yield batch

        def land_batch(sync, *args, **kwargs):
            if not overlapped:
                # The second batch comes in while the first one lands (a bound, not a measure).
                overlapped.append(second_read.wait(timeout=10))
            return real_land(sync, *args, **kwargs)

        with (
            patch("odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE", 2),
            patch.object(ImapMailbox, "index", index),
            patch.object(MailboxSync, "land_batch", land_batch),
        ):
            self.box.action_sync_now()
        self.assertEqual(overlapped, [True])
        self.assertEqual(sorted(self.synced(partner).mapped("subject")), [f"Mail {n}" for n in range(4)])
        self.assertFalse(self._reading_threads())

    def test_mailbox_failing_while_read_ahead_stops_the_sync_as_before(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        for n in range(6):
            self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", f"Mail {n}", f"<rf{n}@client.test>")
        real_index = ImapMailbox.index

        def index(box, *args, **kwargs):
            for n, batch in enumerate(real_index(box, *args, **kwargs)):
                if n == 1:
                    raise errors.ServerError("The server went away")
                yield batch

        with (
            patch("odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE", 2),
            patch.object(ImapMailbox, "index", index),
        ):
            self.box.action_sync_now()
        self.assertEqual(self.box.state, "error")
        self.assertIn("The server went away", self.box.last_error)
        kept = sorted(self.synced(partner).mapped("subject"))
        self.assertEqual(kept, ["Mail 0", "Mail 1"], "the first batch is kept")
        self.assertFalse(self._reading_threads())
        # Out of time after one batch: the sync stops with a batch left, and so does its reader.
        with patch("odoo.addons.mail_lead_sync.pipeline.run.BATCH_SIZE", 2):
            self.assertFalse(MailboxSync(self.env, self.box).run(time_budget=-1))
        self.assertEqual(len(self.synced(partner)), 4)
        self.assertFalse(self._reading_threads())

    def test_settings_missing_are_said_in_words_by_the_cron(self):
        self.box.host = False
        google = self.env["mail.sync.account"].create(
            {"email": "g@gmail.test", "provider": "gmail", "host": "imap.gmail.com", "oauth_refresh_token": "rt"}
        )
        self.env["mail.sync.account"]._cron_sync()
        self.assertEqual(self.box.state, "error")
        self.assertIn("Set the mail server", self.box.last_error)
        self.assertIn("Google's OAuth client", google.last_error)

    def test_attachments_html_and_size_cap(self):
        self.env.company.mail_sync_attachment_max_mb = 1
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        msg = email.mime.multipart.MIMEMultipart("mixed")
        msg["From"], msg["To"], msg["Subject"] = "dana@client.test", "bob@acme.test", "Files"
        msg["Message-ID"], msg["Date"] = "<files@client.test>", email.utils.formatdate()
        msg.attach(email.mime.text.MIMEText('<p>See <b>files</b></p><script>alert("x")</script>', "html"))
        for name, size in (("small.pdf", 2000), ("huge.zip", 1_500_000)):
            part = email.mime.application.MIMEApplication(b"x" * size)
            part.add_header("Content-Disposition", "attachment", filename=name)
            msg.attach(part)
        self.dovecot.append(self.box.email, "INBOX", msg.as_bytes())
        self.box.action_sync_now()
        [message] = self.synced(partner)
        self.assertEqual(message.attachment_ids.mapped("name"), ["small.pdf"])
        self.assertEqual(message.attachment_ids.file_size, 2000)
        self.assertEqual((message.attachment_ids.res_model, message.attachment_ids.res_id), ("res.partner", partner.id))
        self.assertIn("<b>files</b>", message.body)
        self.assertNotIn("<script", message.body)
        self.assertIn("huge.zip (1.4 MB) was not imported: larger than 1 MB.", message.body)

    def test_coworkers_personal_addresses_can_be_synced_when_asked(self):
        karen_contact = self.env["res.partner"].create({"name": "Karen (private)", "email": "karen.acme@gmail.test"})
        self.deliver(self.box, "Sent", "bob@acme.test", "karen.acme@gmail.test", "Lunch", "<lunch@acme.test>")
        self.box.action_sync_now()
        self.assertFalse(self.synced(karen_contact))
        self.env.company.mail_sync_exclude_users = False
        self.env["mail.sync.index"].search([("message_id", "=", "<lunch@acme.test>")]).unlink()
        self.box.folder_ids.cursor = False
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(karen_contact)), 1)

    def test_wrong_password_is_shown_on_the_mailbox(self):
        self.box.password = "wrong"
        self.box.action_sync_now()
        self.assertEqual(self.box.state, "error")
        self.assertIn("password is wrong", self.box.last_error)
        result = self.box.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")

    def test_synced_message_shows_like_a_posted_email(self):
        """Batch posting gives the chatter what message_post(message_type='email') would."""
        lead = self.env["crm.lead"].create({"name": "Deal", "email_from": "dana@client.test"})
        dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.deliver(
            self.box, "INBOX", "Dana <dana@client.test>", "bob@acme.test", "Hi", "<cmp@client.test>", body="Hi Bob"
        )
        self.box.action_sync_now()
        synced = self.synced(lead)
        posted = lead.message_post(
            body=synced.body, subject="Hi", message_type="email", author_id=dana.id,
            email_from='"Dana" <dana@client.test>', subtype_xmlid="mail.mt_comment",
        )  # fmt: skip
        shown = ["author_id", "email_from", "subject", "body", "message_type", "subtype_id", "model", "res_id"]
        self.assertEqual(synced.read(shown)[0] | {"id": 0}, posted.read(shown)[0] | {"id": 0})
        self.assertFalse(synced.is_internal)


@tagged("post_install", "-at_install")
class TestSyncAccess(MailSyncCase):
    def test_users_see_only_their_mailboxes_and_nobody_reads_secrets(self):
        karen_box = self.connect(self.karen)
        as_bob = self.env["mail.sync.account"].with_user(self.bob)
        self.assertEqual(as_bob.search([]), self.box)
        with self.assertRaises(AccessError):
            karen_box.with_user(self.bob).read(["email"])
        with self.assertRaises(AccessError):
            self.box.with_user(self.bob).read(["password"])
        manager = new_test_user(self.env, login="manager", groups="sales_team.group_sale_manager")
        self.assertEqual(self.env["mail.sync.account"].with_user(manager).search([]), self.box | karen_box)
        with self.assertRaises(AccessError):
            karen_box.with_user(manager).read(["password"])
        with self.assertRaises(AccessError):
            karen_box.with_user(manager).write({"host": "evil.test"})
        # A salesperson syncs their own mailbox (cursors and index are written for them).
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Mine", "<mine@client.test>")
        self.box.with_user(self.bob).action_sync_now()
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Mine too", "<mine2@client.test>")
        self.box.with_user(self.bob).action_sync_now()  # existing folders: their cursors move on
        self.assertEqual(self.box.state, "ok")
        self.assertEqual(sorted(self.synced(partner).mapped("subject")), ["Mine", "Mine too"])
        self.box.with_user(self.bob).action_test_connection()
        # Owners set their password without being able to read it back.
        self.box.with_user(self.bob).password_input = "new-secret"
        self.assertEqual(self.box.sudo().password, "new-secret")
        self.box.invalidate_recordset()  # as a new request would
        self.assertFalse(self.box.with_user(self.bob).password_input)


@tagged("post_install", "-at_install")
class TestRemoveMailbox(MailSyncCase):
    def _synced_box(self):
        partner = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})
        self.deliver(self.box, "INBOX", "dana@client.test", "bob@acme.test", "Hi", "<rm@client.test>")
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(partner)), 1)
        self.assertEqual(self.box.progress, 100)
        return partner

    def _remove(self, choice):
        wizard = self.env["mail.sync.account.remove"].create({"account_id": self.box.id, "keep_messages": choice})
        self.assertEqual(wizard.synced_count, 1)
        wizard.action_confirm()
        self.assertFalse(self.box.exists())

    def test_remove_and_keep(self):
        partner = self._synced_box()
        self._remove("keep")
        self.assertEqual(len(self.synced(partner)), 1)

    def test_remove_and_delete(self):
        partner = self._synced_box()
        self._remove("delete")
        self.assertFalse(self.synced(partner))
        self.assertFalse(self.env["mail.sync.link"].search([("message_id", "=", "<rm@client.test>")]))
