# The engine (and its pytest suite) must import without Odoo: load the Odoo parts
# only when Odoo loads this package as an addon.
if __name__.startswith("odoo.addons."):
    from . import controllers, models, wizard
