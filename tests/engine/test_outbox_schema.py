"""The outbox table's indexes and constraints as migration 0011 leaves them, on each database."""

from __future__ import annotations

import pytest
from django.db import connection

from engine.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _constraints() -> dict[str, dict]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, OutboxMessage._meta.db_table)


def test_created_at_has_a_brin_index_on_postgresql_and_a_btree_elsewhere():
    # given / when
    constraints = _constraints()
    # then one index on created_at alone, BRIN on PostgreSQL
    on_created_at = {name: c for name, c in constraints.items() if c["index"] and c["columns"] == ["created_at"]}
    assert "engine_outbox_created_at" in on_created_at
    expected = "brin" if connection.vendor == "postgresql" else "idx"
    assert on_created_at["engine_outbox_created_at"]["type"] == expected
    # the partial ones (pending, failed) and no other: no B-tree over the whole table on PostgreSQL
    assert set(on_created_at) == {"engine_outbox_created_at", "engine_outbox_pending", "engine_outbox_failed"}


def test_recipient_has_an_index_but_no_foreign_key_constraint():
    # given / when
    constraints = _constraints().values()
    # then
    on_recipient = [c for c in constraints if c["columns"] == ["recipient_id"]]
    assert any(c["index"] for c in on_recipient)
    assert not any(c["foreign_key"] for c in on_recipient)
