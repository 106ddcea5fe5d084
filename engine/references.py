"""Human references PREFIX-YYYY-NNNN, gap-free per prefix and year."""

from __future__ import annotations

from django.db import connection, transaction


def next_reference(prefix: str, year: int) -> str:
    """Take the next number in the caller's transaction; a rollback gives it back."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_reference() must run inside the transaction that creates the case.")
    sql = (
        "INSERT INTO engine_referencecounter (prefix, year, last) VALUES (%s, %s, 1) "
        "ON CONFLICT (prefix, year) DO UPDATE SET last = engine_referencecounter.last + 1 RETURNING last"
    )
    # One statement that inserts or increments and returns the number; the row stays locked
    # until commit, so concurrent creators queue and no number is skipped or repeated.
    with connection.cursor() as cursor:
        cursor.execute(sql, [prefix, year])
        (number,) = cursor.fetchone()
    return f"{prefix}-{year}-{number:04d}"
