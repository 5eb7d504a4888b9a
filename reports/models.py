import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from participants.models import Participant
from resettle.accounts.models import Service


class ReportKind(models.TextChoices):
    COMPLIANCE = "compliance", "Licence-compliance report"
    COMMISSIONER = "commissioner", "Commissioner report"
    NATIONAL = "national", "National roll-up"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"


def report_storage():
    """Report files live in their own storage, outside any public URL (see settings)."""
    from django.core.files.storage import storages

    return storages["reports"]


class ReportRequest(models.Model):
    """One report someone (or the quarterly schedule) asked for, and how producing it went.

    The row is the source of truth: Celery tasks carry only its id, and a task that dies or
    is sent twice finds here what has already been done.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="report_requests"
    )
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_requests",
    )
    period_start = models.DateField()
    period_end = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_requests"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=120, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the task was last handed to the broker; the sweep re-sends rows left queued.
    last_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(storage=report_storage, max_length=200, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # The raw counts a commissioner report printed (no personal data): a national roll-up adds
    # up exactly what each service manager approved.
    figures = models.JSONField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # A draft replaced by a newer run of the same quarter (before approval).
    superseded_at = models.DateTimeField(null=True, blank=True)
    scheduled = models.BooleanField("queued by the quarterly schedule", default=False)
    history = HistoricalRecords(excluded_fields=["progress", "step"])

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["requested_by", "-requested_at"]),
            models.Index(fields=["service", "kind", "-requested_at"]),
            models.Index(fields=["status", "last_sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "service", "period_start"],
                condition=Q(kind="commissioner", superseded_at__isnull=True),
                name="one_current_commissioner_report_per_quarter",
            ),
            models.UniqueConstraint(
                fields=["kind", "period_start"],
                condition=Q(kind="national", superseded_at__isnull=True),
                name="one_current_national_rollup_per_quarter",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="report_progress_at_most_100"
            ),
        ]
        permissions = [("approve_reportrequest", "Can approve a commissioner report")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display().lower()})"

    @property
    def title(self) -> str:
        if self.kind == ReportKind.COMPLIANCE:
            return (
                f"Licence compliance, {self.period_start:%-d %b %Y} to {self.period_end:%-d %b %Y}"
            )
        from .quarters import Quarter

        quarter = Quarter.starting(self.period_start)
        if self.kind == ReportKind.NATIONAL:
            return f"National roll-up, {quarter.label}"
        return f"Commissioner report, {quarter.label}"

    @property
    def is_active(self) -> bool:
        return self.status in (ReportStatus.QUEUED, ReportStatus.RUNNING)

    @property
    def needs_approval(self) -> bool:
        return self.kind == ReportKind.COMMISSIONER

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def download_name(self) -> str:
        stem = {
            ReportKind.COMPLIANCE: "licence-compliance",
            ReportKind.COMMISSIONER: "commissioner-report",
            ReportKind.NATIONAL: "national-rollup",
        }[self.kind]
        # The report's reference (printed on its every page) and its period, so two downloads
        # never share a name and each names what it is.
        return f"{stem}-{self.pk}-{self.period_start:%Y-%m-%d}-to-{self.period_end:%Y-%m-%d}.pdf"
