/** @odoo-module **/

import { registry } from "@web/core/registry";

// From a lead's chatter: write, open the full composer, choose the mailbox to send
// from (the user has two), send.
registry.category("web_tour.tours").add("mail_lead_sync_send_from_tour", {
    steps: () => [
        {
            trigger: "button:contains(Send message)",
            run: "click",
        },
        {
            trigger: ".o-mail-Composer-input",
            run: "edit The offer is attached.",
        },
        {
            trigger: "button[aria-label='Full composer']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=mail_sync_account_id] input",
            content: "the mailbox the user's address is preselected",
            run() {
                if (!this.anchor.value.includes("tour-main@acme.test")) {
                    throw new Error(`preselected mailbox: ${this.anchor.value}`);
                }
            },
        },
        {
            trigger: ".o_field_widget[name=mail_sync_account_id] input",
            content: "choose the other mailbox",
            run: "edit tour-sales",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(tour-sales@acme.test)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=mail_sync_account_id] input:value(tour-sales@acme.test)",
        },
        {
            trigger: ".o_mail_send",
            run: "click",
        },
        {
            trigger: ".o-mail-Message-body:contains(The offer is attached.)",
            content: "sent and in the chatter",
        },
    ],
});
