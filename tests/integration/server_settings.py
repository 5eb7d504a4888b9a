"""Production settings (RESETTLE_ENV=production, DEBUG off, two-factor sign-in, persistent
database connections with health checks) for the app server the outage tests run.

Only static files differ: production serves the manifest `collectstatic` writes when the image
is built, which the tests do not run.
"""

from resettle.settings import *  # noqa: F403
from resettle.settings import STORAGES

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
