"""Runs of the suite on one machine each keep to their own database and Redis keys (named in
resettle/settings_test.py after RESETTLE_TEST_RUN, by default "run<pid of pytest>"). A run
drops its own at the end; this clears what runs that died (killed, machine restarted) left."""

import os
import re

STALE_DATABASE = re.compile(
    # A run's test database (an xdist worker's ends in _gw<n>) and its migrated template
    # (tests/conftest.py), and the scratch databases of
    # tests/core/test_backup_restore.py, named after the process that made them.
    r"^(?:test_resettle_run(?P<run>\d+)(?:_gw\d+|_migrated)?"
    r"|.+_bk_(?P<scratch>\d+)_(?:source|target|spare))$"
)
STALE_KEY = re.compile(rb"^resettle-test:run(?P<run>\d+)[_:]")


def process_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def server_connection(settings_dict: dict, **options):
    """A connection to the PostgreSQL server of `settings_dict` (its `postgres` database), for
    statements about whole databases."""
    import psycopg2

    return psycopg2.connect(
        dbname="postgres",
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        **options,
    )


def dead_runs_databases(names: list[str]) -> list[str]:
    """Of these database names, those a run of the suite made whose process has ended."""
    stale = []
    for name in names:
        found = STALE_DATABASE.match(name)
        if found and not process_is_running(int(found["run"] or found["scratch"])):
            stale.append(name)
    return stale


def drop_databases_of_dead_runs(settings_dict: dict) -> list[str]:
    """Drop the test databases of runs that ended without dropping them (none is in use)."""
    import psycopg2
    from psycopg2 import sql

    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        return []
    try:
        connection = server_connection(settings_dict, connect_timeout=3)
    except psycopg2.OperationalError:
        return []  # pytest-django says so, loudly, when it makes the test database
    dropped = []
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database AS d WHERE NOT EXISTS "
                "(SELECT 1 FROM pg_stat_activity AS a WHERE a.datname = d.datname)"
            )
            for name in dead_runs_databases([row[0] for row in cursor.fetchall()]):
                try:
                    cursor.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
                    )
                except psycopg2.Error:
                    continue  # someone connected meanwhile: left for the next run
                dropped.append(name)
    finally:
        connection.close()
    return dropped


def forget_redis_keys_of_dead_runs(url: str) -> int:
    """Remove the Redis keys of runs that ended without removing them; how many."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        keys = [
            key
            for key in client.scan_iter(match="resettle-test:run*", count=1000)
            if (found := STALE_KEY.match(key)) and not process_is_running(int(found["run"]))
        ]
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        return 0  # the integration tests say so when they need Redis
    return len(keys)
