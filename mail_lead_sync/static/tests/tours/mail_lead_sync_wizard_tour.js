/** @odoo-module **/

import { registry } from "@web/core/registry";

// Add a mailbox from its address and password: the server is found and tested,
// and the new mailbox opens.
registry.category("web_tour.tours").add("mail_lead_sync_wizard_tour", {
    steps: () => [
        {
            trigger: ".o_list_view button:contains(Add a Mailbox)",
            content: "start the wizard",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=email] input",
            run: "edit dana@srv.test",
        },
        {
            trigger: ".modal .o_field_widget[name=password] input",
            run: "edit right",
        },
        {
            trigger: ".modal button[name=action_detect]",
            content: "connect",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=host]:contains(imap.srv.test), .o_form_view .o_field_widget[name=host] input",
            content: "the new mailbox opens with the server that was found",
            run() {
                const host = this.anchor.value ?? this.anchor.textContent;
                if (!host.includes("imap.srv.test")) {
                    throw new Error(`server: ${host}`);
                }
            },
        },
    ],
});
