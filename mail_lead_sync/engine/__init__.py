"""Odoo-free core of mail_lead_sync: parse mail, apply the sync rules, read mailboxes.

Nothing below this package imports ``odoo``: it is tested with plain pytest
against real servers, and the Odoo models delegate to it.
"""
