from . import mail_sync_account_remove
