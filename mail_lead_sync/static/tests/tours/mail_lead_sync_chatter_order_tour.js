/** @odoo-module **/

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";

function checkDays(expected) {
    const days = [...document.querySelectorAll(".o-mail-Chatter .o-mail-DateSection")].map((el) =>
        el.textContent.trim()
    );
    if (JSON.stringify(days) !== JSON.stringify(expected)) {
        throw new Error(`date separators: ${days.join(" | ")}, expected: ${expected.join(" | ")}`);
    }
}

// The lead's emails were created out of their dates' order (a history import, a
// retroactive link); its chatter reads newest first, Odoo's own note in its place,
// and an old email linked while the lead was open takes its place when it is opened again.
registry.category("web_tour.tours").add("mail_lead_sync_chatter_order_tour", {
    steps: () => [
        {
            trigger: ".o-mail-Chatter .o-mail-DateSection:contains(November 12, 2026)",
            content: "the date separators read from the newest day to the oldest",
            run() {
                checkDays(["Today", "November 29, 2026", "November 18, 2026", "November 17, 2026",
                           "November 13, 2026", "November 12, 2026"]); // prettier-ignore
            },
        },
        {
            trigger: ".o-mail-Chatter",
            content: "an email of Nov 15 is linked to the lead (as a retroactive link would)",
            async run() {
                const leadId = parseInt(window.location.pathname.split("/").at(-1));
                await rpc("/web/dataset/call_kw/mail.message/create", {
                    model: "mail.message",
                    method: "create",
                    args: [{ model: "crm.lead", res_id: leadId, message_type: "email",
                             body: "<p>linked later</p>", date: "2026-11-15 10:00:00" }], // prettier-ignore
                    kwargs: {},
                });
            },
        },
        {
            trigger: ".o_breadcrumb .breadcrumb-item a",
            content: "back to the pipeline",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains(Timeline Deal)",
            content: "open the lead again",
            run: "click",
        },
        {
            trigger: ".o-mail-Chatter .o-mail-DateSection:contains(November 15, 2026)",
            content: "the email of Nov 15 is in its place",
            run() {
                checkDays(["Today", "November 29, 2026", "November 18, 2026", "November 17, 2026",
                           "November 15, 2026", "November 13, 2026", "November 12, 2026"]); // prettier-ignore
            },
        },
    ],
});
