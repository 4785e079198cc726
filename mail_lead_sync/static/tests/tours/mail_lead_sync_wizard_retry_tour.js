/** @odoo-module **/

import { registry } from "@web/core/registry";

// The server of a mistyped address is not found: the address is corrected in
// the same wizard and its server found; the outgoing server's fields show only
// when the mailbox is to send, under their own names.
registry.category("web_tour.tours").add("mail_lead_sync_wizard_retry_tour", {
    steps: () => [
        {
            trigger: ".o_list_view button:contains(Add a Mailbox)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=email] input",
            run: "edit dana@srv-typo.test",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input",
            run: "edit right",
        },
        {
            trigger: ".modal button[name=action_detect]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=host] input",
            content: "not found: the server settings and the reason",
            run() {
                if (document.querySelector(".modal .o_field_widget[name=smtp_host]")) {
                    throw new Error("outgoing server fields while Send Emails is off");
                }
            },
        },
        {
            trigger: ".modal .o_field_widget[name=send_enabled] input",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=smtp_security]",
            content: "the outgoing fields under their own names",
            run() {
                const label = document.querySelector(".modal label[for^=smtp_security]").textContent;
                if (!label.includes("Outgoing Security")) {
                    throw new Error(`label: ${label}`);
                }
            },
        },
        {
            trigger: ".modal .o_field_widget[name=send_enabled] input",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=email] input:not([readonly])",
            content: "the address can be corrected",
            run: "edit dana@srv.test",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input",
            run: "edit right",
        },
        {
            trigger: ".modal button[name=action_detect]:contains(Find the Server Again)",
            run: "click",
        },
        {
            trigger: ".o_form_view:not(.modal *) .o_field_widget[name=email]:contains(dana@srv.test), .o_form_view .o_field_widget[name=email] input",
            content: "the mailbox of the corrected address opens",
            run() {
                const value = this.anchor.value ?? this.anchor.textContent;
                if (!value.includes("dana@srv.test")) {
                    throw new Error(`email: ${value}`);
                }
            },
        },
    ],
});
