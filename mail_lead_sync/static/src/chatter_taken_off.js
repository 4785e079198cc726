import { Chatter } from "@mail/chatter/web_portal/chatter";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { TakenOffDialog } from "./taken_off_dialog";

patch(Chatter.prototype, {
    get mailSyncTakenOffLabel() {
        const count = this.state.thread?.mail_sync_taken_off || 0;
        return count === 1
            ? _t("1 email taken off this record")
            : _t("%s emails taken off this record", count);
    },

    openTakenOff() {
        this.env.services.dialog.add(TakenOffDialog, { thread: this.state.thread });
    },
});
