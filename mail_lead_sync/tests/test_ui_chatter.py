import datetime

from odoo.tests import HttpCase, tagged

from .common import DovecotHttpCase, raw_email


@tagged("post_install", "-at_install")
class TestChatterUi(HttpCase):
    def test_chatter_lists_emails_by_date(self):
        admin = self.env.ref("base.user_admin")
        lead = self.env["crm.lead"].create({"name": "Timeline Deal", "type": "opportunity", "user_id": admin.id})
        # Created in this order (the order Odoo's chatter would list them in).
        for day in (29, 18, 13, 17, 12):
            self.env["mail.message"].create(
                {"model": "crm.lead", "res_id": lead.id, "message_type": "email",
                 "body": f"<p>email of Nov {day}</p>", "date": datetime.datetime(2026, 11, day, 10, 0)}
            )  # fmt: skip
        lead.message_post(body="Call her back", message_type="comment", subtype_xmlid="mail.mt_note")
        self.start_tour(f"/odoo/crm/{lead.id}", "mail_lead_sync_chatter_order_tour", login="admin")


@tagged("post_install", "-at_install")
class TestTakenOffUi(DovecotHttpCase):
    def test_not_related_asks_and_can_be_restored(self):
        admin = self.env.ref("base.user_admin")
        self.dovecot.add_user("tour-off@acme.test", "pw")
        box = self.env["mail.sync.account"].create(
            {"user_id": admin.id, "email": "tour-off@acme.test", "password": "pw",
             "host": self.dovecot.host, "port": self.dovecot.port_ssl}
        )  # fmt: skip
        lead = self.env["crm.lead"].create(
            {"name": "Tour Deal", "type": "opportunity", "user_id": admin.id, "email_from": "dana@client.test"}
        )
        raw = raw_email("Dana <dana@client.test>", box.email, "Price question", "<off1@client.test>")
        self.dovecot.append(box.email, "INBOX", raw)
        box.action_sync_now()
        self.start_tour(f"/odoo/crm/{lead.id}", "mail_lead_sync_taken_off_tour", login="admin")
        message = self.env["mail.message"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id),
                                                   ("message_type", "=", "email")])  # fmt: skip
        self.assertEqual(message.subject, "Price question")
        link = self.env["mail.sync.link"].sudo().search([("message_id", "=", "<off1@client.test>")])
        self.assertEqual((link.state, link.mail_message_id), ("linked", message))
