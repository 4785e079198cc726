from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from ..pipeline.retro import RetroLinker
from .common import MailSyncCase
from .test_forward import GMAIL_EN, forward


@tagged("post_install", "-at_install")
class TestCompanyScope(MailSyncCase):
    """Two companies: Acme (Bob, Karen, Mona their sales manager) and Beta (Zoe,
    Walt their sales manager). Each attack is made as the user who would make it,
    with the calls the web client or RPC can make."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.env.company
        cls.beta = cls.env["res.company"].create(
            {"name": "Beta", "email": "info@beta.test", "mail_sync_excluded_domains": "beta.test"}
        )
        beta_only = {"company_id": cls.beta.id, "company_ids": [(6, 0, cls.beta.ids)]}
        cls.zoe = new_test_user(
            cls.env, login="zoe@beta.test", name="Zoe", **beta_only,
            groups="sales_team.group_sale_salesman,base.group_partner_manager",  # Odoo's default for new users
        )  # fmt: skip
        cls.walt = new_test_user(
            cls.env, login="walt@beta.test", name="Walt", groups="sales_team.group_sale_manager", **beta_only
        )
        cls.mona = new_test_user(
            cls.env, login="mona@acme.test", name="Mona", groups="sales_team.group_sale_manager",
            company_id=cls.acme.id, company_ids=[(6, 0, cls.acme.ids)],
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        Partner = self.env["res.partner"]
        self.dana = Partner.create({"name": "Dana", "email": "dana@client.test", "company_id": self.acme.id})
        self.shared = Partner.create({"name": "Sam (no company)", "email": "sam@client.test"})
        self.beta_contact = Partner.create({"name": "Bea", "email": "bea@client.test", "company_id": self.beta.id})
        self.beta_lead = self.env["crm.lead"].create(
            {"name": "Beta deal", "email_from": "bea@client.test", "company_id": self.beta.id, "user_id": self.zoe.id}
        )

    def seen_by(self, user, record):
        """Synced emails of a record that ``user`` reads (what their chatter shows)."""
        return (
            self.env["mail.message"]
            .with_user(user)
            .search([("model", "=", record._name), ("res_id", "=", record.id), ("message_type", "=", "email")])
        )

    # -- where a mailbox's emails land ---------------------------------------------
    def test_acme_mail_stays_off_shared_and_beta_records(self):
        for sender, msgid in (("sam@client.test", "<c1@client.test>"), ("bea@client.test", "<c2@client.test>")):
            self.deliver(self.box, "INBOX", sender, self.box.email, "Private to Acme", msgid)
        self.box.action_sync_now()
        # Zoe (Beta) reads the contact without a company: Acme's email is not there.
        self.assertFalse(self.seen_by(self.zoe, self.shared))
        self.assertFalse(self.synced(self.shared) | self.synced(self.beta_contact) | self.synced(self.beta_lead))
        self.assertEqual(self.acme.mail_sync_shared_records, "single")
        self.assertFalse(self.acme._mail_sync_shares_records())  # two companies now
        # Allowed by the company: shared contacts receive them (and every company reads them).
        self.acme.mail_sync_shared_records = "always"
        self.deliver(self.box, "INBOX", "sam@client.test", self.box.email, "Shared", "<c3@client.test>")
        self.box.action_sync_now()
        self.assertEqual(self.seen_by(self.zoe, self.shared).mapped("subject"), ["Shared"])
        self.assertFalse(self.synced(self.beta_contact) | self.synced(self.beta_lead))

    def test_shared_records_setting_is_per_company_in_the_settings_form(self):
        self.env["res.config.settings"].with_company(self.beta).create({"mail_sync_shared_records": "never"}).execute()
        self.assertEqual((self.acme.mail_sync_shared_records, self.beta.mail_sync_shared_records), ("single", "never"))
        self.assertFalse(self.beta._mail_sync_shares_records())
        self.beta.mail_sync_shared_records = "always"
        self.assertTrue(self.beta._mail_sync_shares_records())

    def test_new_address_on_a_beta_contact_pulls_no_acme_mail(self):
        self.deliver(self.box, "INBOX", "newbie@client.test", self.box.email, "Acme only", "<r1@client.test>")
        self.box.action_sync_now()
        # Zoe fishes for Acme's mail: contacts with that address, with and without a company.
        Partner = self.env["res.partner"].with_user(self.zoe)
        fished = Partner.create({"name": "N", "email": "newbie@client.test"})
        fished |= Partner.create({"name": "N", "email": "newbie@client.test", "company_id": self.beta.id})
        self.assertEqual((fished[0].company_id, fished[1].company_id), (self.env["res.company"], self.beta))
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.assertFalse(self.seen_by(self.zoe, fished[0]) | self.seen_by(self.zoe, fished[1]))
        # Not even read from Acme's mailboxes.
        self.assertEqual(RetroLinker(self.env).reachable_addresses(["newbie@client.test"]), {})
        # An Acme contact with the address gets it.
        mine = self.env["res.partner"].create({"name": "N", "email": "newbie@client.test", "company_id": self.acme.id})
        self.env["mail.sync.pending.address"]._cron_link_new_addresses()
        self.assertEqual(self.synced(mine).mapped("subject"), ["Acme only"])

    def test_threads_do_not_cross_companies(self):
        lead = self.env["crm.lead"].create(
            {"name": "Acme deal", "email_from": "lee@client.test", "company_id": self.acme.id, "user_id": self.bob.id}
        )
        zoe_box = self.connect(self.zoe)
        self.assertEqual(zoe_box.company_id, self.beta)
        self.deliver(self.box, "INBOX", "lee@client.test", self.box.email, "Deal", "<t1@client.test>")
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(lead)), 1)
        # Lee writes to Zoe at Beta from another address, in reply to Acme's thread.
        self.deliver(zoe_box, "INBOX", "lee.private@else.test", zoe_box.email, "Re: Deal", "<t2@else.test>",
                     extra="In-Reply-To: <t1@client.test>")  # fmt: skip
        zoe_box.action_sync_now()
        self.assertEqual(self.seen_by(self.bob, lead).mapped("subject"), ["Deal"])
        # ... and the other way: a Beta thread does not pull Acme's reply onto Beta's lead.
        self.deliver(zoe_box, "INBOX", "bea@client.test", zoe_box.email, "Beta talk", "<t3@client.test>")
        zoe_box.action_sync_now()
        self.assertEqual(self.synced(self.beta_lead).mapped("subject"), ["Beta talk"])
        self.deliver(self.box, "INBOX", "bea.home@else.test", self.box.email, "Re: Beta talk", "<t4@else.test>",
                     extra="In-Reply-To: <t3@client.test>")  # fmt: skip
        self.box.action_sync_now()
        self.assertEqual(self.seen_by(self.zoe, self.beta_lead).mapped("subject"), ["Beta talk"])

    def test_a_beta_mailbox_address_is_not_internal_at_acme(self):
        # Zoe types an Acme client's address as a mailbox of hers (it never connects).
        # Even proven (an administrator of Beta confirms it), it is internal at Beta only.
        zoes = (
            self.env["mail.sync.account"].with_user(self.zoe).create({"email": "dana@client.test", "host": "127.0.0.1"})
        )
        zoes.sudo().action_confirm_address()
        self.assertTrue(self.beta._mail_sync_internal_rules().is_internal("dana@client.test"))
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Still synced", "<i1@client.test>")
        self.box.action_sync_now()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Still synced"])

    def test_author_is_never_another_companys_contact(self):
        self.env["res.partner"].create({"name": "Beta's secret name", "email": "lee@client.test",
                                        "company_id": self.beta.id})  # fmt: skip
        lead = self.env["crm.lead"].create(
            {"name": "Deal", "email_from": "lee@client.test", "company_id": self.acme.id, "user_id": self.bob.id}
        )
        self.deliver(self.box, "INBOX", "lee@client.test", self.box.email, "Hi", "<a1@client.test>")
        self.box.action_sync_now()
        message = self.seen_by(self.bob, lead)
        self.assertEqual(len(message), 1)
        self.assertFalse(message.sudo().author_id)

    def test_mailbox_company_is_one_of_its_owners(self):
        with self.assertRaises(ValidationError):  # not even an administrator (owners cannot move it at all)
            self.box.write({"company_id": self.beta.id})
        with self.assertRaises(ValidationError):
            self.env["mail.sync.account"].with_user(self.zoe).create(
                {"email": "zoe.2@beta.test", "company_id": self.acme.id}
            )

    def test_forward_by_a_beta_user_lands_on_no_acme_record(self):
        self._log_alias()
        # From the address of her mailbox: Odoo's gateway finds no user for it and runs as
        # its own (Acme's) user; the forward still belongs to Zoe's company.
        self.env["mail.sync.account"].with_user(self.zoe).create({"email": "zoe.private@gmail.test"})
        self.env["mail.thread"].message_process(
            None, forward("zoe.private@gmail.test", GMAIL_EN, to=self.zoe._mail_sync_log_address())
        )
        fwd = self.env["mail.sync.forward"].with_user(self.zoe).search([])
        self.assertEqual((fwd.company_id, fwd.state), (self.beta, "to_assign"))
        self.assertFalse(self.synced(self.dana))

    # -- managers and wizards --------------------------------------------------------
    def test_sales_managers_read_their_companies_mailboxes_only(self):
        zoe_box = self.connect(self.zoe)
        Account = self.env["mail.sync.account"]
        self.assertEqual(Account.with_user(self.mona).search([]), self.box)
        self.assertEqual(Account.with_user(self.walt).search([]), zoe_box)
        with self.assertRaises(AccessError):
            zoe_box.with_user(self.mona).read(["email", "posted_count"])
        with self.assertRaises(AccessError):
            self.box.with_user(self.walt).read(["email"])

    def test_remove_wizard_counts_nobody_elses_mailbox(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Hi", "<w1@client.test>")
        self.box.action_sync_now()
        Wizard = self.env["mail.sync.account.remove"]
        self.assertEqual(Wizard.with_user(self.bob).new({"account_id": self.box.id}).synced_count, 1)
        self.assertEqual(Wizard.with_user(self.karen).new({"account_id": self.box.id}).synced_count, 0)
        with self.assertRaises(AccessError):
            Wizard.with_user(self.karen).create({"account_id": self.box.id})

    def test_never_wizard_preview_counts_only_what_the_user_may_change(self):
        self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Hi", "<p1@client.test>")
        self.box.action_sync_now()
        Wizard = self.env["mail.sync.never.wizard"]
        preview = Wizard.with_user(self.karen).create({"entry": "@client.test", "scope": "company"}).preview
        self.assertEqual(preview, "Only administrators change the company's never-sync list.")
        mine = Wizard.with_user(self.karen).create({"entry": "@client.test", "scope": "user"})
        self.assertIn("removes no synced email.", mine.preview)
        self.assertIn("removes 1 synced email,", Wizard.create({"entry": "@client.test", "scope": "company"}).preview)

    def test_never_entry_stays_its_owners(self):
        Never = self.env["mail.sync.never"].with_user(self.bob)
        entry = Never.create({"entry": "friend@private.test", "user_id": self.bob.id})
        for values in ({"user_id": False}, {"user_id": self.karen.id}, {"company_id": self.beta.id}):
            with self.assertRaises(AccessError):
                entry.write(values)
        with self.assertRaises(AccessError):
            Never.create({"entry": "other@private.test", "user_id": self.bob.id, "company_id": self.beta.id})
        self.assertEqual((entry.user_id, entry.company_id), (self.bob, self.acme))
        self.assertNotIn("friend@private.test", self.acme._mail_sync_never_entries())
        entry.write({"entry": "Friend2@Private.test"})  # their own entry stays theirs to edit
        self.assertEqual(entry.entry, "friend2@private.test")

    def _log_alias(self):
        domain = self.env["mail.alias.domain"].create({"name": "crm.acme.test"})
        self.env.company.alias_domain_id = domain
        self.env.ref("mail_lead_sync.mail_sync_log_alias").alias_domain_id = domain


@tagged("post_install", "-at_install")
class TestMessageIdIsNoAuthority(MailSyncCase):
    """Within one company: what Karen can do with an email of Bob's she saw."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_log_alias_domain()

    def setUp(self):
        super().setUp()
        self.dana = self.env["res.partner"].create({"name": "Dana", "email": "dana@client.test"})

    def test_planted_copy_deletes_only_its_own_postings(self):
        raw = self.deliver(self.box, "INBOX", "dana@client.test", self.box.email, "Bob's deal", "<bob-1@client.test>")
        self.box.action_sync_now()
        self.assertEqual(len(self.synced(self.dana)), 1)
        # Karen saw it in Dana's chatter; she puts a copy with its Message-ID in her mailbox.
        karen_box = self.connect(self.karen)
        self.dovecot.append(karen_box.email, "INBOX", raw)
        karen_box.with_user(self.karen).action_sync_now()
        row = self.env["mail.sync.index"].with_user(self.karen).search([("message_id", "=", "<bob-1@client.test>")])
        self.assertEqual(row.account_id, karen_box)
        row.action_delete_everywhere()
        self.assertEqual(self.synced(self.dana).mapped("subject"), ["Bob's deal"])
        self.assertEqual(
            self.env["mail.sync.link"].sudo().search([("message_id", "=", "<bob-1@client.test>")]).mapped("state"),
            ["linked"],
        )
        # Bob's own delete still takes it back.
        self.box.posted_message_ids.with_user(self.bob).action_delete_everywhere()
        self.assertFalse(self.synced(self.dana))

    def test_forward_lookup_searches_the_forwarders_mailboxes_only(self):
        self.deliver(self.box, "INBOX", "Dana Smith <dana@client.test>", "bob@acme.test", "Offer",
                     "<bob-secret@client.test>", days_ago=22)  # fmt: skip
        self.box.action_sync_now()
        when = self.synced(self.dana).date.strftime("%a, %b %d, %Y at %I:%M %p")
        body = GMAIL_EN.replace("Mon, Nov 2, 2026 at 10:12 AM", when)
        self.env["mail.thread"].message_process(
            None, forward("karen.acme@gmail.test", body, to=self.karen._mail_sync_log_address())
        )
        fwd = self.env["mail.sync.forward"].with_user(self.karen).search([])
        self.assertEqual(len(fwd), 1)
        self.assertNotEqual(fwd.message_id, "<bob-secret@client.test>")
        # Bob's own forward still finds his synced copy.
        self.env["mail.thread"].message_process(
            None, forward("bob@acme.test", body, subject="Fwd: again", to=self.bob._mail_sync_log_address())
        )
        self.assertEqual(
            self.env["mail.sync.forward"].with_user(self.bob).search([]).message_id, "<bob-secret@client.test>"
        )

    def test_forwards_are_read_only_and_assigned_by_their_forwarder(self):
        body = GMAIL_EN.replace("dana@client.test", "newbie@prospect.test")
        self.env["mail.thread"].message_process(
            None, forward("bob@acme.test", body, to=self.bob._mail_sync_log_address())
        )
        fwd = self.env["mail.sync.forward"].with_user(self.bob).search([])
        self.assertEqual(fwd.state, "to_assign")
        forged = {
            "message_id": "<someone-elses@client.test>",
            "email_from": "ceo@acme.test",
            "date": "2020-01-01 00:00:00",
            "body": "<p>Forged</p>",
            "state": "to_assign",
        }
        for name, value in forged.items():
            with self.assertRaises(AccessError, msg=name):
                fwd.write({name: value})
        lead = self.env["crm.lead"].create({"name": "Prospect", "user_id": self.karen.id})
        # Karen may write the lead, not assign Bob's forward, nor read its sender through the wizard.
        Assign = self.env["mail.sync.forward.assign"].with_user(self.karen)
        with self.assertRaises(AccessError):
            Assign.create({"forward_id": fwd.id, "lead_id": lead.id})
        with self.assertRaises(AccessError):
            Assign.onchange({"forward_id": fwd.id}, ["forward_id"], {"forward_id": {}, "email_from": {}})
        self.assertFalse(self.synced(lead))
        # Bob assigns it through the wizard: what the gateway stored is posted.
        lead.user_id = self.bob
        self.env["mail.sync.forward.assign"].with_user(self.bob).create(
            {"forward_id": fwd.id, "lead_id": lead.id}
        ).action_confirm()
        self.assertEqual(fwd.state, "assigned")
        self.assertEqual(self.synced(lead).email_from, "newbie@prospect.test")
