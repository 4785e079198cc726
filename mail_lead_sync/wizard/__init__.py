from . import mail_sync_account_remove, mail_sync_account_wizard
