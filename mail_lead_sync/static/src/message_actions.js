import { toRaw } from "@odoo/owl";
import { messageActionsRegistry } from "@mail/core/common/message_actions";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { _t } from "@web/core/l10n/translation";

// Synced emails carry their "why" line (mail_sync_why, sent to employees): only they
// can be taken off a record.
const SYNCED_MODELS = ["crm.lead", "res.partner"];

messageActionsRegistry.add("mail-sync-not-related", {
    condition: (component) => {
        const message = component.props.message;
        return (
            SYNCED_MODELS.includes(component.props.thread?.model) &&
            Boolean(message.mail_sync_why)
        );
    },
    icon: "fa fa-unlink",
    title: _t("Not related to this record"),
    onClick: (component) => {
        const message = toRaw(component.props.message);
        const thread = toRaw(component.props.thread);
        // The email leaves the record for good unless someone restores it from the
        // record's "taken off" list: ask first.
        component.env.services.dialog.add(ConfirmationDialog, {
            title: _t("Not related to this record"),
            body: _t(
                "Take this email off this record? It stays on its other records, and no sync brings it back here. It can be restored from the list of emails taken off this record."
            ),
            confirmLabel: _t("Take it off"),
            confirm: async () => {
                await component.env.services.orm.call("mail.sync.link", "action_not_related", [
                    message.id,
                ]);
                message.delete();
                thread.mail_sync_taken_off = (thread.mail_sync_taken_off || 0) + 1;
            },
            cancel: () => {},
        });
    },
    sequence: 5,
});
