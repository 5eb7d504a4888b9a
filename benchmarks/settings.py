"""Settings for `make bench`: the real settings with DEBUG off and two-factor sign-in on, plus
one trivial signed-in page (benchmarks/urls.py) to divide by."""

from resettle.settings import *  # noqa: F403

DEBUG = False
REQUIRE_TWO_FACTOR = True
ROOT_URLCONF = "benchmarks.urls"
# The measuring process keeps one connection, as a gunicorn worker does.
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
