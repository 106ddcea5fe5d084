"""engine_canonical_json(jsonb): the audit chain's canonical JSON, computed by PostgreSQL.

Byte for byte what ``engine.audit.canonical`` writes for a JSON value read back from the
database — keys sorted by code point, no whitespace, non-ASCII kept, the same escapes —
except for non-integer numbers (PostgreSQL prints ``0.00001`` where Python prints ``1e-05``):
the in-database verifier leaves events holding those to Python.
"""

from __future__ import annotations

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION engine_canonical_json(value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result text;
    item_key text;
    item jsonb;
    first boolean := true;
BEGIN
    CASE jsonb_typeof(value)
    WHEN 'object' THEN
        result := '{';
        FOR item_key, item IN SELECT e.key, e.value FROM jsonb_each(value) AS e ORDER BY e.key COLLATE "C" LOOP
            IF NOT first THEN
                result := result || ',';
            END IF;
            first := false;
            result := result || to_json(item_key)::text || ':' || engine_canonical_json(item);
        END LOOP;
        RETURN result || '}';
    WHEN 'array' THEN
        result := '[';
        FOR item IN SELECT e.value FROM jsonb_array_elements(value) AS e LOOP
            IF NOT first THEN
                result := result || ',';
            END IF;
            first := false;
            result := result || engine_canonical_json(item);
        END LOOP;
        RETURN result || ']';
    WHEN 'string' THEN
        RETURN to_json(value #>> '{}')::text;
    ELSE
        RETURN value::text;
    END CASE;
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
