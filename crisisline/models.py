import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from participants.models import Participant
from resettle.accounts.models import Service
from resettle.core.validators import NARRATIVE_TEXT, SHORT_TEXT, text_limit


class BankHoliday(models.Model):
    """An England and Wales bank holiday: the whole day counts as out of hours."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%d/%m/%Y})"


class ServiceClosureDay(models.Model):
    """A day one service is closed (a training day, a local holiday): like a bank holiday for
    that service's crisis-line handover alone. Kept by the service's managers."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField()
    reason = models.CharField(max_length=100)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["service", "date"], name="one_closure_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.date:%d/%m/%Y})"


class CallerType(models.TextChoices):
    PARTICIPANT = "participant", "The participant"
    FAMILY = "family", "Family or friend"
    PROFESSIONAL = "professional", "Professional"
    UNKNOWN = "unknown", "Anonymous or unknown"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    CONCERNING = "concerning", "Concerning"
    URGENT = "urgent", "Urgent"
    EMERGENCY = "emergency", "Emergency"


URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.URGENT: 1, Urgency.CONCERNING: 2, Urgency.ROUTINE: 3}


class RiskIndicator(models.TextChoices):
    SELF_HARM = "self_harm", "Self-harm or suicidal thoughts"
    HARM_TO_OTHERS = "harm_to_others", "Harm to others"
    SUBSTANCES = "substances", "Substance use"
    ACCOMMODATION = "accommodation", "Accommodation crisis"
    RELATIONSHIP = "relationship", "Relationship breakdown"
    LICENCE = "licence", "Licence concern"
    MENTAL_HEALTH = "mental_health", "Mental-health crisis"
    OTHER = "other", "Other"


class ActionTaken(models.TextChoices):
    DE_ESCALATED = "de_escalated", "Listened and de-escalated"
    ADVICE = "advice", "Gave advice"
    CONTINGENCY = "contingency", "Followed the contingency plan"
    EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
    POLICE = "police", "Informed the police"
    ON_CALL = "on_call", "Informed the on-call manager"
    OTHER = "other", "Other"


class CrisisCall(models.Model):
    """A call to the out-of-hours crisis line. It need not be about a known participant."""

    LIST_CHOICES = {
        "risk_indicators": RiskIndicator.choices,
        "actions_taken": ActionTaken.choices,
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="crisis_calls")
    participant = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="crisis_calls"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    caller_type = models.CharField(max_length=20, choices=CallerType.choices)
    caller_name = models.CharField("caller's name", max_length=150, blank=True)
    presenting_issue = models.CharField(max_length=300)
    risk_indicators = models.JSONField(default=list, blank=True)
    urgency = models.CharField(max_length=20, choices=Urgency.choices)
    actions_taken = models.JSONField(default=list, blank=True)
    follow_up_required = models.BooleanField("day team must follow up", default=False)
    narrative = models.TextField(blank=True, **text_limit(NARRATIVE_TEXT))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["service", "-started_at"]),
            models.Index(fields=["participant", "-started_at"]),
            models.Index(fields=["service", "follow_up_required", "acknowledged_at"]),
        ]

    def __str__(self) -> str:
        return f"Crisis call {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"

    @property
    def awaiting_follow_up(self) -> bool:
        return self.follow_up_required and self.acknowledged_at is None

    @property
    def minutes(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    def risk_indicator_labels(self) -> list[str]:
        labels = dict(RiskIndicator.choices)
        return [labels.get(code, code) for code in self.risk_indicators]

    def action_labels(self) -> list[str]:
        labels = dict(ActionTaken.choices)
        return [labels.get(code, code) for code in self.actions_taken]
