"""Celery tasks for reports: ids only, late acknowledgement, time limits (see settings)."""

from celery import shared_task
from django.conf import settings

from resettle.core.tasks import AuditedTask

from . import services


@shared_task(
    base=AuditedTask,
    name="reports.produce_report",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT,
)
def produce_report_task(report_id: str) -> str:
    return services.produce_report(report_id)


@shared_task(base=AuditedTask, name="reports.sweep", ignore_result=True, time_limit=120)
def sweep_reports_task() -> dict:
    return services.sweep_reports()


@shared_task(base=AuditedTask, name="reports.queue_quarterly", ignore_result=True, time_limit=300)
def queue_quarterly_reports_task() -> int:
    return len(services.queue_quarterly_reports())
