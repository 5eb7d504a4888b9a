"""Test settings: PostgreSQL and Redis on this machine, a fast password hasher, local email."""

import os
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
