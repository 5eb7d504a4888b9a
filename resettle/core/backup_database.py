"""What a backup reads from the database and the tools that copy it: PostgreSQL's catalogue
(tables, triggers, sequences, every object a restore would collide with), the table checksums
PostgreSQL computes, SQLite's counts and online copy, and pg_dump/pg_restore found and run
with the server's version. resettle/core/backup.py does the backing up and restoring.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, transaction
from django.db.backends.postgresql.client import DatabaseClient

from .storage import private_files


class BackupError(Exception):
    """Something the operator must act on; the message says what."""


# --- What a database holds: row counts, checksums, triggers, sequences ------------------------


# The text of a row must not depend on the session: fixed for the reading transaction.
POSTGRESQL_ROW_TEXT_SETTINGS = (
    "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
    "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; "
    "SET LOCAL bytea_output = 'hex'"
)
POSTGRESQL_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname
"""
# A table's row count and checksum, computed by the server (no row leaves it): the sum of the
# first 64 bits of each row's md5, so neither the order of rows nor a sort is needed.
POSTGRESQL_TABLE_CHECKSUM = """
SELECT count(*), coalesce(sum(('x' || left(md5(CAST(r AS text)), 16))::bit(64)::bigint), 0)
FROM {table} AS r
"""
POSTGRESQL_TRIGGERS = """
SELECT c.relname || '.' || t.tgname || CASE WHEN t.tgenabled = 'D' THEN ' (disabled)' ELSE '' END
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal AND n.nspname = current_schema()
ORDER BY 1
"""
POSTGRESQL_SEQUENCES = """
SELECT sequencename, last_value FROM pg_sequences
WHERE schemaname = current_schema() ORDER BY sequencename
"""
# Everything a restore would collide with: relations and functions outside the system
# schemas, except those that belong to an extension.
POSTGRESQL_OBJECTS = r"""
SELECT 'relation', c.relkind::text, n.nspname, c.relname, ''
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 'function', p.prokind::text, n.nspname, p.proname,
       pg_get_function_identity_arguments(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                  AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1 DESC, 3, 4
"""


def postgresql_content() -> dict:
    """Run inside a transaction, so every figure describes the same snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_ROW_TEXT_SETTINGS)
        cursor.execute(POSTGRESQL_TABLES)
        names = [row[0] for row in cursor.fetchall()]
        tables = {}
        for name in names:
            cursor.execute(POSTGRESQL_TABLE_CHECKSUM.format(table=quote(name)))
            rows, total = cursor.fetchone()
            tables[name] = {"rows": rows, "sha256": sha256(f"{name}:{rows}:{total}")}
        cursor.execute(POSTGRESQL_TRIGGERS)
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute(POSTGRESQL_SEQUENCES)
        sequences = dict(cursor.fetchall())
        migrations = latest_migrations(cursor, set(names))
    return {
        "migrations": migrations,
        "tables": tables,
        "triggers": triggers,
        "sequences": sequences,
    }


def sqlite_content(database: sqlite3.Connection) -> dict:
    """Row counts and triggers, for the summary: the copy's own checksum proves its content."""
    cursor = database.cursor()
    names = [
        row[0]
        for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {
        name: {"rows": cursor.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]}  # noqa: S608
        for name in names
    }
    triggers = [
        row[0]
        for row in cursor.execute(
            "SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
        )
    ]
    return {
        "migrations": latest_migrations(cursor, set(names)),
        "tables": tables,
        "triggers": triggers,
    }


def latest_migrations(cursor, table_names: set[str]) -> dict[str, str]:
    """The last migration applied to each app."""
    latest = {}
    if "django_migrations" in table_names:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            latest[app] = name
    return dict(sorted(latest.items()))


def applied_migrations(cursor) -> set[tuple[str, str]]:
    cursor.execute("SELECT app, name FROM django_migrations")
    return {(app, name) for app, name in cursor.fetchall()}


def referenced_report_files(cursor) -> list[str]:
    _storage, model = private_files()
    column = model._meta.get_field("file").column
    table = quote(model._meta.db_table)
    cursor.execute(f"SELECT {quote(column)} FROM {table} WHERE {quote(column)} <> '' ORDER BY 1")  # noqa: S608
    return [row[0] for row in cursor.fetchall()]


def postgresql_objects() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_OBJECTS)
        return [f"{schema}.{name}" for _kind, _sub, schema, name, _args in cursor.fetchall()]


def empty_postgresql_database() -> None:
    """Drop what a restore created; only called on a database that was empty before it."""
    drop = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
            "f": "FOREIGN TABLE", "S": "SEQUENCE"}  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_OBJECTS)
        for kind, sub, schema, name, arguments in cursor.fetchall():
            target = f"{quote(schema)}.{quote(name)}"
            if kind == "relation":
                cursor.execute(f"DROP {drop[sub]} IF EXISTS {target} CASCADE")
            else:
                routine = "PROCEDURE" if sub == "p" else "FUNCTION"
                cursor.execute(f"DROP {routine} IF EXISTS {target}({arguments}) CASCADE")


def sqlite_objects(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with sqlite_connection(path, read_only=True) as database:
        return [
            row[0]
            for row in database.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe_database() -> str:
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        where = f"{database.get('HOST') or 'local socket'}:{database.get('PORT') or 5432}"
        return f"PostgreSQL database {database['NAME']} on {where}"
    return f"SQLite database {database['NAME']}"


def postgresql_client(tool: str, server_major: int) -> tuple[str, str]:
    """The path and version of pg_dump or pg_restore, refused unless it matches the server."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"{tool} was not found on PATH. Install the PostgreSQL {server_major} client tools "
            f"(Debian: apt-get install postgresql-client-{server_major})."
        )
    version = run([path, "--version"]).strip()
    found = re.search(r"\)\s+(\d+)", version)
    major = int(found.group(1)) if found else None
    if major != server_major:
        raise BackupError(
            f"{path} is {version!r}, but the database server is PostgreSQL {server_major}: "
            f"use the PostgreSQL {server_major} client tools (for example put "
            f"/usr/lib/postgresql/{server_major}/bin first on PATH)."
        )
    return path, version


def postgresql_version() -> int:
    """The server's version as a number (150004 for 15.4)."""
    return connection.pg_version  # type: ignore[attr-defined]  # PostgreSQL's wrapper only


def postgresql_version_text(number: int) -> str:
    return f"{number // 10000}.{number % 10000}"


def libpq_environment() -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore; the password never appears in `ps`."""
    database = connection.settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(database, [])
    environment = {**os.environ, **(extra or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if database.get(key):
            environment[variable] = str(database[key])
    return environment


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments, no shell
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit status {result.returncode}):\n"
            f"{result.stderr.strip()}"
        )
    return result.stdout


@contextmanager
def sqlite_connection(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}{'?mode=ro' if read_only else ''}"
    database = sqlite3.connect(uri, uri=True)
    try:
        yield database
    finally:
        database.close()


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy even while the source is in use (SQLite's online backup API)."""
    with sqlite_connection(source, read_only=True) as origin:
        copy = sqlite3.connect(target)
        try:
            origin.backup(copy)
        finally:
            copy.close()
    target.chmod(0o600)


def sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
