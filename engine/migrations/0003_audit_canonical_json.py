"""engine_canonical_json(jsonb): the audit chain's canonical JSON, computed by PostgreSQL.

Byte for byte what ``engine.audit.canonical`` writes for a JSON value read back from the
database — keys sorted by code point, no whitespace, non-ASCII kept, the same escapes —
except for non-integer numbers (PostgreSQL prints ``0.00001`` where Python prints ``1e-05``):
the in-database verifier leaves events holding those to Python.
"""

from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
SET LOCAL check_function_bodies = off;
CREATE OR REPLACE FUNCTION engine_canonical_json(value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(value)
        WHEN 'object' THEN '{' || coalesce((
            SELECT string_agg(to_json(item.key)::text || ':' || engine_canonical_json(item.value), ','
                              ORDER BY item.key COLLATE "C")
              FROM jsonb_each(value) AS item), '') || '}'
        WHEN 'array' THEN '[' || coalesce((
            SELECT string_agg(engine_canonical_json(element.value), ',' ORDER BY element.position)
              FROM jsonb_array_elements(value) WITH ORDINALITY AS element(value, position)), '') || ']'
        WHEN 'string' THEN to_json(value #>> '{}')::text
        ELSE value::text
    END
$$;
"""
PG_REVERSE = "DROP FUNCTION IF EXISTS engine_canonical_json(jsonb);"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("engine", "0002_audit_append_only")]

    operations = [migrations.RunPython(forward, reverse)]
