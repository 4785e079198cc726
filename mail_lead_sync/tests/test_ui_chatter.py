import datetime

from odoo.tests import HttpCase, tagged


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
