from . import (
    mail_compose_message,
    mail_sync_account_remove,
    mail_sync_account_wizard,
    mail_sync_forward_assign,
    mail_sync_never_wizard,
)
