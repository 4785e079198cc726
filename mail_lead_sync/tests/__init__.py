# Harness modules here (dovecot.py, oauth_server.py) are plain Python shared with
# the engine's pytest suite; the Odoo test modules load only under Odoo.
if __name__.startswith("odoo.addons."):
    from . import (
        test_chatter,
        test_exchange,
        test_forward,
        test_generated_mailboxes,
        test_mailbox_screens,
        test_oauth_google,
        test_oauth_microsoft,
        test_privacy,
        test_real_mail,
        test_real_mailboxes,
        test_schedule,
        test_security_attacks,
        test_security_scope,
        test_security_sending,
        test_sending,
        test_settings,
        test_sync,
        test_translations,
        test_ui,
        test_ui_chatter,
        test_ui_mailbox,
        test_wizard,
    )
