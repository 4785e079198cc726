/** @odoo-module **/

import { registry } from "@web/core/registry";

// The log address without an alias domain says what to do, with the way there;
// the sign-in settings' labels each fit on one line.
registry.category("web_tour.tours").add("mail_lead_sync_settings_words_tour", {
    url: "/odoo/settings#crm",
    steps: () => [
        {
            trigger: ".settings_tab .tab[data-key=crm]",
            run: "click",
        },
        {
            trigger: "#mail_sync_log_alias_setting .o_mail_sync_log_no_domain:contains(alias domain) button:contains(Set the Alias Domain)",
            content: "no alias domain: the hint and the way to set it",
        },
        {
            trigger: "#mail_sync_microsoft_setting label",
            content: "one line per label",
            run() {
                for (const id of ["#mail_sync_microsoft_setting", "#mail_sync_google_setting", "#mail_sync_log_alias_setting"]) {
                    for (const label of document.querySelectorAll(`${id} label.o_light_label`)) {
                        const lineHeight = parseFloat(getComputedStyle(label).lineHeight);
                        if (label.getBoundingClientRect().height > lineHeight * 1.5) {
                            throw new Error(`"${label.textContent.trim()}" wraps`);
                        }
                    }
                }
            },
        },
    ],
});
