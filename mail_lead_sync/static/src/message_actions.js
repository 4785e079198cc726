import { toRaw } from "@odoo/owl";
import { messageActionsRegistry } from "@mail/core/common/message_actions";
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
    onClick: async (component) => {
        const message = toRaw(component.props.message);
        await component.env.services.orm.call("mail.sync.link", "action_not_related", [message.id]);
        message.delete();
    },
    sequence: 5,
});
