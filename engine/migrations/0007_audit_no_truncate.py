"""PostgreSQL refuses TRUNCATE of the audit table too (row triggers do not fire on TRUNCATE).

The test suite's flush (pytest-django empties tables with TRUNCATE after transactional tests) lifts
this one trigger inside its own transaction only: see tests/conftest.py. SQLite has no TRUNCATE.
"""

from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
CREATE TRIGGER engine_auditevent_no_truncate BEFORE TRUNCATE ON engine_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION engine_audit_append_only();
"""
PG_REVERSE = "DROP TRIGGER IF EXISTS engine_auditevent_no_truncate ON engine_auditevent;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("engine", "0006_sla_scan_indexes")]
    operations = [migrations.RunPython(forward, reverse, elidable=False)]
