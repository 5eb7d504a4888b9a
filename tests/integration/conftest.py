"""A real Celery worker, consuming from Redis, against the test database."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings

ROOT = Path(__file__).resolve().parents[2]
# One Redis database for every run; each run (and xdist worker) keeps to its own keys, named
# by resettle/settings_test.py, and the worker started below inherits the same names.
TEST_REDIS_URL = django_settings.REDIS_URL
REDIS_KEY_PREFIX = django_settings.REDIS_KEY_PREFIX
PRIVATE_ROOT = ROOT / "test-artifacts" / "private"


def start_worker(
    database_name: str, *, hostname: str, log_name: str, queues: str = "", extra_env=None
) -> tuple[subprocess.Popen, object]:
    """A prefork worker (as in production: time limits and a lost child are handled as
    there) on the test database, ready to consume. Its settings come from its environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "resettle.settings_test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database_name}",
        "REDIS_URL": TEST_REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PRIVATE_STORAGE_ROOT": str(PRIVATE_ROOT),
        **(extra_env or {}),
    }
    if worker_id := os.environ.get("PYTEST_XDIST_WORKER"):  # each xdist worker its own log
        log_name = log_name.replace(".log", f"-{worker_id}.log")
    log_path = ROOT / "test-artifacts" / log_name
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "resettle", "worker",
            "--pool=prefork", "--concurrency=1", "--loglevel=INFO",
            "--without-mingle", "--without-gossip", f"--hostname={hostname}",
            *(["--queues", queues] if queues else []),
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "ready." in log_path.read_text():
            return worker, log
        if worker.poll() is not None:
            raise RuntimeError(f"Celery worker exited early:\n{log_path.read_text()}")
        time.sleep(0.2)
    worker.terminate()
    raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")


def stop_worker(worker: subprocess.Popen, log) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


def forget_redis_keys() -> int:
    """Remove this run's keys (queues, bindings, results) and no other run's; how many."""
    client = redis.Redis.from_url(TEST_REDIS_URL)
    keys = list(client.scan_iter(match=f"{REDIS_KEY_PREFIX}*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


def database_name(django_db_blocker) -> str:
    from django.db import connection

    with django_db_blocker.unblock():
        return connection.settings_dict["NAME"]


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    forget_redis_keys()
    worker, log = start_worker(
        database_name(django_db_blocker),
        hostname="test-worker@%h",
        log_name="celery-worker.log",
    )
    yield worker
    stop_worker(worker, log)
    forget_redis_keys()


@contextmanager
def tasks_through_redis(settings):
    """Send tasks through Redis to real workers instead of running them in-process."""
    from resettle.celery import app

    previous = (app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend)
    app.conf.task_always_eager = False
    app.conf.broker_url = TEST_REDIS_URL
    app.conf.result_backend = TEST_REDIS_URL
    settings.CELERY_TASK_ALWAYS_EAGER = False
    try:
        yield app
    finally:
        app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend = previous


@pytest.fixture
def celery_through_worker(celery_worker_process, settings):
    """Send tasks through Redis to the real worker instead of running them in-process."""
    with tasks_through_redis(settings) as app:
        yield app


def free_port() -> int:
    """A port nothing listens on (the OS just handed it out and it is closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_broker(app, url: str) -> None:
    """Point the app's producers at another broker (the pools are rebuilt on next use)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_unreachable(settings):
    """Redis is down: Celery is not eager and the broker (and /healthz's Redis) is a closed port."""
    from resettle.celery import app

    url = f"redis://127.0.0.1:{free_port()}/14"
    eager, working_broker = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    use_broker(app, url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = url  # what /healthz checks
    yield url
    app.conf.task_always_eager = eager
    use_broker(app, working_broker)


@pytest.fixture(scope="module")
def app_server(django_db_setup, django_db_blocker, request):
    """gunicorn with production settings, reaching the test database through a TcpProxy."""
    from django.db import connection

    from tests.integration.live_server import start_app_server, stop_app_server

    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    module = request.module.__name__.rsplit(".", 1)[-1]
    server = start_app_server(database_name, f"{module}-server.log")
    yield server
    stop_app_server(server)


@pytest.fixture
def live(app_server):
    """The app server, with the database reachable again after each test."""
    yield app_server
    app_server.proxy.restore()
