"""Test settings: PostgreSQL and Redis on this machine, a fast password hasher, local email."""

import os
import re
from pathlib import Path

os.environ.setdefault(
    "PRIVATE_STORAGE_ROOT", str(Path(__file__).resolve().parents[1] / "test-artifacts" / "private")
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/resettle")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEBUG = False
# Most tests sign in with a password only; the two-factor tests turn this on themselves.
REQUIRE_TWO_FACTOR = False

# Each run of the suite is on its own, so two runs on one machine (two clones, a run while a
# colleague's is going) never meet. RESETTLE_TEST_RUN names the run: by default this process's
# id, which pytest-xdist's workers and every process the tests start inherit with the rest of
# the environment. Give it a name of your own to keep a database with --reuse-db.
TEST_RUN = re.sub(
    r"[^a-z0-9_]", "_", os.environ.setdefault("RESETTLE_TEST_RUN", f"run{os.getpid()}").lower()
)[:30]
# Its test database; pytest-django adds xdist's worker ("_gw0") to the name itself, and drops
# the database at the end (unless --reuse-db). tests/conftest.py drops those of runs that died.
DATABASES["default"]["TEST"] = {"NAME": f"test_resettle_{TEST_RUN}"}  # noqa: F405
# A test's commit need not wait for the disk (the test database is thrown away at the end):
# the suite's many commits (transactional, browser and worker tests) each save a flush.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"  # noqa: F405
# Its keys in Redis (the worker's queues, bindings and results), per run and per xdist worker:
# the fixtures empty only these, never the whole database.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
REDIS_KEY_PREFIX = f"resettle-test:{TEST_RUN}{'_' + TEST_WORKER if TEST_WORKER else ''}:"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": REDIS_KEY_PREFIX,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": REDIS_KEY_PREFIX}
