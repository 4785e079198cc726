from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMailSyncSettings(TransactionCase):
    def test_excluded_domains_default_to_company_email_domain(self):
        company = self.env["res.company"].create({"name": "Acme", "email": "Info@Acme.COM"})
        self.assertEqual(company.mail_sync_excluded_domains, "acme.com")
        self.assertEqual(company.mail_sync_history_months, 6)

    def test_admin_choice_is_kept_when_email_changes(self):
        company = self.env["res.company"].create({"name": "Acme", "email": "info@acme.com"})
        company.mail_sync_excluded_domains = "acme.com\n@Acme-Old.com, xn--exampl-gva.com"
        company.email = "hello@acme.io"
        self.assertEqual(company._mail_sync_excluded_domain_set(), {"acme.com", "acme-old.com", "examplé.com"})

    def test_settings_form_edits_the_company(self):
        settings = self.env["res.config.settings"].create(
            {"mail_sync_excluded_domains": "acme.com, acme.de", "mail_sync_history_months": 3}
        )
        settings.execute()
        self.assertEqual(self.env.company.mail_sync_excluded_domains, "acme.com, acme.de")
        self.assertEqual(self.env.company.mail_sync_history_months, 3)

    def test_log_address_is_shown_and_renamed_in_the_settings(self):
        domain = self.env["mail.alias.domain"].create({"name": "crm.acme.test"})
        alias = self.env.ref("mail_lead_sync.mail_sync_log_alias")
        alias.alias_domain_id = domain
        settings = self.env["res.config.settings"].create({})
        self.assertEqual((settings.mail_sync_log_alias_name, settings.mail_sync_log_alias_domain),
                         ("log", "crm.acme.test"))  # fmt: skip
        self.env["res.config.settings"].create({"mail_sync_log_alias_name": "crm-log"}).execute()
        self.assertEqual(alias.alias_full_name, "crm-log@crm.acme.test")

    def test_private_mail_servers_switch(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("mail_lead_sync.allow_private_hosts", False)
        self.assertFalse(self.env["res.config.settings"].create({}).mail_sync_allow_private_hosts)
        self.assertFalse(self.env["mail.sync.account"]._host_policy().allow_private)
        self.env["res.config.settings"].create({"mail_sync_allow_private_hosts": True}).execute()
        self.assertEqual(params.get_param("mail_lead_sync.allow_private_hosts"), "1")
        self.assertTrue(self.env["mail.sync.account"]._host_policy().allow_private)
        self.env["res.config.settings"].create({"mail_sync_allow_private_hosts": False}).execute()
        self.assertFalse(params.get_param("mail_lead_sync.allow_private_hosts"))
