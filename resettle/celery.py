"""The Celery application: JSON only, late acknowledgement, time limits (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")

app = Celery("resettle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
