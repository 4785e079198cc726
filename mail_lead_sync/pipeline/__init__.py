"""The sync's stages on the Odoo side, as plain classes (not models: nothing here
is callable over RPC; the models check the caller and delegate). The flow is
drawn in the top-level README."""
