/** @odoo-module **/

import { registry } from "@web/core/registry";

const NOT_RELATED = ".o-mail-Message:contains(Price question) [title='Not related to this record']";

// "Not related" asks first (Cancel keeps the email); what was taken off the lead
// is listed from its chatter, and Restore puts it back.
registry.category("web_tour.tours").add("mail_lead_sync_taken_off_tour", {
    steps: () => [
        { trigger: ".o-mail-Message:contains(Price question)", run: "hover" },
        { trigger: NOT_RELATED, content: "not related to this lead?", run: "click" },
        {
            trigger: ".modal:contains(Take this email off this record?) button:contains(Cancel)",
            content: "the confirmation appears: cancel",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal)) .o-mail-Chatter .o-mail-Message:contains(Price question)",
            content: "cancelled: the email is still on the lead",
        },
        { trigger: ".o-mail-Message:contains(Price question)", run: "hover" },
        { trigger: NOT_RELATED, content: "not related to this lead, again", run: "click" },
        { trigger: ".modal button:contains(Take it off)", content: "confirm", run: "click" },
        {
            trigger: ".o-mail-Chatter:not(:has(.o-mail-Message:contains(Price question)))",
            content: "it is gone from the chatter",
        },
        {
            trigger: ".o_mail_sync_taken_off button:contains(1 email taken off this record)",
            content: "the chatter says what was taken off",
            run: "click",
        },
        {
            trigger: ".o_mail_sync_taken_off_row:contains(Price question):contains(dana@client.test) .o_mail_sync_restore",
            content: "restore it",
            run: "click",
        },
        {
            trigger: ".modal .o_mail_sync_taken_off_empty",
            content: "nothing is left taken off",
        },
        { trigger: ".modal-footer button:contains(Close)", run: "click" },
        {
            trigger: "body:not(:has(.o_mail_sync_taken_off)) .o-mail-Chatter .o-mail-Message:contains(Price question) .o_mail_sync_why",
            content: "the email is back on the lead, with its why line",
        },
    ],
});
