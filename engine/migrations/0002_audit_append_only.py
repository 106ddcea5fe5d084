"""The database itself refuses to change or delete audit events (PostgreSQL and SQLite)."""

from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION engine_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER engine_auditevent_no_update BEFORE UPDATE ON engine_auditevent
    FOR EACH ROW EXECUTE FUNCTION engine_audit_append_only();
CREATE TRIGGER engine_auditevent_no_delete BEFORE DELETE ON engine_auditevent
    FOR EACH ROW EXECUTE FUNCTION engine_audit_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS engine_auditevent_no_update ON engine_auditevent;
DROP TRIGGER IF EXISTS engine_auditevent_no_delete ON engine_auditevent;
DROP FUNCTION IF EXISTS engine_audit_append_only();
"""

# SQLite has no session variables, so test tear-down (which empties tables with DELETE) unlocks
# through a one-row table that Django does not manage and therefore never flushes.
SQLITE_FORWARD = [
    "CREATE TABLE engine_audit_guard (locked INTEGER NOT NULL)",
    "INSERT INTO engine_audit_guard (locked) VALUES (1)",
    """CREATE TRIGGER engine_auditevent_no_update BEFORE UPDATE ON engine_auditevent
       WHEN (SELECT locked FROM engine_audit_guard) = 1
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER engine_auditevent_no_delete BEFORE DELETE ON engine_auditevent
       WHEN (SELECT locked FROM engine_audit_guard) = 1
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS engine_auditevent_no_update",
    "DROP TRIGGER IF EXISTS engine_auditevent_no_delete",
    "DROP TABLE IF EXISTS engine_audit_guard",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("engine", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse, elidable=False)]
