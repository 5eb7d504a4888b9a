"""Backups an operator can trust: the database and the report files, copied consistently,
with a manifest that a restore checks table by table and file by file.

A backup is one folder, `resettle-YYYYmmddTHHMMSSZ/`:

    manifest.json     what is in it: when, which code, the migration state, each table's row
                      count (PostgreSQL: and checksum), triggers, sequences, a SHA-256 of
                      every file
    database.dump     PostgreSQL: `pg_dump --format=custom`, taken in one snapshot
    database.sqlite3  SQLite (the `make run` demo): a copy made with SQLite's online backup API
    report-files/     the report PDFs the database refers to

Consistency: pg_dump, the table checksums and the list of report files all read one exported
snapshot; report files are written before their row is marked ready, so copying the files the
snapshot refers to *after* it finds every one of them. Table checksums are computed by
PostgreSQL itself (no row is read into Python), so that a restore can prove it loaded what was
dumped. The SQLite path is the smallest that works: the copy's SHA-256 is its proof, checked
before it replaces the (empty) target.

A backup holds personal data. Everything is written readable by its owner only, and whoever
keeps backups must encrypt them at rest.

What is read from the database, and running pg_dump/pg_restore, live in backup_database.py.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from . import backup_database as db
from .backup_database import BackupError
from .storage import private_files

FORMAT = "resettle-backup/2"  # 2: table checksums computed by PostgreSQL
MANIFEST = "manifest.json"
POSTGRESQL_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FILES_FOLDER = "report-files"

ENCRYPTION_REMINDER = (
    "Reminder: this backup holds personal data (case records, risk plans, crisis calls, "
    "reports). Encrypt it at rest, keep it only as long as the retention policy allows, and "
    "delete copies you no longer need."
)

Say = Callable[[str], None]


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
    say(f"Backing up the {db.describe_database()} to {final}")
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
    server_major = db.postgresql_version() // 10000
    pg_dump, pg_dump_version = db.postgresql_client("pg_dump", server_major)
    dump = folder / POSTGRESQL_DUMP
    with transaction.atomic(), connection.cursor() as cursor:
        # One snapshot for everything: pg_dump, the row counts and checksums, and the list
        # of report files all describe the same moment, even while people keep working.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        with stopwatch.step("Dumped the database with pg_dump") as notes:
            db.run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={connection.settings_dict['NAME']}",
                ],
                env=db.libpq_environment(),
            )
            notes.append(_size(dump.stat().st_size))
        with stopwatch.step("Counted and checksummed every table") as notes:
            content = db.postgresql_content()
            notes.append(_rows_note(content))
        report_files = db.referenced_report_files(cursor)
    return _manifest(
        database={
            "vendor": "postgresql",
            "name": connection.settings_dict["NAME"],
            "server_version": db.postgresql_version_text(db.postgresql_version()),
            "server_major": server_major,
            "dumped_with": pg_dump_version,
            "file": POSTGRESQL_DUMP,
            **_file_digest(dump),
        },
        content=content,
        report_files=report_files,
    )


def _back_up_sqlite(folder: Path, stopwatch: _Stopwatch) -> dict:
    source = db.sqlite_path()
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source} to back up.")
    copy = folder / SQLITE_COPY
    with stopwatch.step("Copied the database with SQLite's online backup API") as notes:
        db.sqlite_copy(source, copy)
        notes.append(_size(copy.stat().st_size))
    # Everything else is read from the copy, which is one consistent moment by construction.
    with stopwatch.step("Counted the rows of every table") as notes:
        with db.sqlite_connection(copy, read_only=True) as database:
            content = db.sqlite_content(database)
            report_files = db.referenced_report_files(database.cursor())
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
        f"into the {db.describe_database()}"
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
    server_major = db.postgresql_version() // 10000
    pg_restore, _version = db.postgresql_client("pg_restore", server_major)
    if server_major < manifest["database"]["server_major"]:
        raise BackupError(
            f"The backup comes from PostgreSQL {manifest['database']['server_major']}; this "
            f"server is PostgreSQL {server_major}. Restore into the same or a newer version."
        )
    with stopwatch.step("Checked that the target is empty and no report file would be overwritten"):
        _refuse_unless_empty(db.postgresql_objects(), connection.settings_dict["NAME"])
        _refuse_conflicting_report_files(manifest)
    with stopwatch.step("Loaded the dump with pg_restore, in one transaction"):
        try:
            db.run(
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
                env=db.libpq_environment(),
            )
        except BackupError as error:
            left = db.postgresql_objects()
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
                content = db.postgresql_content()
            _refuse_differences(manifest, content)
        with stopwatch.step("Restored the report files") as notes:
            _restore_report_files(source, manifest, written)
            notes.append(_restored_files_note(manifest, written))
        with connection.cursor() as cursor:
            return db.applied_migrations(cursor)
    except BaseException as error:
        # The database was empty when we began, so emptying it again loses nothing.
        _remove_files(written)
        db.empty_postgresql_database()
        if isinstance(error, BackupError):
            raise BackupError(
                f"{error}\nThe restored data and files have been removed again: the target "
                "database is empty."
            ) from error
        raise


def _restore_sqlite(source: Path, manifest: dict, stopwatch: _Stopwatch) -> set:
    target = db.sqlite_path()
    with stopwatch.step("Checked that the target is empty and no report file would be overwritten"):
        _refuse_unless_empty(db.sqlite_objects(target), str(target))
        _refuse_conflicting_report_files(manifest)
    # Built beside the target and moved into place only once verified: all or nothing.
    building = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    written: list[Path] = []
    try:
        # The copy's checksum was checked against the manifest before anything was touched.
        with stopwatch.step("Copied the database with SQLite's online backup API"):
            db.sqlite_copy(source / SQLITE_COPY, building)
            with db.sqlite_connection(building, read_only=True) as database:
                applied = db.applied_migrations(database.cursor())
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


# --- Helpers -----------------------------------------------------------------------------------


@contextmanager
def _owner_only_files() -> Iterator[None]:
    """Files and folders created meanwhile are readable by their owner only (umask 077)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _report_storage():
    storage, _model = private_files()
    return storage


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


def _size(count: float) -> str:
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
