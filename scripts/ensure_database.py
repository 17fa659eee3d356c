"""Create the PostgreSQL database that DATABASE_URL names when it does not exist yet.

`make run` calls it before `migrate`. SQLite (no DATABASE_URL, or a sqlite:// one) creates its
file itself; any other URL is left to its server. When the database is missing and the
credentials may not create it, one line says how to (``createdb``) and the exit status is 1.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

import environ
import psycopg
from psycopg import sql

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}


def connection_kwargs(url: str) -> dict:
    """psycopg's arguments for DATABASE_URL, parsed by django-environ as the settings parse it."""
    config = environ.Env.db_url_config(url)
    kwargs = {
        "host": config.get("HOST", ""),
        "port": config.get("PORT") or 5432,
        "user": config.get("USER", ""),
        "password": config.get("PASSWORD", ""),
        "dbname": config.get("NAME", ""),
        "connect_timeout": 10,
    }
    return {key: value for key, value in kwargs.items() if value not in ("", None)}


def last_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def createdb_hint(kwargs: dict) -> str:
    flags = [f"-h {kwargs['host']}"] if "host" in kwargs else []
    flags += [f"-p {kwargs['port']}", *([f"-U {kwargs['user']}"] if "user" in kwargs else [])]
    return f"createdb {' '.join(flags)} {kwargs['dbname']}"


def ensure_database(url: str) -> str | None:
    """None when there is nothing to do or the database was created (a line saying so is
    printed); otherwise the one-line reason with the ``createdb`` command."""
    if urlsplit(url).scheme not in POSTGRES_SCHEMES:
        return None
    kwargs = connection_kwargs(url)
    name = kwargs.get("dbname")
    if not name:
        return f"DATABASE_URL names no database: {url.split('@')[-1]}"
    try:
        psycopg.connect(**kwargs).close()
        return None
    except psycopg.OperationalError as exc:
        if f'database "{name}" does not exist' not in str(exc):
            return f"cannot connect to PostgreSQL at DATABASE_URL: {last_line(exc)}"
    try:
        with psycopg.connect(**{**kwargs, "dbname": "postgres"}, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return (
            f'database "{name}" does not exist and could not be created ({last_line(exc)}): '
            f"run `{createdb_hint(kwargs)}`"
        )
    print(f'Created the PostgreSQL database "{name}".')
    return None


if __name__ == "__main__":
    problem = ensure_database(os.environ.get("DATABASE_URL", ""))
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(1)
