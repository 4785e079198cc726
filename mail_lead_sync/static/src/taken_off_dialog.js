import { Component, onWillStart, useState } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";

/** The synced emails users took off a record ("Not related"), each with Restore. */
export class TakenOffDialog extends Component {
    static template = "mail_lead_sync.TakenOffDialog";
    static components = { Dialog };
    static props = { thread: Object, close: Function };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ emails: [], loaded: false, restoring: false });
        onWillStart(() => this.load());
    }

    get title() {
        return _t("Emails taken off this record");
    }

    async load() {
        const { model, id } = this.props.thread;
        this.state.emails = await this.orm.call("mail.sync.link", "get_taken_off", [model, id]);
        this.state.loaded = true;
    }

    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    async restore(email) {
        this.state.restoring = true;
        try {
            await this.orm.call("mail.sync.link", "restore_taken_off", [email.id]);
        } finally {
            this.state.restoring = false;
        }
        const thread = this.props.thread;
        this.state.emails = this.state.emails.filter((e) => e.id !== email.id);
        thread.mail_sync_taken_off = this.state.emails.length;
        // The email comes back at its date, anywhere in the chatter: read it again.
        await thread.loadAround();
        this.notification.add(_t("The email is back on this record."), { type: "success" });
    }
}
