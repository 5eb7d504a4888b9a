import pytest

from tests.world import (
    built_once,
    fresh_copy,
    make_other_service,
    make_participant,
    make_personas,
    make_service,
    make_world,
)


@pytest.fixture
def service(db):
    return make_service()


@pytest.fixture
def other_service(db):
    return make_other_service()


@pytest.fixture
def personas(service, other_service):
    """The named people every story is told with (see CONVENTIONS.md)."""
    return make_personas(service, other_service)


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def participant(personas, service):
    """Jamal, accepted from a referral, with his team allocated (OM, keyworker, psychologist)."""
    return make_participant(personas, service)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """service, other_service, personas and participant, built once for the module that asks
    (tests.world.built_once: one transaction for the module, a savepoint for each test).
    Modules opt in with tests.world.from_world (see there)."""
    with built_once(django_db_blocker, make_world) as built:
        yield built


@pytest.fixture
def fresh_world(world, db):
    """This test's own deep copy of the module's world (its rows are the same rows)."""
    return fresh_copy(world)


# The test database is migrated once for the whole run: the first process to get here (an
# xdist worker, or the only process) migrates its own and copies it as the run's template,
# `test_resettle_<run>_migrated`; every other worker waits for it and starts from a copy of
# it (a second) instead of migrating too (most of a minute on a busy machine).
_TEMPLATE = {"lock": None, "cloned": False}


def migrated_template() -> str:
    from django.conf import settings

    return f"test_resettle_{settings.TEST_RUN}_migrated"


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings) -> bool:
    """pytest-django's --reuse-db; otherwise True only when this worker's database was copied
    from the run's template (pytest-django then only checks its migrations, and
    django_db_setup drops it at the end)."""
    import fcntl
    import tempfile
    from pathlib import Path

    from django.db import connections

    if request.config.getvalue("reuse_db"):
        return True
    settings_dict = connections["default"].settings_dict
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        return False
    template = migrated_template()
    lock = (Path(tempfile.gettempdir()) / f"{template}.lock").open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not server_statement(
        settings_dict, "SELECT 1 FROM pg_database WHERE datname = %s", template
    ):
        _TEMPLATE["lock"] = lock  # held until django_db_setup has made the template
        return False
    try:
        name = connections["default"].creation._get_test_db_name()
        server_statement(settings_dict, "DROP DATABASE IF EXISTS {}", names=[name])
        server_statement(settings_dict, "CREATE DATABASE {} TEMPLATE {}", names=[name, template])
    finally:
        lock.close()
    _TEMPLATE["cloned"] = True
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; the process that migrated it copies it as the run's
    template, before any test writes to it. Yields the template's name (PostgreSQL only): a
    test that needs a whole database of its own starts from a copy (`pristine_database`)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    name = settings_dict["NAME"]
    made = name == connections["default"].creation._get_test_db_name()
    template = migrated_template()
    lock, _TEMPLATE["lock"] = _TEMPLATE["lock"], None
    try:
        if lock is not None and made:
            with django_db_blocker.unblock():
                for connection in connections.all():
                    connection.close()  # a template must have no one connected
                server_statement(
                    settings_dict, "CREATE DATABASE {} TEMPLATE {}", names=[template, name]
                )
    finally:
        if lock is not None:
            lock.close()
    postgresql = settings_dict["ENGINE"] == "django.db.backends.postgresql"
    yield template if postgresql and made else None
    if _TEMPLATE["cloned"]:  # kept by pytest-django (keepdb): this run's own, so dropped here
        connections.close_all()
        server_statement(settings_dict, "DROP DATABASE IF EXISTS {} WITH (FORCE)", names=[name])


def pytest_sessionfinish(session):
    """The run's template goes when the run ends (in the controller, after its workers)."""
    import os

    from django.conf import settings

    if os.environ.get("PYTEST_XDIST_WORKER") or not settings.configured:
        return
    settings_dict = settings.DATABASES["default"]
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        server_statement(
            settings_dict, "DROP DATABASE IF EXISTS {} WITH (FORCE)", names=[migrated_template()]
        )


@pytest.fixture(scope="session")
def pristine_database(django_db_setup) -> str:
    """The name of the run's migrated, empty template database (see django_db_setup)."""
    if django_db_setup is None:
        pytest.skip("needs the PostgreSQL test database (mark the test django_db)")
    return django_db_setup


def server_statement(settings_dict: dict, statement: str, *values, names=()) -> list[tuple]:
    """One statement (database `names` as {} identifiers, `values` as %s parameters) run on the
    server outside any database's transaction; the rows it gave."""
    from psycopg2 import sql

    from tests.run_isolation import server_connection

    connection = server_connection(settings_dict)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(statement).format(*map(sql.Identifier, names)), values)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


# The same in every test (made by migrations): kept, so nothing has to make them again.
REFERENCE_TABLES = {
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}


# Refuse DELETE by design (a PostgreSQL trigger): emptied with TRUNCATE instead.
APPEND_ONLY_TABLES = {"core_accesslog", "accounts_accountevent"}


_QUICK_FLUSH = {"on": False}


@pytest.fixture(scope="session", autouse=True)
def keep_reference_data():
    """A transactional test's flush never empties the reference tables the migrations filled
    (content types, permissions, role groups): otherwise every later test on the same worker
    would run without role groups, and what it sees would depend on the order of modules.

    Tables are truncated as Django does, unless a module asks for quick_flush: then the few
    rows a test made are deleted instead (milliseconds rather than seconds on a busy
    PostgreSQL; foreign keys are deferred to the commit). The access and account logs refuse
    DELETE by design, so they are always truncated.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        tables = [table for table in tables if table not in REFERENCE_TABLES]
        if reset_sequences or allow_cascade or not _QUICK_FLUSH["on"]:
            return truncate(self, style, tables, reset_sequences=reset_sequences,
                            allow_cascade=allow_cascade)  # fmt: skip
        return [
            f"TRUNCATE {self.quote_name(table)};"
            if table in APPEND_ONLY_TABLES
            else f"DELETE FROM {self.quote_name(table)};"  # noqa: S608 - names from introspection
            for table in tables
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", flush)
        yield


@pytest.fixture(scope="module")
def quick_flush():
    """Empty the tables after each transactional test of this module with DELETE rather than
    TRUNCATE (see keep_reference_data). Module-scoped, so it is in place when pytest-django
    flushes after each test of the module that asks for it."""
    _QUICK_FLUSH["on"] = True
    yield
    _QUICK_FLUSH["on"] = False


def pytest_sessionstart(session):
    """Clear what runs of the suite that died left behind (each run's database and Redis keys
    are its own: resettle/settings_test.py), before this run makes its own."""
    import os

    from django.conf import settings

    from tests.run_isolation import drop_databases_of_dead_runs, forget_redis_keys_of_dead_runs

    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the controller does it once, before its workers start
    dropped = drop_databases_of_dead_runs(settings.DATABASES["default"])
    forget_redis_keys_of_dead_runs(settings.REDIS_URL)
    if dropped:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"Dropped test databases left by runs that died: {dropped}")
