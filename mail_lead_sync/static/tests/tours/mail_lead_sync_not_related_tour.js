/** @odoo-module **/

import { registry } from "@web/core/registry";

// A synced email on a lead says why it is there; "Not related" takes it off the
// lead; "Sync Now" on the mailbox then brings the new email in, not that one.
registry.category("web_tour.tours").add("mail_lead_sync_not_related_tour", {
    steps: () => [
        {
            trigger:
                ".o-mail-Message:contains(Price question) .o_mail_sync_why:contains(Linked by dana@client.test in From)",
            content: "the synced email says why it is on this lead, beside the email",
            run() {
                // Odoo renders email bodies in a shadow root: the sender's words only.
                const message = this.anchor.closest(".o-mail-Message");
                const body = [...message.querySelectorAll(".o-mail-Message-body *")]
                    .map((el) => el.shadowRoot?.innerHTML || "")
                    .join("");
                if (!body.includes("How much?") || body.includes("Linked by")) {
                    throw new Error(`the email's body is not the sender's words alone: ${body}`);
                }
            },
        },
        {
            trigger: ".o-mail-Message:contains(Price question)",
            run: "hover",
        },
        {
            trigger: ".o-mail-Message:contains(Price question) [title='Not related to this record']",
            content: "take it off this lead",
            run: "click",
        },
        {
            trigger: ".modal button:contains(Take it off)",
            content: "confirm",
            run: "click",
        },
        {
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Message:contains(Price question)))",
            content: "it is gone from the chatter",
        },
        {
            trigger: "body",
            content: "go to the mailboxes",
            run() {
                window.location.href = "/odoo/action-mail_lead_sync.mail_sync_account_action";
            },
        },
        {
            trigger: ".o_data_row td:contains(tour-nr@acme.test)",
            content: "open the mailbox",
            run: "click",
        },
        {
            trigger: "button[name=action_sync_now]",
            content: "sync it now",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=posted_count]:contains(2)",
            content: "the new email is synced",
        },
        {
            trigger: "body",
            content: "back to the lead",
            run() {
                window.location.href = "/odoo/crm";
            },
        },
        {
            trigger: ".o_kanban_record:contains(Tour Deal)",
            run: "click",
        },
        {
            trigger: ".o-mail-Message:contains(Follow-up)",
            content: "the new email is on the lead",
        },
        {
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Message:contains(Price question)))",
            content: "the email taken back did not come back",
        },
    ],
});
