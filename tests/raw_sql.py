"""Reading a stored column with plain SQL, as a database administrator or a backup would, on
PostgreSQL and on SQLite alike: ``CAST(... AS TEXT)`` rather than PostgreSQL's ``::text``, and
the primary key as the backend stores it (a uuid in PostgreSQL, 32 hex digits in SQLite)."""

from __future__ import annotations

from django.db import connection


def raw_key(model, pk):
    """``pk`` as a query parameter for ``model``'s key column (or a foreign key to it)."""
    return model._meta.pk.get_db_prep_value(pk, connection)


_key = raw_key


def raw_text(model, column: str, pk) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CAST({column} AS TEXT) FROM {model._meta.db_table} WHERE id = %s",
            [_key(model, pk)],
        )
        return cursor.fetchone()[0]


def raw_bytes(model, column: str, pk) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [_key(model, pk)]
        )
        return bytes(cursor.fetchone()[0])


def raw_update(model, column: str, pk, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s",
            [value, _key(model, pk)],
        )
