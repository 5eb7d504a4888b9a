"""Backup and restore end to end, run the way an operator runs them (`make backup`,
`make restore`): manage.py in a subprocess, DATABASE_URL pointing at scratch databases.

The source is the demo (seed_demo, with its two report PDFs) plus access-log rows written by
real page views; the checks compare the restored database with the source independently of
the manifest: every table's row count, and an md5 of each key table computed by PostgreSQL.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import psycopg2
import pytest
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[2]
SERVER = "postgres://postgres@127.0.0.1:5432"
# Named after this session's own database so that parallel runs never collide.
SCRATCH = "{}_bk_{}".format(
    urlparse(os.environ.get("DATABASE_URL", f"{SERVER}/resettle")).path.lstrip("/")[:30],
    os.getpid(),
)
KEY_TABLES = [
    "participants_participant",
    "participants_historicalparticipant",
    "keywork_session",
    "keywork_historicalsession",
    "keywork_attendance",
    "keywork_historicalattendance",
    "keywork_sessionnote",
    "keywork_historicalsessionnote",
    "riskplans_riskmanagementplan",
    "riskplans_historicalriskmanagementplan",
    "crisisline_crisiscall",
    "crisisline_historicalcrisiscall",
    "reports_reportrequest",
    "reports_historicalreportrequest",
    "core_accesslog",
    "accounts_user",
    "accounts_historicaluser",
    "accounts_membership",
    "participants_allocation",
]
# Seeds the demo, then opens records as a colleague (allowed) and an outsider (refused), so
# the access log has rows of both kinds.
SEED = """
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from participants.models import Participant
from resettle.accounts.models import User
call_command("migrate", verbosity=0)  # nothing to do: a copy of the migrated test database
call_command("seed_demo", verbosity=0)
records = list(Participant.objects.filter(service__name="Resettle Merseyside")[:3])
for email in ("manager@mersey.example", "keyworker@northumbria.example"):
    client = Client()
    client.force_login(User.objects.get(email=email))
    for participant in records:
        client.get(reverse("participants:overview", args=[participant.pk]))
# An outcome put right, so the corrections' table (append-only) has a row to refuse changing.
from sessions import services as session_services
from sessions.models import Attendance
row = Attendance.objects.exclude(outcome="").filter(
    participant__service__name="Resettle Merseyside"
).first()
session_services.correct_outcome(
    attendance=row, actor=User.objects.get(email="manager@mersey.example"),
    outcome="late" if row.outcome != "late" else "attended", reason="Recorded in error",
)
"""
# The tests read scratch databases of their own; the mark has the test database made, whose
# migrated copy (tests/conftest.py, pristine_database) the source starts from.
pytestmark = pytest.mark.django_db

TIMING = re.compile(r"^\s+\d+\.\d\d s  \S", re.MULTILINE)


def execute(database: str, statement) -> list[tuple]:
    with closing(psycopg2.connect(f"{SERVER}/{database}")) as connection:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else []


query = execute


def create_database(name: str) -> str:
    drop_database(name)
    execute("postgres", sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(name: str) -> None:
    execute(
        "postgres", sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


def table_names(database: str) -> list[str]:
    return [
        name
        for (name,) in query(
            database,
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        )
    ]


def row_count(database: str, table: str) -> int:
    return query(database, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))[0][0]


def content_md5(database: str, table: str) -> str:
    """PostgreSQL's own text of every row, sorted: independent of the backup's checksums."""
    statement = sql.SQL(
        "SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), '')) "
        "FROM {} t"
    ).format(sql.Identifier(table))
    return query(database, statement)[0][0]


def manage(*arguments, database_url: str, private_root: Path) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "resettle.settings",
        "DATABASE_URL": database_url,
        "PRIVATE_STORAGE_ROOT": str(private_root),
        "REDIS_URL": "",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    # Seeding the demo takes about half a minute on an idle machine; the limit only
    # stops a hung command, so it leaves room for a machine running the rest of the suite.
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def restore_into(database: str, backup: Path, private_root: Path):
    return manage(
        "restore_data",
        "--input",
        str(backup),
        database_url=f"{SERVER}/{database}",
        private_root=private_root,
    )


def files_under(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, pristine_database):
    """Seed a source database (a copy of the migrated test database), back it up, restore it
    into an empty one."""
    folder = tmp_path_factory.mktemp("backup-round-trip")
    source, target = f"{SCRATCH}_source", f"{SCRATCH}_target"
    scratch = [source, target]
    try:
        drop_database(source)
        execute(
            "postgres",
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(source), sql.Identifier(pristine_database)
            ),
        )
        source_files = folder / "source-private"
        seeded = manage(
            "shell", "-c", SEED, database_url=f"{SERVER}/{source}", private_root=source_files
        )
        assert seeded.returncode == 0, seeded.stderr
        backed_up = manage(
            "backup_data",
            "--output",
            str(folder / "backups"),
            database_url=f"{SERVER}/{source}",
            private_root=source_files,
        )
        assert backed_up.returncode == 0, backed_up.stderr
        (backup,) = (folder / "backups").iterdir()
        create_database(target)
        target_files = folder / "target-private"
        restored = restore_into(target, backup, target_files)
        assert restored.returncode == 0, restored.stderr + restored.stdout

        spare = f"{SCRATCH}_spare"
        scratch.append(spare)
        create_database(spare)

        def empty_target() -> str:
            """One spare database for the failure tests: each must leave it empty."""
            if table_names(spare):
                create_database(spare)  # an earlier test failed: start again from empty
            return spare

        yield SimpleNamespace(
            source=source,
            target=target,
            backup=backup,
            folder=folder,
            source_files=source_files,
            target_files=target_files,
            backed_up=backed_up,
            restored=restored,
            empty_target=empty_target,
        )
    finally:
        for name in scratch:
            drop_database(name)


def test_every_table_comes_back_with_the_same_rows(round_trip):
    tables = table_names(round_trip.source)
    assert table_names(round_trip.target) == tables
    for table in tables:
        assert row_count(round_trip.target, table) == row_count(round_trip.source, table), table


def test_key_tables_history_and_access_log_come_back_with_identical_content(round_trip):
    for table in KEY_TABLES:
        assert row_count(round_trip.source, table) > 0, f"the demo should fill {table}"
        assert content_md5(round_trip.target, table) == content_md5(round_trip.source, table), table
    views = query(round_trip.target, "SELECT allowed, count(*) FROM core_accesslog GROUP BY 1")
    assert dict(views).keys() == {True, False}


def test_report_files_come_back_byte_for_byte_readable_by_the_owner_only(round_trip):
    source_files = files_under(round_trip.source_files)
    assert len(source_files) == 2  # the demo's two commissioner reports
    assert files_under(round_trip.target_files) == source_files
    for name in source_files:
        mode = stat.S_IMODE((round_trip.target_files / name).stat().st_mode)
        assert mode == 0o600, name


def test_restored_access_log_is_still_append_only(round_trip):
    with pytest.raises(psycopg2.errors.RaiseException, match="append-only"):
        query(round_trip.target, "UPDATE core_accesslog SET page = '/elsewhere/'")
    with pytest.raises(psycopg2.errors.RaiseException, match="append-only"):
        query(round_trip.target, "DELETE FROM core_accesslog")


def test_restored_account_log_is_still_append_only(round_trip):
    # The account log (issue 19) keeps its own trigger through a backup and restore.
    with pytest.raises(psycopg2.errors.RaiseException, match="append-only"):
        query(round_trip.target, "UPDATE accounts_accountevent SET kind = 'x'")
    with pytest.raises(psycopg2.errors.RaiseException, match="append-only"):
        query(round_trip.target, "DELETE FROM accounts_accountevent")


def test_restored_outcome_corrections_are_still_never_changed(round_trip):
    # A correction of an outcome (issue 20) is never changed; a retention deletion may remove it.
    with pytest.raises(psycopg2.errors.RaiseException, match="append-only"):
        query(round_trip.target, "UPDATE keywork_outcomecorrection SET reason = 'x'")


def test_backup_is_private_and_its_manifest_lists_what_it_holds(round_trip):
    backup = round_trip.backup
    assert re.fullmatch(r"resettle-\d{8}T\d{6}Z", backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    for path in backup.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == "postgresql"
    assert manifest["migrations"]["core"] == "0003_kept_work"
    assert set(manifest["tables"]) == set(table_names(round_trip.source))
    assert manifest["tables"]["core_accesslog"]["rows"] == row_count(
        round_trip.source, "core_accesslog"
    )
    assert manifest["triggers"] == [
        "accounts_accountevent.accounts_accountevent_append_only",
        "core_accesslog.core_accesslog_append_only",
        "keywork_outcomecorrection.keywork_outcomecorrection_append_only",
    ]
    # The latest migration of each app, as the source database recorded it.
    latest = dict(
        query(
            round_trip.source,
            "SELECT app, max(name) FROM django_migrations WHERE app IN ('accounts', 'core') "
            "GROUP BY app",
        )
    )
    assert manifest["migrations"]["accounts"] == latest["accounts"] == "0006_user_work_phone"
    assert set(manifest["report_files"]) == set(files_under(round_trip.source_files))
    assert manifest["report_files_missing"] == manifest["report_files_unreferenced"] == []


def test_both_commands_print_the_time_of_each_step_and_the_total(round_trip):
    backup_output, restore_output = round_trip.backed_up.stdout, round_trip.restored.stdout
    assert len(TIMING.findall(backup_output)) >= 3
    assert re.search(r"^Backup complete in \d+\.\d\d s: ", backup_output, re.MULTILINE)
    assert "Encrypt it at rest" in backup_output
    assert len(TIMING.findall(restore_output)) >= 4
    assert re.search(r"^Restore complete in \d+\.\d\d s: ", restore_output, re.MULTILINE)


def test_restore_refuses_a_database_that_is_not_empty(round_trip):
    before = row_count(round_trip.target, "core_accesslog")
    refused = restore_into(round_trip.target, round_trip.backup, round_trip.folder / "spare")
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert row_count(round_trip.target, "core_accesslog") == before


def damaged_copy(round_trip, name: str, damage) -> Path:
    copy = round_trip.folder / name
    shutil.copytree(round_trip.backup, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    damage(copy, manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


def cut_dump_in_half(copy: Path, manifest: dict) -> None:
    dump = copy / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])


def test_a_damaged_dump_is_refused_before_the_target_is_touched(round_trip):
    backup = damaged_copy(round_trip, "cut-short", cut_dump_in_half)
    target = round_trip.empty_target()
    refused = restore_into(target, backup, round_trip.folder / "cut-short-private")
    assert refused.returncode == 1
    assert "database.dump does not match its checksum" in refused.stderr
    assert table_names(target) == []


def test_a_dump_that_fails_midway_leaves_the_target_empty(round_trip):
    def cut_short_with_matching_checksum(copy: Path, manifest: dict) -> None:
        cut_dump_in_half(copy, manifest)
        data = (copy / "database.dump").read_bytes()
        manifest["database"]["bytes"] = len(data)
        manifest["database"]["sha256"] = hashlib.sha256(data).hexdigest()

    backup = damaged_copy(round_trip, "fails-midway", cut_short_with_matching_checksum)
    target = round_trip.empty_target()
    private_root = round_trip.folder / "fails-midway-private"
    failed = restore_into(target, backup, private_root)
    assert failed.returncode == 1
    assert "pg_restore failed" in failed.stderr
    assert "the target database is still empty" in failed.stderr
    assert table_names(target) == []
    assert not private_root.exists() or files_under(private_root) == {}


def test_restored_content_that_differs_from_the_manifest_is_removed_again(round_trip):
    def claim_other_content(copy: Path, manifest: dict) -> None:
        manifest["tables"]["core_accesslog"]["sha256"] = "0" * 64

    backup = damaged_copy(round_trip, "other-content", claim_other_content)
    target = round_trip.empty_target()
    private_root = round_trip.folder / "other-content-private"
    failed = restore_into(target, backup, private_root)
    assert failed.returncode == 1
    assert "core_accesslog has the right number of rows but different content" in failed.stderr
    assert "the target database is empty" in failed.stderr
    assert table_names(target) == []
    assert query(target, "SELECT count(*) FROM pg_proc WHERE proname LIKE 'core_%'") == [(0,)]
    assert not private_root.exists() or files_under(private_root) == {}


# --- SQLite (the `make run` demo) -------------------------------------------------------------


def sqlite_database(path: Path) -> None:
    """A small database with the shapes that matter: history, access log, a report row."""
    with sqlite3.connect(path) as database:
        database.executescript(
            """
            CREATE TABLE django_migrations (id integer PRIMARY KEY AUTOINCREMENT,
                app varchar(255), name varchar(255), applied datetime);
            INSERT INTO django_migrations (app, name, applied)
                VALUES ('core', '0001_initial', '2026-03-01 09:00:00');
            CREATE TABLE core_accesslog (id char(32) PRIMARY KEY, at datetime, page text,
                allowed bool);
            INSERT INTO core_accesslog VALUES
                ('6f1c0e5a9b7d4c3e8a2b1d0f9e8c7b6a', '2026-03-01 09:30:00', '/p/1/', 1),
                ('0a1b2c3d4e5f60718293a4b5c6d7e8f9', '2026-03-01 09:31:00', '/p/2/', 0);
            CREATE TRIGGER core_accesslog_append_only BEFORE DELETE ON core_accesslog
                BEGIN SELECT RAISE(ABORT, 'append-only'); END;
            CREATE TABLE participants_historicalparticipant (history_id integer PRIMARY KEY
                AUTOINCREMENT, given_name text, history_type varchar(1), price real);
            INSERT INTO participants_historicalparticipant (given_name, history_type, price)
                VALUES ('Jamal', '+', 0.1), ('Jamal', '~', NULL);
            CREATE TABLE reports_reportrequest (id char(32) PRIMARY KEY, file varchar(200));
            INSERT INTO reports_reportrequest VALUES
                ('a1', 'reports/compliance/a1.pdf'), ('b2', ''),
                ('c3', 'reports/compliance/gone.pdf');
            """
        )


def test_sqlite_round_trip_brings_back_the_database_and_report_files(tmp_path):
    source, target = tmp_path / "source.sqlite3", tmp_path / "restored" / "db.sqlite3"
    sqlite_database(source)
    source_files, target_files = tmp_path / "private", tmp_path / "restored-private"
    (source_files / "reports" / "compliance").mkdir(parents=True)
    (source_files / "reports" / "compliance" / "a1.pdf").write_bytes(b"%PDF-1.7 Jamal")
    (source_files / "reports" / "stray.pdf").write_bytes(b"%PDF no row")

    backed_up = manage(
        "backup_data",
        "--output",
        str(tmp_path / "backups"),
        database_url=f"sqlite:///{source}",
        private_root=source_files,
    )
    assert backed_up.returncode == 0, backed_up.stderr
    assert "WARNING: 1 report files the database refers to were not found" in backed_up.stdout
    assert "WARNING: 1 files in the report storage are not referred to" in backed_up.stdout
    (backup,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["report_files_missing"] == ["reports/compliance/gone.pdf"]
    assert manifest["report_files_unreferenced"] == ["reports/stray.pdf"]
    target.parent.mkdir()
    restored = manage(
        "restore_data",
        "--input",
        str(backup),
        database_url=f"sqlite:///{target}",
        private_root=target_files,
    )
    assert restored.returncode == 0, restored.stderr
    assert re.search(r"^Restore complete in \d+\.\d\d s", restored.stdout, re.MULTILINE)
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        for statement in (
            "SELECT * FROM core_accesslog ORDER BY id",
            "SELECT * FROM participants_historicalparticipant ORDER BY history_id",
        ):
            assert copy.execute(statement).fetchall() == original.execute(statement).fetchall()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            copy.execute("DELETE FROM core_accesslog")
    assert files_under(target_files) == {"reports/compliance/a1.pdf": b"%PDF-1.7 Jamal"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    again = manage(
        "restore_data",
        "--input",
        str(backup),
        database_url=f"sqlite:///{target}",
        private_root=target_files,
    )
    assert again.returncode == 1
    assert "is not empty" in again.stderr
