/** @odoo-module **/

import { registry } from "@web/core/registry";

function fieldText(name) {
    const field = document.querySelector(`.o_form_view .o_field_widget[name=${name}]`);
    if (!field) {
        throw new Error(`no field ${name}`);
    }
    const input = field.querySelector("input");
    return (input ? input.value : field.textContent).trim();
}

function count(name) {
    const text = fieldText(name);
    if (!/^\d+$/.test(text)) {
        throw new Error(`${name}: ${text}`);
    }
    return parseInt(text, 10);
}

// A new mailbox as its owner sees it: one list button to add a mailbox, the port
// as typed, nothing imported yet, its state as a badge; Sync Now says what it
// did, and the counts add up to the emails read, each with its help.
registry.category("web_tour.tours").add("mail_lead_sync_mailbox_tour", {
    steps: () => [
        {
            trigger: ".o_list_view button:contains(Add a Mailbox)",
            content: "one way to add a mailbox: the wizard",
            run() {
                if (document.querySelector(".o_list_button_add")) {
                    throw new Error("the list has a New button beside Add a Mailbox");
                }
            },
        },
        {
            trigger: ".o_data_row td:contains(tour-form@acme.test)",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=port] input",
            content: "the port as typed, without a thousands separator",
            run() {
                if (!/^\d{4,5}$/.test(this.anchor.value)) {
                    throw new Error(`port: ${this.anchor.value}`);
                }
            },
        },
        {
            trigger: ".o_form_view .o_field_widget[name=state] .badge:contains(Not synced yet)",
            content: "the state is a badge, not a workflow",
            run() {
                if (document.querySelector(".o_form_button_create")) {
                    throw new Error("the form has a New button: mailboxes are added by the wizard");
                }
                if (document.querySelector(".o_form_view .o_statusbar_status")) {
                    throw new Error("the state is shown as a status bar");
                }
                if (document.querySelector(".o_form_view .o_field_widget[name=progress]")) {
                    throw new Error("a mailbox never synced shows a history import");
                }
                if (document.querySelector(".o_form_view .o_field_widget[name=smtp_host]")) {
                    throw new Error("outgoing server fields while sending is off");
                }
                if (count("indexed_count") !== 0) {
                    throw new Error("emails read before any sync");
                }
            },
        },
        {
            trigger: ".o_form_view button[name=action_sync_now]",
            run: "click",
        },
        {
            trigger: ".o_notification:contains(Sync finished):contains(1 new email, on 1 record.)",
            content: "Sync Now says what it did",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=indexed_count]:contains(4)",
            content: "the counts add up to what was read, each with its help",
            run() {
                const parts = ["posted_count", "internal_count", "unmatched_count", "skipped_count"];
                const values = parts.map(count);
                const sum = values.reduce((a, b) => a + b, 0);
                if (sum !== count("indexed_count") || values.join() !== "1,1,1,1") {
                    throw new Error(`read ${count("indexed_count")} = ${values.join(" + ")}`);
                }
                for (const name of ["indexed_count", ...parts]) {
                    const label = document.querySelector(`.o_form_view label[for=${name}_0]`);
                    if (!label || !label.querySelector("sup[data-tooltip-info]")) {
                        throw new Error(`${name} has no help`);
                    }
                }
                if (!fieldText("state").includes("Up to date")) {
                    throw new Error(`state after the sync: ${fieldText("state")}`);
                }
            },
        },
    ],
});
