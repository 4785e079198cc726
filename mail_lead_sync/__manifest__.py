{
    "name": "Mail Lead Sync",
    "summary": "Every email with a contact or lead in its chatter: sync your Google, Microsoft 365, "
    "Exchange or IMAP mailbox into the CRM, history included",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "mail_lead_sync developers",
    "website": "https://github.com/mail-lead-sync/mail_lead_sync",
    "depends": ["crm"],
    "external_dependencies": {"python": ["imapclient", "idna", "dnspython", "msal", "exchangelib"]},
    "data": [
        "security/ir.model.access.csv",
        "security/mail_lead_sync_security.xml",
        "data/ir_cron_data.xml",
        "views/mail_sync_account_wizard_views.xml",
        "views/mail_sync_never_views.xml",
        "views/mail_sync_account_views.xml",
        "views/mail_sync_account_remove_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["mail_lead_sync/static/src/**/*"],
        "web.assets_tests": ["mail_lead_sync/static/tests/tours/*.js"],
    },
    "installable": True,
    "application": False,
}
