"""Resettle settings, read from the environment.

With no variables set you get the embedded default used by `make run`: DEBUG on, SQLite,
Celery in eager mode. With RESETTLE_ENV=production every secret must be given, or the
process refuses to start with a message naming what is missing.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

RESETTLE_ENV = env.str("RESETTLE_ENV", default="development")
if RESETTLE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"RESETTLE_ENV must be 'development' or 'production', not {RESETTLE_ENV!r}."
    )
PRODUCTION = RESETTLE_ENV == "production"

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
if PRODUCTION:
    missing = [name for name in REQUIRED_IN_PRODUCTION if not env.str(name, default="")]
    if missing:
        raise ImproperlyConfigured(
            "Resettle will not start in production without: "
            + ", ".join(missing)
            + ". Set them in the environment (see README, 'Configuration')."
        )

    secret = env.str("SECRET_KEY")
    if len(secret) < 50 or secret.startswith("django-insecure") or "REPLACE-ME" in secret:
        raise ImproperlyConfigured(
            "SECRET_KEY is a placeholder or too short: use 50 or more random characters."
        )

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when RESETTLE_ENV=production.")

# Staff sign in with a password and a code from an authenticator app (TOTP). Only the
# `make run` demo and tests may turn it off; the sign-in page then says so.
REQUIRE_TWO_FACTOR = env.bool("REQUIRE_TWO_FACTOR", default=PRODUCTION)
if PRODUCTION and not REQUIRE_TWO_FACTOR:
    raise ImproperlyConfigured(
        "REQUIRE_TWO_FACTOR must be on when RESETTLE_ENV=production: case records need "
        "two-factor sign-in."
    )

# The development key is only ever used without RESETTLE_ENV=production (checked above).
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="development-only-insecure-key-7f3c2a9e1b5d4c8a0e6f2d1b9a7c5e3f",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "simple_history",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "resettle.accounts",
    "resettle.core",
    "participants",
    "riskplans",
    "sessions.apps.KeyworkConfig",
    "crisisline",
    "reports",
]
if not PRODUCTION:
    # The benchmark dataset generator (generate_dataset); never part of a production image.
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    # First: the client address and HTTPS flag, read through trusted proxies only.
    "resettle.core.security.TrustedProxyMiddleware",
    "resettle.core.security.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Django's, with an unreachable database in mind (see resettle/core/middleware.py).
    "resettle.core.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # One read of the person's memberships and rights per request (request.access).
    "resettle.access.AccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # TRACE, OPTIONS and control characters in the address refused (405, 400) before any page.
    "resettle.core.security.RequestGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "resettle.audit.CurrentRequestMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "resettle.core.middleware.NoStoreForSignedInMiddleware",
    # Closed accounts and people without a role are signed out at their next request; then
    # every page needs the second factor when REQUIRE_TWO_FACTOR is on.
    "resettle.core.middleware.SignOutClosedAccountsMiddleware",
    "resettle.core.middleware.TwoFactorRequiredMiddleware",
    # A form sent after the idle sign-out is kept for its author and shown back after sign-in.
    "resettle.core.kept_work.KeptWorkMiddleware",
    # Last: turns a locked-out sign-in into the sign-in page with status 429.
    "axes.middleware.AxesMiddleware",
]

FORM_RENDERER = "resettle.core.forms.GovukFormRenderer"

ROOT_URLCONF = "resettle.urls"
WSGI_APPLICATION = "resettle.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "resettle.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # With the database unreachable a page gives up after 5 seconds and says the service is
    # unavailable, instead of waiting as long as TCP does (minutes, past gunicorn's timeout).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # Pages read a few rows by index: starting parallel workers costs more than it saves and
    # made the same page slower on a large database than on a small one (benchmarks/).
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c max_parallel_workers_per_gather=0")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Two-factor sign-in (django-otp TOTP). A code is accepted once (the device keeps the last
# time step used); wrong codes wait 1, 2, 4, 8… seconds before the next try.
OTP_TOTP_ISSUER = "Resettle"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sign-in throttling (django-axes): failures are counted per email address *and* network
# address, so a colleague behind the same NHS gateway is never locked out with someone
# else. The message is the same whether or not the account exists.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_MINUTES = env.int("AXES_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("AXES_FAILURE_LIMIT and AXES_COOLOFF_MINUTES must be 1 or more.")
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "resettle.accounts.services.sign_in_name"
AXES_LOCKOUT_CALLABLE = "resettle.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
# Trying again while locked out does not restart the wait: the cool-off stays finite.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no start-up banner; failures and lockouts are still logged
# The lockout counts the same address the access log records (see TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "resettle.core.security.client_address"

# At least 12 characters, not a common password, not all digits, not like the person's own
# email address or name (Django's default looks at first/last name, which this User lacks).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# UK conventions: London time shown, UTC stored; "5 March 2026"; 24-hour clock.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# The service is in English only: without the translation machinery every date, URL and
# label drawn costs about a third less (formats still come from en-gb and resettle.formats).
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = ["resettle.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static" / "dist"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
# Files with personal data (reports) live outside any public URL and are served by views:
# the private storage refuses to build a public address for them.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(BASE_DIR / "private")))
STORAGES["reports"] = {
    "BACKEND": "resettle.core.storage.PrivateFileSystemStorage",
    "OPTIONS": {
        "location": str(PRIVATE_STORAGE_ROOT),
        "file_permissions_mode": 0o600,
        "directory_permissions_mode": 0o700,
    },
}

# Records of men whose involvement ended more than this many years ago (counted from the later
# of the end of his involvement and the last thing recorded about him) are listed for the
# service manager's review; nothing is deleted without their recorded decision. The default,
# 20, is the NHS Records Management Code's period for mental-health records ("20 years after
# last contact"), the longest schedule that applies to this joint NHS and probation record.
_retention_years = env.str("RECORD_RETENTION_YEARS", default="20").strip()
if not _retention_years.isdigit() or not 1 <= int(_retention_years) <= 100:
    raise ImproperlyConfigured(
        "RECORD_RETENTION_YEARS must be a whole number of years from 1 to 100, "
        f"not {_retention_years!r}."
    )
RECORD_RETENTION_YEARS = int(_retention_years)

# Request size. Nothing is uploaded (tests/core/test_no_uploads.py keeps it so): the largest
# honest post is a formulation's ten boxes of text. A bigger body is refused with a 400 page
# before any of it is read into memory or saved.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MiB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Sessions expire: a shared office computer must not stay signed in to case records.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_SAVE_EVERY_REQUEST = True  # the age counts from the last request: an idle timeout
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "resettle.core.views.csrf_failure"

# How many reverse proxies of ours stand in front of the app. Only the addresses and scheme
# they add to X-Forwarded-For and X-Forwarded-Proto are believed; with 0 (the default) both
# headers are ignored and the connecting address is the client (resettle/core/security.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if not 0 <= TRUSTED_PROXY_COUNT <= 5:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be a whole number from 0 to 5.")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): only the site's own scripts, styles and images, so
# an injected <script>, inline handler or style attribute never runs. htmx's indicator style
# is turned off in base.html's htmx-config; the two-factor QR code is inline SVG markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

if PRODUCTION:
    # HTTPS behind a TLS-terminating proxy is known from X-Forwarded-Proto as our trusted
    # proxies set it (TRUSTED_PROXY_COUNT), never from what a client claims.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Redis is the Celery broker. Without REDIS_URL (embedded default) tasks run eagerly in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
if PRODUCTION and CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured(
        "CELERY_TASK_ALWAYS_EAGER must be off in production: reports run on Celery workers."
    )
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request must not hang when Redis is down: publishing fails fast, the request stays queued
# and the sweep sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
# Workers are replaced after a report that left them large, and never hold more than this.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=400_000)
CELERY_WORKER_MAX_TASKS_PER_CHILD = 50

# Reports: per-task limits (seconds) and a hard cap on a worker process's memory (MiB).
REPORT_SOFT_TIME_LIMIT = env.int("REPORT_SOFT_TIME_LIMIT", default=120)
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=150)
REPORT_WORKER_MEMORY_LIMIT_MB = env.int("REPORT_WORKER_MEMORY_LIMIT_MB", default=2048)
# A request still queued after this long (the broker was down) is sent again by the sweep.
REPORT_RESEND_AFTER_SECONDS = env.int("REPORT_RESEND_AFTER_SECONDS", default=120)
CELERY_BEAT_SCHEDULE = {
    "reports-sweep": {"task": "reports.sweep", "schedule": 300.0},
    # 06:00 on the first day of each quarter: the draft commissioner reports.
    "reports-quarterly": {
        "task": "reports.queue_quarterly",
        "schedule": crontab(minute=0, hour=6, day_of_month=1, month_of_year="1,4,7,10"),
    },
}
CELERY_TIMEZONE = TIME_ZONE

# A live check of Redis must answer fast or report a fault: /healthz never hangs.
HEALTHZ_REDIS_TIMEOUT_SECONDS = 1.0


SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True
SIMPLE_HISTORY_REVERT_DISABLED = True

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="resettle@localhost")

SERVICE_NAME = "Resettle"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
