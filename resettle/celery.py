"""The Celery application: JSON only, late acknowledgement, time limits (see settings)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettle.settings")

app = Celery("resettle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def limit_worker_memory(**_kwargs) -> None:
    """A hard cap on each worker process's memory: a runaway report fails, the host survives."""
    import resource

    from django.conf import settings

    limit = settings.REPORT_WORKER_MEMORY_LIMIT_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
