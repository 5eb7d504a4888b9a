"""Asking for reports, producing them exactly once, retrying, approving, and the schedules.

The ReportRequest row is the source of truth. A request is saved before any task is sent and
sent only once that is committed; when the broker cannot be reached the request stays queued
and the sweep sends it later. Producing a report claims the row, renders, then saves the file
under a name fixed by the request's id and marks it ready in one locked step: a task that runs
twice, or is redelivered after a worker died, never leaves a second or a different file.
"""

import datetime
import logging
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from participants import services as participant_services
from participants.access import may_recall
from participants.models import Participant
from resettle import access
from resettle.accounts.models import Service, User
from resettle.accounts.roles import Role
from resettle.audit import records_actor

from . import commissioner, licence_compliance
from .models import ReportKind, ReportRequest, ReportStatus, report_storage
from .pdf import STATIC_BASE, render_pdf
from .quarters import Quarter, completed_quarters

logger = logging.getLogger(__name__)

# A run may be attempted this often (a worker lost mid-run, a redelivery) before it fails.
MAX_ATTEMPTS = 3
# The longest period one licence-compliance report may cover.
MAX_COMPLIANCE_DAYS = 3 * 366


# --- Asking ---------------------------------------------------------------------------------


def _check_period(start: datetime.date, end: datetime.date) -> None:
    today = timezone.localdate()
    if end < start:
        raise ValidationError({"end": "The end date must be the same as or after the start date"})
    if end > today:
        raise ValidationError({"end": "The end date must be today or in the past"})
    if (end - start).days > MAX_COMPLIANCE_DAYS:
        raise ValidationError({"start": "A report can cover at most 3 years"})


@records_actor
def request_compliance_report(
    *, actor: User, participant: Participant, start: datetime.date, end: datetime.date
) -> tuple[ReportRequest, bool]:
    """Ask for a licence-compliance report. Returns the request and whether it was sent.

    The same request still being made (a double click, a second tab) is returned, not repeated.
    """
    if not may_recall(actor, participant):
        raise ValidationError(
            "Only his offender manager or a service manager can ask for this report"
        )
    _check_period(start, end)
    with transaction.atomic():
        participant_services.lock_participant(participant)  # one asker at a time about him
        same = ReportRequest.objects.filter(
            kind=ReportKind.COMPLIANCE,
            participant=participant,
            period_start=start,
            period_end=end,
            requested_by=actor,
            status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING),
        ).first()
        if same is not None:
            return same, _was_sent(same)
        report = ReportRequest.objects.create(
            kind=ReportKind.COMPLIANCE,
            service_id=participant.service_id,
            participant=participant,
            period_start=start,
            period_end=end,
            requested_by=actor,
        )
    return report, send_after_commit(report)


def _check_quarter_has_ended(quarter: Quarter) -> None:
    if quarter.end >= timezone.localdate():
        raise ValidationError({"quarter": "Choose a quarter that has ended"})


@records_actor
def request_commissioner_report(
    *, actor: User, service: Service, quarter: Quarter, scheduled: bool = False
) -> tuple[ReportRequest, bool]:
    """The quarter's commissioner report for one service: at most one current draft or report.

    Asking again returns the current one (and retries it if it failed).
    """
    if not scheduled and not access.is_service_manager_of(actor, service.pk):
        raise ValidationError("Only the service's manager can ask for its commissioner report")
    _check_quarter_has_ended(quarter)
    with transaction.atomic():
        Service.objects.select_for_update().get(pk=service.pk)  # one asker at a time
        report = ReportRequest.objects.filter(
            kind=ReportKind.COMMISSIONER,
            service=service,
            period_start=quarter.start,
            superseded_at__isnull=True,
        ).first()
        if report is None:
            report = ReportRequest.objects.create(
                kind=ReportKind.COMMISSIONER,
                service=service,
                period_start=quarter.start,
                period_end=quarter.end,
                requested_by=actor,
                scheduled=scheduled,
            )
        elif report.status == ReportStatus.FAILED:
            _reset_for_retry(report)
        else:
            return report, _was_sent(report)
    return report, send_after_commit(report)


def _was_sent(report: ReportRequest) -> bool:
    """Whether a request asked for again is already with the worker (else the sweep sends it)."""
    return report.status != ReportStatus.QUEUED or report.last_sent_at is not None


@records_actor
def request_national_rollup(*, actor: User, quarter: Quarter) -> tuple[ReportRequest, bool]:
    """The roll-up across every service whose manager approved the quarter's report."""
    if not access.has_role(actor, [Role.COMMISSIONER]):
        raise ValidationError("Only commissioners can ask for the national roll-up")
    _check_quarter_has_ended(quarter)
    with transaction.atomic():
        report = (
            ReportRequest.objects.select_for_update()
            .filter(
                kind=ReportKind.NATIONAL, period_start=quarter.start, superseded_at__isnull=True
            )
            .first()
        )
        if report is not None and report.status == ReportStatus.SUCCEEDED:
            included = set((report.figures or {}).get("services", []))
            if set(_approved_reports(quarter).values_list("service__name", flat=True)) == included:
                return report, True
            report.superseded_at = timezone.now()  # more services approved since: produce anew
            report.save()
            report = None
        if report is None:
            try:
                with transaction.atomic():
                    report = ReportRequest.objects.create(
                        kind=ReportKind.NATIONAL,
                        period_start=quarter.start,
                        period_end=quarter.end,
                        requested_by=actor,
                    )
            except IntegrityError:
                # Another commissioner asked at the same moment (no row existed to lock).
                current = ReportRequest.objects.get(
                    kind=ReportKind.NATIONAL,
                    period_start=quarter.start,
                    superseded_at__isnull=True,
                )
                return current, True
        elif report.status == ReportStatus.FAILED:
            _reset_for_retry(report)
        else:
            return report, True
    return report, send_after_commit(report)


@records_actor
def produce_again(*, actor: User, report: ReportRequest) -> tuple[ReportRequest, bool]:
    """Replace an unapproved commissioner draft with one made from today's records."""
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().get(pk=report.pk)
        if report.kind != ReportKind.COMMISSIONER or report.is_approved:
            raise ValidationError("Only a draft commissioner report can be produced again")
        if report.is_active:
            raise ValidationError("This report is still being produced")
        if report.superseded_at:  # e.g. the button pressed twice: a newer draft exists
            raise ValidationError("A newer draft already replaced this one")
        report.superseded_at = timezone.now()
        report.save()
        fresh = ReportRequest.objects.create(
            kind=report.kind,
            service=report.service,
            period_start=report.period_start,
            period_end=report.period_end,
            requested_by=actor,
        )
    return fresh, send_after_commit(fresh)


def _reset_for_retry(report: ReportRequest) -> None:
    report.status = ReportStatus.QUEUED
    report.progress = 0
    report.step = ""
    report.attempts = 0
    report.error_message = ""
    report.started_at = None
    report.finished_at = None
    report.save()


@records_actor
def retry_report(*, actor: User, report: ReportRequest) -> bool:
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().get(pk=report.pk)
        if report.status != ReportStatus.FAILED:
            raise ValidationError("Only a failed report can be tried again")
        _reset_for_retry(report)
    return send_after_commit(report)


@records_actor
def approve_report(*, actor: User, report: ReportRequest) -> ReportRequest:
    """The service manager's approval: from now on commissioners can see it."""
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().get(pk=report.pk)
        if report.kind != ReportKind.COMMISSIONER:
            raise ValidationError("Only commissioner reports are approved")
        if not access.is_service_manager_of(actor, report.service_id):
            raise ValidationError("Only the service's manager can approve its report")
        if report.status != ReportStatus.SUCCEEDED:
            raise ValidationError("The report must be ready before it can be approved")
        if report.superseded_at:
            raise ValidationError("A newer draft replaced this one: approve that instead")
        if report.is_approved:
            raise ValidationError(
                f"Already approved by {report.approved_by} on "
                f"{timezone.localtime(report.approved_at):%-d %B %Y at %H:%M}"
            )
        report.approved_by = actor
        report.approved_at = timezone.now()
        report.save()
    return report


# --- Sending to the worker ------------------------------------------------------------------


def send_to_worker(report_id) -> bool:
    """Hand the task to the broker. False (and the request stays queued) if it is down."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import RedisError

    from .tasks import produce_report_task

    try:
        produce_report_task.apply_async(args=[str(report_id)], retry=False)
    except (OperationalError, RedisError, OSError):
        logger.warning("Broker unreachable: report %s stays queued for the sweep", report_id)
        return False
    ReportRequest.objects.filter(pk=report_id, status=ReportStatus.QUEUED).update(
        last_sent_at=timezone.now()
    )
    return True


def send_after_commit(report: ReportRequest) -> bool:
    """Send once the request is committed (a worker must find the row it is given)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and not settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: send_to_worker(report.pk))
        return True
    sent = send_to_worker(report.pk)
    report.refresh_from_db()
    return sent


# --- Producing ------------------------------------------------------------------------------


def _claim(report_id) -> tuple[ReportRequest | None, int]:
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == ReportStatus.SUCCEEDED:
            return None, 0
        if report.attempts >= MAX_ATTEMPTS:
            _fail(
                report,
                f"The report could not be produced after {MAX_ATTEMPTS} attempts: "
                "the work stopped before it finished each time. Try again; if it fails "
                f"again, tell the service desk (reference {report.pk}).",
            )
            return None, 0
        report.status = ReportStatus.RUNNING
        report.attempts += 1
        report.started_at = timezone.now()
        report.finished_at = None
        report.error_message = ""
        report.progress = 5
        report.step = "Starting"
        report.save()
        return report, report.attempts


def _fail(report: ReportRequest, message: str) -> None:
    report.status = ReportStatus.FAILED
    report.error_message = message[:500]
    report.step = "Failed"
    report.finished_at = timezone.now()
    report.save()


def _record_failure(report_id, attempt: int, message: str) -> None:
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == ReportStatus.SUCCEEDED:
            return
        if report.attempts != attempt:
            return  # a later attempt owns the row now
        _fail(report, message)


def _progress(report_id, attempt: int):
    def update(percent: int, step: str) -> None:
        ReportRequest.objects.filter(
            pk=report_id, attempts=attempt, status=ReportStatus.RUNNING
        ).update(progress=percent, step=step)

    return update


def build_html(report: ReportRequest, progress=None) -> tuple[str, dict | None]:
    """The report's HTML, and for commissioner reports the raw counts it printed."""
    progress = progress or (lambda percent, step: None)
    quarter = (
        Quarter.starting(report.period_start) if report.kind != ReportKind.COMPLIANCE else None
    )
    context = {
        "report": report,
        "static_base": STATIC_BASE,
        "generated_at": timezone.localtime(),
        "marking": "OFFICIAL-SENSITIVE",
    }
    counts = None
    if report.kind == ReportKind.COMPLIANCE:
        progress(20, "Reading attendance, licence and decisions")
        context.update(
            licence_compliance.gather(report.participant, report.period_start, report.period_end)
        )
        context["service_name"] = report.service.name
        template = "reports/pdf/licence_compliance.html"
    elif report.kind == ReportKind.COMMISSIONER:
        progress(20, "Counting the quarter's figures")
        counts = commissioner.gather_counts([report.service_id], quarter)
        context["service_name"] = report.service.name
        template = "reports/pdf/commissioner.html"
    else:
        progress(20, "Adding up the approved service reports")
        approved = list(_approved_reports(quarter).select_related("service"))
        services_counts = [r.figures for r in approved if r.figures]
        counts = commissioner.add_counts(services_counts) if services_counts else None
        context["service_name"] = "All services (national roll-up)"
        context["per_service"] = [
            commissioner.service_summary(r.figures) for r in approved if r.figures
        ]
        context["missing_services"] = list(
            Service.objects.exclude(pk__in=[r.service_id for r in approved]).values_list(
                "name", flat=True
            )
        )
        template = "reports/pdf/commissioner.html"
    if counts is not None:
        progress(40, "Drawing the charts")
        context["counts"] = counts
        context["sections"] = commissioner.sections(counts)
    context["quarter"] = quarter
    progress(55, "Laying out the pages")
    return render_to_string(template, context), counts


def _approved_reports(quarter: Quarter):
    return ReportRequest.objects.filter(
        kind=ReportKind.COMMISSIONER,
        period_start=quarter.start,
        approved_at__isnull=False,
        superseded_at__isnull=True,
        status=ReportStatus.SUCCEEDED,
    )


def file_name_for(report: ReportRequest) -> str:
    return f"reports/{report.kind}/{report.pk}.pdf"


def produce_report(report_id) -> str:
    """Run by the worker. Returns what happened, for the log; never raises for a bad report."""
    report, attempt = _claim(report_id)
    if report is None:
        return "nothing to do"
    began = time.monotonic()
    try:
        html, counts = build_html(report, _progress(report_id, attempt))
        _progress(report_id, attempt)(65, "Laying out the pages")
        rendered = render_pdf(html)
        _progress(report_id, attempt)(90, "Saving the file")
    except SoftTimeLimitExceeded:
        _record_failure(
            report_id,
            attempt,
            f"The report could not be generated within the {settings.REPORT_SOFT_TIME_LIMIT}-"
            "second limit. Try a shorter period, or tell the service desk "
            f"(reference {report_id}).",
        )
        return "timed out"
    except MemoryError:
        _record_failure(
            report_id,
            attempt,
            "The report could not be generated: it needed more memory than a report may use. "
            f"Try a shorter period, or tell the service desk (reference {report_id}).",
        )
        return "out of memory"
    except Exception:
        logger.exception("Report %s could not be generated", report_id)
        _record_failure(
            report_id,
            attempt,
            "The report could not be generated because of an unexpected error. Try again; "
            f"if it fails again, tell the service desk (reference {report_id}).",
        )
        return "failed"
    try:
        return _finish(report_id, attempt, rendered, counts, time.monotonic() - began)
    except SoftTimeLimitExceeded:
        _record_failure(report_id, attempt, "The report timed out while it was being saved.")
        return "timed out"
    except Exception:
        logger.exception("Report %s could not be saved", report_id)
        _record_failure(
            report_id,
            attempt,
            "The report was generated but could not be saved. Try again; if it fails again, "
            f"tell the service desk (reference {report_id}).",
        )
        return "failed"


def _finish(report_id, attempt: int, rendered, counts, seconds: float) -> str:
    storage = report_storage()
    with transaction.atomic():
        report = ReportRequest.objects.select_for_update().get(pk=report_id)
        if report.status == ReportStatus.SUCCEEDED or report.attempts != attempt:
            return "another attempt finished first"
        name = file_name_for(report)
        if storage.exists(name):
            storage.delete(name)  # a partial file from an attempt that died while saving
        saved = storage.save(name, ContentFile(rendered.content))
        report.file.name = saved
        report.file_size = len(rendered.content)
        report.page_count = rendered.pages
        report.render_seconds = round(seconds, 3)
        report.figures = counts
        report.status = ReportStatus.SUCCEEDED
        report.progress = 100
        report.step = "Ready"
        report.finished_at = timezone.now()
        report.save()
    return "produced"


# --- The sweep and the quarterly schedule ---------------------------------------------------


def sweep_reports(now: datetime.datetime | None = None) -> dict:
    """Re-send requests left queued (broker was down) and rescue runs whose worker died."""
    now = now or timezone.now()
    resend_before = now - datetime.timedelta(seconds=settings.REPORT_RESEND_AFTER_SECONDS)
    queued = list(
        ReportRequest.objects.filter(status=ReportStatus.QUEUED, requested_at__lt=resend_before)
        .exclude(last_sent_at__gte=resend_before)
        .values_list("pk", flat=True)[:200]
    )
    resent = sum(1 for pk in queued if send_to_worker(pk))
    stale_before = now - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT + 60)
    rescued = 0
    for pk in ReportRequest.objects.filter(
        status=ReportStatus.RUNNING, started_at__lt=stale_before
    ).values_list("pk", flat=True)[:200]:
        with transaction.atomic():
            report = ReportRequest.objects.select_for_update().get(pk=pk)
            if report.status != ReportStatus.RUNNING or report.started_at >= stale_before:
                continue
            if report.attempts >= MAX_ATTEMPTS:
                _fail(
                    report,
                    "The report stopped before it finished (its worker was interrupted). "
                    "Try again.",
                )
                continue
            report.status = ReportStatus.QUEUED
            report.step = "Waiting to be tried again"
            report.save()
        rescued += 1
        send_to_worker(pk)
    return {"resent": resent, "rescued": rescued, "still_queued": len(queued) - resent}


def queue_quarterly_reports(today: datetime.date | None = None) -> list[ReportRequest]:
    """After a quarter ends: a draft commissioner report for every service (once each)."""
    from resettle.audit import acting_as, system_account

    today = today or timezone.localdate()
    quarter = completed_quarters(today, 1)[0]
    system = system_account()
    drafts = []
    with acting_as(system):
        for service in Service.objects.all():
            report, _sent = request_commissioner_report(
                actor=system, service=service, quarter=quarter, scheduled=True
            )
            drafts.append(report)
    return drafts
