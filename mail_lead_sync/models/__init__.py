from . import (
    crm_lead,
    mail_sync_account,
    mail_sync_folder,
    mail_sync_link,
    mail_sync_message,
    mail_sync_never,
    mail_sync_pending_address,
    res_company,
    res_config_settings,
    res_partner,
    res_users,
)
