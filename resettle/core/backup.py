"""Backups an operator can trust: the database and the report files, copied consistently,
with a manifest that a restore checks row by row and file by file.

A backup is one folder, `resettle-YYYYmmddTHHMMSSZ/`:

    manifest.json     what is in it: when, which code, the migration state, row counts and a
                      SHA-256 of every table, triggers, sequences, a SHA-256 of every file
    database.dump     PostgreSQL: `pg_dump --format=custom`, taken in one snapshot
    database.sqlite3  SQLite (the `make run` demo): a copy made with SQLite's online backup API
    report-files/     the report PDFs the database refers to

Consistency: report files are written before their row is marked ready, so copying the files
the database snapshot refers to *after* the snapshot finds every one of them.

A backup holds personal data. Everything is written readable by its owner only, and whoever
keeps backups must encrypt them at rest.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction

FORMAT = "resettle-backup/1"
MANIFEST = "manifest.json"
POSTGRESQL_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES_FOLDER = "report-files"
ROWS_PER_FETCH = 2000

ENCRYPTION_REMINDER = (
    "Reminder: this backup holds personal data (case records, risk plans, crisis calls, "
    "reports). Encrypt it at rest, keep it only as long as the retention policy allows, and "
    "delete copies you no longer need."
)

Say = Callable[[str], None]


class BackupError(Exception):
    """Something the operator must act on; the message says what."""


# --- Timing ------------------------------------------------------------------------------------


class _Stopwatch:
    """Prints how long each step took, and keeps the figures for the manifest."""

    def __init__(self, say: Say):
        self.say = say
        self.began = time.monotonic()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, label: str) -> Iterator[list[str]]:
        began = time.monotonic()
        notes: list[str] = []
        yield notes
        seconds = time.monotonic() - began
        self.seconds[label] = round(seconds, 3)
        detail = f" ({', '.join(notes)})" if notes else ""
        self.say(f"  {seconds:7.2f} s  {label}{detail}")

    @property
    def total(self) -> float:
        return time.monotonic() - self.began


# --- Back up -----------------------------------------------------------------------------------


def back_up(parent: Path, *, say: Say = print) -> Path:
    """Write a new backup folder inside `parent` and return its path."""
    stopwatch = _Stopwatch(say)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    final = Path(parent) / f"resettle-{stamp}"
    # Written under a temporary name: a folder without `.partial` is always a whole backup.
    partial = final.with_name(final.name + ".partial")
    say(f"Backing up the {_describe_database()} to {final}")
    with _owner_only_files():
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise BackupError(f"{final} already exists: wait a second and run the backup again.")
        partial.mkdir(mode=0o700)
        try:
            if connection.vendor == "postgresql":
                manifest = _back_up_postgresql(partial, stopwatch)
            elif connection.vendor == "sqlite":
                manifest = _back_up_sqlite(partial, stopwatch)
            else:
                raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
            with stopwatch.step("Copied the report files") as notes:
                _copy_report_files(manifest, partial, notes)
            manifest["timings_seconds"] = stopwatch.seconds
            _write_new_file(partial / MANIFEST, _to_json(manifest))
            partial.rename(final)
        except BaseException:
            # A half-made backup still holds personal data: never leave it behind.
            shutil.rmtree(partial, ignore_errors=True)
            raise
    for problem in _file_warnings(manifest):
        say(f"WARNING: {problem}")
    rows = sum(table["rows"] for table in manifest["tables"].values())
    say(
        f"Backup complete in {stopwatch.total:.2f} s: {final} "
        f"({len(manifest['tables'])} tables, {rows} rows, "
        f"{len(manifest['report_files'])} report files)."
    )
    say(ENCRYPTION_REMINDER)
    return final


def _back_up_postgresql(folder: Path, stopwatch: _Stopwatch) -> dict:
    server_major = connection.pg_version // 10000
    pg_dump, pg_dump_version = _postgresql_client("pg_dump", server_major)
    dump = folder / POSTGRESQL_DUMP
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for everything: pg_dump, the row counts and checksums, and the list
        # of report files all describe the same moment, even while people keep working.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        with stopwatch.step("Dumped the database with pg_dump") as notes:
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={connection.settings_dict['NAME']}",
                ],
                env=_libpq_environment(),
            )
            notes.append(_size(dump.stat().st_size))
        with stopwatch.step("Counted and checksummed every table") as notes:
            content = _postgresql_content()
            notes.append(_rows_note(content))
        report_files = _referenced_report_files(cursor)
    return _manifest(
        database={
            "vendor": "postgresql",
            "name": connection.settings_dict["NAME"],
            "server_version": _postgresql_version_text(connection.pg_version),
            "server_major": server_major,
            "dumped_with": pg_dump_version,
            "file": POSTGRESQL_DUMP,
            **_file_digest(dump),
        },
        content=content,
        report_files=report_files,
    )


def _back_up_sqlite(folder: Path, stopwatch: _Stopwatch) -> dict:
    source = _sqlite_path()
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source} to back up.")
    copy = folder / SQLITE_COPY
    with stopwatch.step("Copied the database with SQLite's online backup API") as notes:
        _sqlite_copy(source, copy)
        notes.append(_size(copy.stat().st_size))
    # Everything else is read from the copy, which is one consistent moment by construction.
    with stopwatch.step("Counted and checksummed every table") as notes:
        with _sqlite_connection(copy, read_only=True) as database:
            content = _sqlite_content(database)
            report_files = _referenced_report_files(database.cursor())
        notes.append(_rows_note(content))
    return _manifest(
        database={
            "vendor": "sqlite",
            "name": str(source),
            "server_version": sqlite3.sqlite_version,
            "file": SQLITE_COPY,
            **_file_digest(copy),
        },
        content=content,
        report_files=report_files,
    )


def _manifest(*, database: dict, content: dict, report_files: list[str]) -> dict:
    return {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "app": {"version": _app_version(), "git_commit": _git_commit()},
        "database": database,
        **content,
        # Filled in by _copy_report_files: name -> {"sha256", "bytes"}.
        "report_files": dict.fromkeys(report_files),
    }


def _copy_report_files(manifest: dict, folder: Path, notes: list[str]) -> None:
    storage = _report_storage()
    referenced = list(manifest["report_files"])
    copied, missing = {}, []
    for name in referenced:
        source = Path(storage.path(name))
        if source.is_file():
            copied[name] = _copy_file(source, folder / FILES_FOLDER / name)
        else:
            missing.append(name)
    manifest["report_files"] = copied
    manifest["report_files_missing"] = missing
    # Usually reports finished after the snapshot (they will be in the next backup) or the
    # remains of a save that failed; listed so that nothing goes unexplained.
    manifest["report_files_unreferenced"] = sorted(
        set(_stored_file_names(Path(storage.location))) - set(referenced)
    )
    notes.append(f"{len(copied)} files, {_size(sum(f['bytes'] for f in copied.values()))}")


def _file_warnings(manifest: dict) -> list[str]:
    warnings = []
    if manifest.get("report_files_missing"):
        warnings.append(
            f"{len(manifest['report_files_missing'])} report files the database refers to "
            "were not found in the report storage (listed in the manifest as "
            "report_files_missing)."
        )
    if manifest.get("report_files_unreferenced"):
        warnings.append(
            f"{len(manifest['report_files_unreferenced'])} files in the report storage are "
            "not referred to by the database and were not copied (listed in the manifest as "
            "report_files_unreferenced)."
        )
    return warnings


# --- Restore -----------------------------------------------------------------------------------


def restore(source: Path, *, say: Say = print) -> None:
    """Bring the backup at `source` back into the (empty) configured database."""
    stopwatch = _Stopwatch(say)
    source = Path(source)
    manifest = _read_manifest(source)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This is a backup of a {vendor} database, but DATABASE_URL points at a "
            f"{connection.vendor} database. Restore it into the same kind of database."
        )
    say(
        f"Restoring the backup made {manifest['created_at']} "
        f"(Resettle {manifest['app']['version']}, commit {manifest['app']['git_commit']}) "
        f"into the {_describe_database()}"
    )
    with _owner_only_files():
        with stopwatch.step("Checked every file in the backup against its manifest") as notes:
            _check_backup_files(source, manifest)
            notes.append(f"{len(manifest['report_files']) + 1} files")
        if vendor == "postgresql":
            applied = _restore_postgresql(source, manifest, stopwatch)
        else:
            applied = _restore_sqlite(source, manifest, stopwatch)
    rows = sum(table["rows"] for table in manifest["tables"].values())
    say(
        f"Restore complete in {stopwatch.total:.2f} s: {len(manifest['tables'])} tables, "
        f"{rows} rows and {len(manifest['report_files'])} report files, all matching the "
        "backup's checksums."
    )
    for advice in _migration_advice(applied):
        say(advice)


def _restore_postgresql(source: Path, manifest: dict, stopwatch: _Stopwatch) -> set:
    server_major = connection.pg_version // 10000
    pg_restore, _version = _postgresql_client("pg_restore", server_major)
    if server_major < manifest["database"]["server_major"]:
        raise BackupError(
            f"The backup comes from PostgreSQL {manifest['database']['server_major']}; this "
            f"server is PostgreSQL {server_major}. Restore into the same or a newer version."
        )
    with stopwatch.step("Checked that the target is empty and no report file would be overwritten"):
        _refuse_unless_empty(_postgresql_objects(), connection.settings_dict["NAME"])
        _refuse_conflicting_report_files(manifest)
    with stopwatch.step("Loaded the dump with pg_restore, in one transaction"):
        try:
            _run(
                [
                    pg_restore,
                    "--exit-on-error",
                    "--single-transaction",
                    # The app's own account owns what it restores; grants are set up per server.
                    "--no-owner",
                    "--no-privileges",
                    f"--dbname={connection.settings_dict['NAME']}",
                    str(source / POSTGRESQL_DUMP),
                ],
                env=_libpq_environment(),
            )
        except BackupError as error:
            left = _postgresql_objects()
            state = (
                "Nothing was restored: the target database is still empty."
                if not left
                else f"The target database now holds {len(left)} objects: check it by hand."
            )
            raise BackupError(f"{error}\n{state}") from error
    written: list[Path] = []
    try:
        with stopwatch.step("Verified row counts, checksums, triggers and sequences"):
            with transaction.atomic():
                content = _postgresql_content()
            _refuse_differences(manifest, content)
        with stopwatch.step("Restored the report files") as notes:
            _restore_report_files(source, manifest, written)
            notes.append(_restored_files_note(manifest, written))
        with connection.cursor() as cursor:
            return _applied_migrations(cursor)
    except BaseException as error:
        # The database was empty when we began, so emptying it again loses nothing.
        _remove_files(written)
        _empty_postgresql_database()
        if isinstance(error, BackupError):
            raise BackupError(
                f"{error}\nThe restored data and files have been removed again: the target "
                "database is empty."
            ) from error
        raise


def _restore_sqlite(source: Path, manifest: dict, stopwatch: _Stopwatch) -> set:
    target = _sqlite_path()
    with stopwatch.step("Checked that the target is empty and no report file would be overwritten"):
        _refuse_unless_empty(_sqlite_objects(target), str(target))
        _refuse_conflicting_report_files(manifest)
    # Built beside the target and moved into place only once verified: all or nothing.
    building = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    written: list[Path] = []
    try:
        with stopwatch.step("Copied the database with SQLite's online backup API"):
            _sqlite_copy(source / SQLITE_COPY, building)
        with stopwatch.step("Verified row counts, checksums, triggers and sequences"):
            with _sqlite_connection(building, read_only=True) as database:
                content = _sqlite_content(database)
                applied = _applied_migrations(database.cursor())
            _refuse_differences(manifest, content)
        with stopwatch.step("Restored the report files") as notes:
            _restore_report_files(source, manifest, written)
            notes.append(_restored_files_note(manifest, written))
        os.replace(building, target)
        return applied
    except BaseException as error:
        _remove_files([*written, building])
        if isinstance(error, BackupError):
            raise BackupError(f"{error}\nNothing was restored: {target} is unchanged.") from error
        raise


def _read_manifest(source: Path) -> dict:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a Resettle backup: it has no {MANIFEST}.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{path} is damaged: {error}.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path} is in format {manifest.get('format')!r}; this version reads {FORMAT!r}."
        )
    return manifest


def _check_backup_files(source: Path, manifest: dict) -> None:
    """Refuse a damaged backup before anything is touched."""
    expected = {manifest["database"]["file"]: manifest["database"]}
    expected |= {
        f"{FILES_FOLDER}/{name}": digest for name, digest in manifest["report_files"].items()
    }
    damaged = []
    for relative, digest in expected.items():
        path = source / relative
        if not path.is_file():
            damaged.append(f"{relative} is missing")
        elif _file_digest(path) != {"sha256": digest["sha256"], "bytes": digest["bytes"]}:
            damaged.append(f"{relative} does not match its checksum")
    if damaged:
        raise BackupError(
            f"The backup at {source} is damaged, so nothing was restored: "
            + "; ".join(damaged[:10])
            + "."
        )


def _refuse_unless_empty(objects: list[str], name: str) -> None:
    if objects:
        listed = ", ".join(objects[:5]) + (", ..." if len(objects) > 5 else "")
        raise BackupError(
            f"The target database {name} is not empty: it already holds {len(objects)} tables, "
            f"sequences or other objects ({listed}). "
            "Restore only into an empty database: create a new one (PostgreSQL: createdb), "
            "point DATABASE_URL at it and do not run migrate first."
        )


def _refuse_conflicting_report_files(manifest: dict) -> None:
    storage = _report_storage()
    clashes = [
        name
        for name, digest in manifest["report_files"].items()
        if Path(storage.path(name)).exists() and _file_digest(Path(storage.path(name))) != digest
    ]
    if clashes:
        raise BackupError(
            f"The report storage at {storage.location} already holds different files with "
            f"the same names ({', '.join(clashes[:3])}). Restore into an empty report storage "
            "(PRIVATE_STORAGE_ROOT)."
        )


def _restore_report_files(source: Path, manifest: dict, written: list[Path]) -> None:
    storage = _report_storage()
    for name, digest in manifest["report_files"].items():
        target = Path(storage.path(name))
        if target.exists():
            continue  # the same file is already there (checked before anything was changed)
        _copy_file(source / FILES_FOLDER / name, target)
        written.append(target)
        if _file_digest(target) != digest:
            raise BackupError(f"The restored report file {target} does not match the backup.")


def _restored_files_note(manifest: dict, written: list[Path]) -> str:
    already = len(manifest["report_files"]) - len(written)
    return f"{len(written)} files" + (
        f", {already} identical ones already in place" if already else ""
    )


def _refuse_differences(manifest: dict, content: dict) -> None:
    problems = []
    expected_tables, found_tables = manifest["tables"], content["tables"]
    for table in sorted(set(expected_tables) | set(found_tables)):
        expected, found = expected_tables.get(table), found_tables.get(table)
        if found is None:
            problems.append(f"table {table} is missing")
        elif expected is None:
            problems.append(f"table {table} is not in the backup")
        elif found["rows"] != expected["rows"]:
            problems.append(f"{table} has {found['rows']} rows, the backup {expected['rows']}")
        elif found["sha256"] != expected["sha256"]:
            problems.append(f"{table} has the right number of rows but different content")
    if content["triggers"] != manifest["triggers"]:
        problems.append(
            f"triggers are {content['triggers']}, the backup had {manifest['triggers']}"
        )
    if content["sequences"] != manifest["sequences"]:
        problems.append("sequence positions differ from the backup")
    if problems:
        raise BackupError(
            "The restored database does not match the backup: " + "; ".join(problems[:10]) + "."
        )


def _migration_advice(applied: set[tuple[str, str]]) -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in applied
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    pending = sorted(
        f"{app}.{name}" for app, name in loader.graph.leaf_nodes() if (app, name) not in applied
    )
    advice = []
    if unknown:
        advice.append(
            "WARNING: the backup was made by a newer version of Resettle (it has migrations "
            f"this code does not know: {', '.join(unknown[:5])}). Run that version's code."
        )
    if pending:
        advice.append(
            "The code is newer than the backup: run `manage.py migrate` (make migrate) before "
            f"starting Resettle ({', '.join(pending[:5])} not yet applied)."
        )
    return advice


# --- What a database holds: row counts, checksums, triggers, sequences ------------------------


ROW = '"resettle_row"'  # the alias a whole row is read under


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    order_by: tuple[str, ...]  # SQL expressions giving one canonical order

    def select(self, *, as_row_text: bool = False) -> str:
        # Identifiers come from the database's own catalogue, quoted.
        order = ", ".join(self.order_by)
        if as_row_text:
            # PostgreSQL's own text of the whole row: exact, and nothing to convert in Python.
            return f"SELECT CAST({ROW} AS text) FROM {_quote(self.name)} AS {ROW} ORDER BY {order}"  # noqa: S608
        columns = ", ".join(_quote(column) for column in self.columns)
        return f"SELECT {columns} FROM {_quote(self.name)} ORDER BY {order}"  # noqa: S608


def _fingerprint(table: _Table, rows: Iterable[bytes]) -> dict:
    """Row count and SHA-256 of a table's rows, in primary-key order, columns named."""
    digest = hashlib.sha256(_canonical_line(table.columns))
    count = 0
    for row in rows:
        digest.update(b"%d:" % len(row))  # lengths first: rows may contain newlines
        digest.update(row)
        count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def _canonical_line(values: Iterable) -> bytes:
    text = json.dumps(
        list(values), default=_canonical_value, sort_keys=True, ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip
    return text.encode() + b"\n"


def _canonical_value(value):
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return f"{type(value).__name__}:{value}"


# The text of a row must not depend on the session: fixed for the reading transaction.
POSTGRESQL_ROW_TEXT_SETTINGS = (
    "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; "
    "SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3; "
    "SET LOCAL bytea_output = 'hex'"
)


def _fetch_all(cursor) -> Iterator[tuple]:
    while rows := cursor.fetchmany(ROWS_PER_FETCH):
        yield from rows


POSTGRESQL_COLUMNS = """
SELECT c.relname, a.attname, t.typcollation <> 0, array_position(i.indkey::int2[], a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
WHERE n.nspname = current_schema() AND c.relkind = 'r'
ORDER BY c.relname, a.attnum
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


def _postgresql_content() -> dict:
    """Run inside a transaction (a snapshot): tables are read with server-side cursors."""
    with connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_ROW_TEXT_SETTINGS)
        cursor.execute(POSTGRESQL_COLUMNS)
        described = cursor.fetchall()
        cursor.execute(POSTGRESQL_TRIGGERS)
        triggers = [row[0] for row in cursor.fetchall()]
        cursor.execute(POSTGRESQL_SEQUENCES)
        sequences = dict(cursor.fetchall())
        migrations = _latest_migrations(cursor, {row[0] for row in described})
    tables = []
    for name in dict.fromkeys(row[0] for row in described):
        columns = [row for row in described if row[0] == name]
        key = sorted((row for row in columns if row[3] is not None), key=lambda row: row[3])
        # Text keys sort byte by byte ("C"), so the order cannot depend on the server's locale.
        order_by = tuple(
            f'{_quote(column)} COLLATE "C"' if collatable else _quote(column)
            for _table, column, collatable, _position in key
        ) or (f'CAST({ROW} AS text) COLLATE "C"',)
        tables.append(_Table(name, tuple(row[1] for row in columns), order_by))
    fingerprints = {}
    for table in tables:
        with connection.chunked_cursor() as cursor:
            cursor.execute(table.select(as_row_text=True))
            rows = (text.encode() for (text,) in _fetch_all(cursor))
            fingerprints[table.name] = _fingerprint(table, rows)
    return {
        "migrations": migrations,
        "tables": fingerprints,
        "triggers": triggers,
        "sequences": sequences,
    }


def _sqlite_content(database: sqlite3.Connection) -> dict:
    cursor = database.cursor()
    names = [
        row[0]
        for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    fingerprints = {}
    for name in names:
        described = cursor.execute(f"PRAGMA table_info({_quote(name)})").fetchall()
        columns = tuple(row[1] for row in described)
        key = [row[1] for row in sorted(described, key=lambda row: row[5]) if row[5]]
        table = _Table(name, columns, tuple(_quote(column) for column in (key or columns)))
        rows = (_canonical_line(row) for row in _fetch_all(database.execute(table.select())))
        fingerprints[name] = _fingerprint(table, rows)
    triggers = [
        row[0]
        for row in cursor.execute(
            "SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
        )
    ]
    has_sequences = cursor.execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'"
    ).fetchone()[0]
    sequences = (
        dict(cursor.execute("SELECT name, seq FROM sqlite_sequence ORDER BY name").fetchall())
        if has_sequences
        else {}
    )
    return {
        "migrations": _latest_migrations(cursor, set(names)),
        "tables": fingerprints,
        "triggers": triggers,
        "sequences": sequences,
    }


def _latest_migrations(cursor, table_names: set[str]) -> dict[str, str]:
    """The last migration applied to each app."""
    latest = {}
    if "django_migrations" in table_names:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        for app, name in cursor.fetchall():
            latest[app] = name
    return dict(sorted(latest.items()))


def _applied_migrations(cursor) -> set[tuple[str, str]]:
    cursor.execute("SELECT app, name FROM django_migrations")
    return {(app, name) for app, name in cursor.fetchall()}


def _referenced_report_files(cursor) -> list[str]:
    from reports.models import ReportRequest

    column = ReportRequest._meta.get_field("file").column
    table = _quote(ReportRequest._meta.db_table)
    cursor.execute(f"SELECT {_quote(column)} FROM {table} WHERE {_quote(column)} <> '' ORDER BY 1")  # noqa: S608
    return [row[0] for row in cursor.fetchall()]


def _postgresql_objects() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_OBJECTS)
        return [f"{schema}.{name}" for _kind, _sub, schema, name, _args in cursor.fetchall()]


def _empty_postgresql_database() -> None:
    """Drop what a restore created; only called on a database that was empty before it."""
    drop = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
            "f": "FOREIGN TABLE", "S": "SEQUENCE"}  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(POSTGRESQL_OBJECTS)
        for kind, sub, schema, name, arguments in cursor.fetchall():
            target = f"{_quote(schema)}.{_quote(name)}"
            if kind == "relation":
                cursor.execute(f"DROP {drop[sub]} IF EXISTS {target} CASCADE")
            else:
                routine = "PROCEDURE" if sub == "p" else "FUNCTION"
                cursor.execute(f"DROP {routine} IF EXISTS {target}({arguments}) CASCADE")


def _sqlite_objects(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with _sqlite_connection(path, read_only=True) as database:
        return [
            row[0]
            for row in database.execute(
                "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]


# --- Helpers -----------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _describe_database() -> str:
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        where = f"{database.get('HOST') or 'local socket'}:{database.get('PORT') or 5432}"
        return f"PostgreSQL database {database['NAME']} on {where}"
    return f"SQLite database {database['NAME']}"


def _postgresql_client(tool: str, server_major: int) -> tuple[str, str]:
    """The path and version of pg_dump or pg_restore, refused unless it matches the server."""
    path = shutil.which(tool)
    if path is None:
        raise BackupError(
            f"{tool} was not found on PATH. Install the PostgreSQL {server_major} client tools "
            f"(Debian: apt-get install postgresql-client-{server_major})."
        )
    version = _run([path, "--version"]).strip()
    found = re.search(r"\)\s+(\d+)", version)
    major = int(found.group(1)) if found else None
    if major != server_major:
        raise BackupError(
            f"{path} is {version!r}, but the database server is PostgreSQL {server_major}: "
            f"use the PostgreSQL {server_major} client tools (for example put "
            f"/usr/lib/postgresql/{server_major}/bin first on PATH)."
        )
    return path, version


def _postgresql_version_text(number: int) -> str:
    return f"{number // 10000}.{number % 10000}"


def _libpq_environment() -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore; the password never appears in `ps`."""
    from django.db.backends.postgresql.client import DatabaseClient

    database = connection.settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(database, [])
    environment = {**os.environ, **(extra or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if database.get(key):
            environment[variable] = str(database[key])
    return environment


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - our own arguments, no shell
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit status {result.returncode}):\n"
            f"{result.stderr.strip()}"
        )
    return result.stdout


@contextmanager
def _owner_only_files() -> Iterator[None]:
    """Files and folders created meanwhile are readable by their owner only (umask 077)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


@contextmanager
def _sqlite_connection(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"{path.resolve().as_uri()}{'?mode=ro' if read_only else ''}"
    database = sqlite3.connect(uri, uri=True)
    try:
        yield database
    finally:
        database.close()


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy even while the source is in use (SQLite's online backup API)."""
    with _sqlite_connection(source, read_only=True) as origin:
        copy = sqlite3.connect(target)
        try:
            origin.backup(copy)
        finally:
            copy.close()
    target.chmod(0o600)


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(name)


def _report_storage():
    from reports.models import report_storage

    return report_storage()


def _stored_file_names(root: Path) -> Iterator[str]:
    for folder, _folders, files in os.walk(root):
        for file in files:
            yield (Path(folder) / file).relative_to(root).as_posix()


def _copy_file(source: Path, target: Path) -> dict:
    """Copy to a new file (mode 0600), returning the SHA-256 and size of what was copied."""
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as reader, _new_file(target) as writer:
        while chunk := reader.read(1024 * 1024):
            digest.update(chunk)
            writer.write(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


@contextmanager
def _new_file(path: Path):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as writer:
        yield writer
        writer.flush()
        os.fsync(writer.fileno())


def _write_new_file(path: Path, text: str) -> None:
    with _new_file(path) as writer:
        writer.write(text.encode())


def _remove_files(paths: Iterable[Path]) -> None:
    for path in paths:
        with suppress(FileNotFoundError):
            path.unlink()


def _file_digest(path: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as reader:
        while chunk := reader.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


def _to_json(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def _rows_note(content: dict) -> str:
    rows = sum(table["rows"] for table in content["tables"].values())
    return f"{len(content['tables'])} tables, {rows} rows"


def _app_version() -> str:
    with (
        suppress(OSError, KeyError, ValueError),
        (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as file,
    ):
        return tomllib.load(file)["project"]["version"]
    return "unknown"


def _git_commit() -> str:
    with suppress(OSError, subprocess.SubprocessError):
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - git from PATH, if there is one
            cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=5, check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return result.stdout.strip()
    return "unknown"
