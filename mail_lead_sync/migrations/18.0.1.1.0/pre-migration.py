"""The header index was the model ``mail.sync.message`` (table mail_sync_message);
it is ``mail.sync.index`` now. Its rows, and everything Odoo keeps about the model
(fields, XML ids, access rights, record rule, the cron's model), move to the new
name before the module loads, as openupgradelib's ``rename_models`` does. The cron
that links past emails to new addresses belongs to the queue of those addresses
(``mail.sync.pending.address``) now; its record is not updated (noupdate), so it is
moved here."""

OLD_MODEL, NEW_MODEL = "mail.sync.message", "mail.sync.index"
OLD_TABLE, NEW_TABLE = "mail_sync_message", "mail_sync_index"


def _rename_prefixed(cr, kind, names):
    for name in names:
        new = NEW_TABLE + name[len(OLD_TABLE) :]
        if kind == "constraint":
            cr.execute(f'ALTER TABLE {NEW_TABLE} RENAME CONSTRAINT "{name}" TO "{new}"')
        else:
            cr.execute(f'ALTER {kind} "{name}" RENAME TO "{new}"')


def migrate(cr, version):
    cr.execute("SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL", [OLD_TABLE, NEW_TABLE])
    old_exists, new_exists = cr.fetchone()
    if not old_exists or new_exists:
        return
    cr.execute(f"ALTER TABLE {OLD_TABLE} RENAME TO {NEW_TABLE}")
    # Odoo finds constraints, indexes and the id sequence by their names, which
    # begin with the table's: under the old names it would create them twice.
    cr.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND conname LIKE %s",
        [NEW_TABLE, OLD_TABLE + "\\_%"],
    )
    _rename_prefixed(cr, "constraint", [row[0] for row in cr.fetchall()])
    cr.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname LIKE %s", [NEW_TABLE, OLD_TABLE + "\\_%"]
    )
    _rename_prefixed(cr, "INDEX", [row[0] for row in cr.fetchall()])
    cr.execute("SELECT to_regclass(%s) IS NOT NULL", [OLD_TABLE + "_id_seq"])
    if cr.fetchone()[0]:
        _rename_prefixed(cr, "SEQUENCE", [OLD_TABLE + "_id_seq"])
    cr.execute("UPDATE ir_model_constraint SET name = %s || substr(name, %s) WHERE name LIKE %s",
               [NEW_TABLE, len(OLD_TABLE) + 1, OLD_TABLE + "\\_%"])  # fmt: skip

    # What Odoo knows of the model, by its name.
    cr.execute("UPDATE ir_model SET model = %s WHERE model = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_model_fields SET model = %s WHERE model = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_model_fields SET relation = %s WHERE relation = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_act_server SET model_name = %s WHERE model_name = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_act_window SET res_model = %s WHERE res_model = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_ui_view SET model = %s WHERE model = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_filters SET model_id = %s WHERE model_id = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE ir_attachment SET res_model = %s WHERE res_model = %s", [NEW_MODEL, OLD_MODEL])
    cr.execute("UPDATE mail_message SET model = %s WHERE model = %s", [NEW_MODEL, OLD_MODEL])
    # XML ids: the model's and its fields' (model_mail_sync_message, field_mail_sync_message__*,
    # selection and constraint ids) and this module's access rights and rule.
    cr.execute(
        """UPDATE ir_model_data SET name = replace(name, %s, %s)
            WHERE name LIKE %s AND module = 'mail_lead_sync'""",
        [OLD_TABLE, NEW_TABLE, "%" + OLD_TABLE + "%"],
    )
    cr.execute(
        """UPDATE ir_act_server s SET model_id = m.id, model_name = m.model
             FROM ir_cron c, ir_model_data d, ir_model m
            WHERE d.module = 'mail_lead_sync' AND d.name = 'ir_cron_mail_sync_link' AND d.model = 'ir.cron'
              AND c.id = d.res_id AND s.id = c.ir_actions_server_id AND m.model = 'mail.sync.pending.address'"""
    )
