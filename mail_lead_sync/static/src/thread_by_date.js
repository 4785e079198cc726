import { Record } from "@mail/core/common/record";
import { Thread } from "@mail/core/common/thread_model";
import { patch } from "@web/core/utils/patch";

// Discuss channels and the inbox keep Odoo's order (the order messages came in);
// a record's chatter is a timeline, listed by the emails' own dates.
const KEEP_ARRIVAL_ORDER = ["discuss.channel", "mail.box"];

export function isByDate(thread) {
    return Boolean(thread.model) && !KEEP_ARRIVAL_ORDER.includes(thread.model);
}

// The server's chatter order (mail.message._message_fetch): date, then id.
export function compareByDate(m1, m2) {
    return m1.datetime.ts - m2.datetime.ts || m1.id - m2.id;
}

patch(Thread.prototype, {
    setup() {
        super.setup(...arguments);
        this.messages = Record.many("Message", {
            sort(m1, m2) {
                // A stable sort on 0 keeps the order Odoo's own code built.
                return isByDate(this) ? compareByDate(m1, m2) : 0;
            },
        });
    },

    async fetchNewMessages() {
        if (!isByDate(this) || !this.isLoaded || this.status === "loading") {
            return super.fetchNewMessages(...arguments);
        }
        // Odoo asks for the messages after the newest one it has; by date, an
        // email synced since (a history import, a retroactive link) can be older
        // than that. The newest page is asked again and what is new is added.
        try {
            const fetched = await this.fetchMessages();
            const newest = this.newestPersistentMessage;
            if (
                fetched.length === this.store.FETCH_LIMIT &&
                newest &&
                compareByDate(fetched[0], newest) > 0
            ) {
                // A whole page newer than the list: it starts again from them.
                this.messages = fetched;
                this.loadOlder = true;
                return;
            }
            const known = new Set(this.messages.map((message) => message.id));
            this.messages.push(...fetched.filter((message) => !known.has(message.id)));
        } catch {
            // handled in fetchMessages
        }
    },

    async loadAround(messageId) {
        await super.loadAround(...arguments);
        const limit = this.store.FETCH_LIMIT * 2;
        if (!isByDate(this) || messageId === undefined || this.messages.length >= limit) {
            return;
        }
        // Odoo counts the messages older and newer than the target by id.
        const index = this.messages.findIndex((message) => message.id === messageId);
        if (index !== -1) {
            this.loadOlder = index >= limit / 2 - 1;
            this.loadNewer = this.messages.length - index - 1 >= limit / 2;
        }
    },
});
