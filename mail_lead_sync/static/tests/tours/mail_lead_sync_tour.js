/** @odoo-module **/

import { registry } from "@web/core/registry";

// Settings block, then a new IMAP mailbox tested against the test's Dovecot.
// The server fields are pre-filled by the test (ir.default): its port is random.
registry.category("web_tour.tours").add("mail_lead_sync_tour", {
    url: "/odoo/settings#crm",
    steps: () => [
        {
            trigger: ".settings_tab .tab[data-key=crm]",
            content: "open the CRM settings",
            run: "click",
        },
        {
            trigger: ".app_settings_block[data-key=crm] h2:contains(Email Sync)",
            content: "the Email Sync block is in the CRM settings",
        },
        {
            trigger: "#mail_sync_excluded_domains_setting textarea",
            content: "the company's domain is filled in",
            run() {
                if (!this.anchor.value.includes("acme.test")) {
                    throw new Error(`excluded domains: ${this.anchor.value}`);
                }
            },
        },
        {
            trigger: "#mail_sync_interval_setting button:contains(Mailboxes)",
            content: "open the mailboxes",
            run: "click",
        },
        {
            trigger: ".o_list_view button:contains(Add a Mailbox)",
            content: "the list adds mailboxes through the wizard; this tour fills the form by hand",
            run: "goToUrl /odoo/action-mail_lead_sync.mail_sync_account_action/new",
        },
        {
            trigger: ".o_field_widget[name=email] input",
            run: "edit tour@acme.test",
        },
        {
            trigger: ".o_field_widget[name=password_input] input",
            run: "edit tour-password",
        },
        {
            trigger: "button[name=action_test_connection]",
            content: "test the connection",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(Connection works)",
            content: "the result is shown",
        },
    ],
});
