"""Configuration from the environment: embedded defaults, production refusals, deploy check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "RESETTLE_ENV": "production",
    "SECRET_KEY": "p7#Kq2!vZ9x$Lm4@Rt8^Wn1&Bc6*Hd3(Fj5)Gs0_Yk-Ue+Ia=Ox?Pl;Qr:Sv<Tw>Nz",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "resettle.example.nhs.uk",
}


def manage(*args, env_overrides=None, drop=()):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RESETTLE_", "DJANGO_"))}
    for name in (*PRODUCTION_ENV, "DEBUG", "CELERY_TASK_ALWAYS_EAGER", *drop):
        env.pop(name, None)
    env.update(env_overrides or {})
    env["DJANGO_SETTINGS_MODULE"] = "resettle.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_naming_the_missing_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "will not start in production without" in result.stderr
    assert missing in result.stderr


def test_production_refuses_debug():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_embedded_default_is_sqlite_with_eager_celery():
    code = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = manage("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["django.db.backends.sqlite3", "True"]


def test_uk_conventions(settings):
    import datetime

    from django.utils import formats, translation

    assert settings.TIME_ZONE == "Europe/London"
    assert settings.USE_TZ
    with translation.override("en-gb"):
        assert formats.date_format(datetime.date(2026, 3, 5)) == "5 March 2026"
        assert formats.time_format(datetime.time(15, 30)) == "15:30"


@pytest.mark.parametrize("secret", ["django-insecure-REPLACE-ME-with-a-long-random-value", "short"])
def test_production_refuses_a_placeholder_or_short_secret_key(secret):
    result = manage("check", env_overrides={**PRODUCTION_ENV, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "SECRET_KEY is a placeholder or too short" in result.stderr


def test_production_refuses_in_process_celery():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "CELERY_TASK_ALWAYS_EAGER": "true"})
    assert result.returncode != 0
    assert "CELERY_TASK_ALWAYS_EAGER must be off in production" in result.stderr
