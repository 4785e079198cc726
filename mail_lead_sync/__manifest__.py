{
    "name": "Mail Lead Sync",
    "summary": "Every email with a contact or lead in its chatter: sync your Google, Microsoft 365, "
    "Exchange or IMAP mailbox into the CRM, history included",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "mail_lead_sync developers",
    "website": "https://github.com/mail-lead-sync/mail_lead_sync",
    "depends": ["crm"],
    # PyPI names, as Odoo 18 checks them and whool turns them into the wheel's requirements;
    # the same as requirements.txt.
    "external_dependencies": {
        "python": [
            "IMAPClient>=2.3",
            "idna>=2.10",
            "exchangelib>=5.4",
            "google-auth>=2.20",
            "msal>=1.24",
            "requests>=2.25",
            "dnspython>=2.3",
        ]
    },
    "data": [
        "security/ir.model.access.csv",
        "security/mail_lead_sync_security.xml",
        "data/ir_cron_data.xml",
        "data/mail_alias_data.xml",
        "views/mail_sync_account_wizard_views.xml",
        "views/mail_sync_never_views.xml",
        "views/mail_sync_forward_views.xml",
        "views/mail_compose_message_views.xml",
        "views/mail_sync_account_views.xml",
        "views/res_users_views.xml",
        "views/mail_sync_account_remove_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "assets": {
        "web.assets_backend": ["mail_lead_sync/static/src/**/*"],
        "web.assets_tests": ["mail_lead_sync/static/tests/tours/*.js"],
    },
}
