# The mailbox inherits the mixins: Odoo builds models in import order.
from . import (
    mail_sync_connection_mixin,
    mail_sync_oauth_mixin,
    mail_sync_schedule_mixin,
    mail_sync_sending_mixin,
)

# isort: split
from . import (
    crm_lead,
    ir_mail_server,
    mail_mail,
    mail_message,
    mail_sync_account,
    mail_sync_account_screen,
    mail_sync_folder,
    mail_sync_forward,
    mail_sync_index,
    mail_sync_link,
    mail_sync_never,
    mail_sync_pending_address,
    mail_thread,
    res_company,
    res_config_settings,
    res_partner,
    res_users,
)
