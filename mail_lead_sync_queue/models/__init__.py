from . import mail_sync_account
