"""Configuration from the environment: embedded defaults, production refusals, deploy check."""

import os
import re
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


# --- Account security: two-factor sign-in, cookies, Content-Security-Policy -------------------


def setting_values(*names, env_overrides=None) -> dict:
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = manage("shell", "-c", code, env_overrides=env_overrides)
    assert result.returncode == 0, result.stderr
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_refuses_to_turn_two_factor_sign_in_off():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "REQUIRE_TWO_FACTOR": "false"})
    assert result.returncode != 0
    assert "REQUIRE_TWO_FACTOR must be on when RESETTLE_ENV=production" in result.stderr


def test_two_factor_sign_in_is_on_in_production_and_off_in_the_demo():
    assert setting_values("REQUIRE_TWO_FACTOR", env_overrides=PRODUCTION_ENV) == {
        "REQUIRE_TWO_FACTOR": True
    }
    assert setting_values("REQUIRE_TWO_FACTOR") == {"REQUIRE_TWO_FACTOR": False}
    assert setting_values("REQUIRE_TWO_FACTOR", env_overrides={"REQUIRE_TWO_FACTOR": "true"}) == {
        "REQUIRE_TWO_FACTOR": True
    }


def test_production_cookies_are_secure_http_only_and_same_site_with_hsts():
    values = setting_values(
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_AGE",
        env_overrides=PRODUCTION_ENV,
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_AGE": 1800,
    }


@pytest.mark.django_db
def test_sign_in_cookies_are_http_only_and_same_site(client):
    page = client.get("/accounts/sign-in/")
    csrf = page.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"
    # Forms carry the token in the page (the cookie is never read by JavaScript).
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def parse_csp(header: str) -> dict:
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/sign-in/", "/", "/participants/caseload/", "/admin/"])
def test_every_page_has_the_content_security_policy(client_for, personas, path):
    response = client_for(personas["service_manager"]).get(path)
    assert parse_csp(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_settings_spell_the_content_security_policy_for_django_csp_4(settings):
    assert "csp" in settings.INSTALLED_APPS
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert not [name for name in dir(settings) if name.startswith("CSP_")]  # the 3.x style
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert {key: " ".join(value) for key, value in directives.items()} == EXPECTED_CSP


TEMPLATES = ROOT / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
# Django's {# #} comments end on their line; {% comment %} blocks may span lines.
DJANGO_COMMENT = re.compile(r"{#[^\n]*?#}|{% comment %}(?s:.*?){% endcomment %}")
# PDFs are drawn by WeasyPrint on the server, never shown in a browser under the policy.
SERVED_TEMPLATES = [
    p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts
]


@pytest.mark.parametrize("template", SERVED_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_have_nothing_inline_the_policy_would_block(template):
    text = DJANGO_COMMENT.sub("", template.read_text())
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("inline on* handler", INLINE_HANDLER),
        ("style attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
    ):
        assert not pattern.search(text), f"{name} in {template.name}: {pattern.search(text)[0]}"


def test_htmx_is_told_not_to_inject_its_indicator_style():
    base = (TEMPLATES / "base.html").read_text()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', base)
    import json

    assert json.loads(config.group(1))["includeIndicatorStyles"] is False


def test_every_environment_variable_is_documented():
    """README's Configuration table and .env.example list every variable settings.py reads."""
    read = set(
        re.findall(r'env(?:\.[a-z]+)?\(\s*"([A-Z_]+)"', (ROOT / "resettle/settings.py").read_text())
    )
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert {name for name in read if f"| `{name}` |" not in readme} == set()
    assert {name for name in read if not re.search(rf"^{name}=", example, re.M)} == set()
