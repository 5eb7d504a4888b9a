import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from participants.models import Participant
from resettle.core.validators import NOTE_TEXT, SHORT_TEXT, text_limit
from resettle.core.words import iso_date_in_words


class Level(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


LEVEL_ORDER = {Level.LOW: 1, Level.MEDIUM: 2, Level.HIGH: 3, Level.VERY_HIGH: 4}


class RiskAssessment(models.Model):
    """A risk of serious harm assessment (RoSH, risk to self, reoffending, MAPPA)."""

    class MappaCategory(models.TextChoices):
        NONE = "", "Not MAPPA-managed"
        ONE = "1", "Category 1 (registered sexual offender)"
        TWO = "2", "Category 2 (violent offender)"
        THREE = "3", "Category 3 (other dangerous offender)"
        FOUR = "4", "Category 4 (terrorism-related)"

    class MappaLevel(models.TextChoices):
        NONE = "", "Not MAPPA-managed"
        ONE = "1", "Level 1 (ordinary agency management)"
        TWO = "2", "Level 2 (multi-agency meetings)"
        THREE = "3", "Level 3 (senior oversight)"

    ROSH_GROUPS = (
        ("rosh_public", "Public"),
        ("rosh_known_adult", "Known adult"),
        ("rosh_children", "Children"),
        ("rosh_staff", "Staff"),
        ("rosh_prisoners", "Other prisoners"),
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="risk_assessments"
    )
    assessed_on = models.DateField()
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    source_reference = models.CharField(
        "source", max_length=200, blank=True, help_text="For example, OASys completed 3 March 2026"
    )
    rosh_public = models.CharField("RoSH to the public", max_length=10, choices=Level.choices)
    rosh_known_adult = models.CharField(
        "RoSH to a known adult", max_length=10, choices=Level.choices
    )
    rosh_children = models.CharField("RoSH to children", max_length=10, choices=Level.choices)
    rosh_staff = models.CharField("RoSH to staff", max_length=10, choices=Level.choices)
    rosh_prisoners = models.CharField(
        "RoSH to other prisoners", max_length=10, choices=Level.choices
    )
    risk_to_self = models.CharField(
        "risk to self (suicide or self-harm)", max_length=10, choices=Level.choices
    )
    reoffending = models.CharField("risk of reoffending", max_length=10, choices=Level.choices)
    mappa_category = models.CharField(
        "MAPPA category", max_length=1, choices=MappaCategory.choices, blank=True
    )
    mappa_level = models.CharField(
        "MAPPA level", max_length=1, choices=MappaLevel.choices, blank=True
    )
    risk_factors = models.TextField(**text_limit(NOTE_TEXT))
    protective_factors = models.TextField(**text_limit(NOTE_TEXT))
    warning_signs = models.TextField(
        "warning signs",
        help_text="Early indicators that his risk is rising",
        **text_limit(NOTE_TEXT),
    )
    imminence = models.TextField(
        "when risk is most likely to be imminent", blank=True, **text_limit(NOTE_TEXT)
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["participant", "-assessed_on"])]

    def __str__(self) -> str:
        return f"Risk assessment {self.assessed_on:%d/%m/%Y}"

    @property
    def highest_rosh(self) -> str:
        levels = [getattr(self, field) for field, _ in self.ROSH_GROUPS]
        return max(levels, key=lambda level: LEVEL_ORDER.get(level, 0))

    def rosh_rows(self) -> list[tuple[str, str, str]]:
        return [
            (label, getattr(self, field), getattr(self, f"get_{field}_display")())
            for field, label in self.ROSH_GROUPS
        ]

    @property
    def mappa_summary(self) -> str:
        if not self.mappa_category:
            return "Not MAPPA-managed"
        level = f", level {self.mappa_level}" if self.mappa_level else ""
        return f"MAPPA category {self.mappa_category}{level}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    RETURNED = "returned", "Returned with comments"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class Pillar(models.TextChoices):
    SUPERVISION = "supervision", "Supervision"
    MONITORING = "monitoring", "Monitoring and control"
    INTERVENTIONS = "interventions", "Interventions and treatment"
    VICTIM_SAFETY = "victim_safety", "Victim safety planning"


# What a plan version says; a save that changes one of these makes the saver one of its authors.
PLAN_CONTENT_FIELDS = ("actions", "contingency_plan", "expected_days_per_week")


class RiskManagementPlanQuerySet(models.QuerySet):
    def not_written_by(self, user_id) -> "RiskManagementPlanQuerySet":
        """Four eyes by content: leave out the versions this person wrote any of (started, or
        saved a change to), so no one approves or returns their own words."""
        return self.exclude(author_id=user_id).exclude(contributors__id=user_id)


class RiskManagementPlan(models.Model):
    """One version of his risk management plan: four pillars of actions and a contingency plan.

    Each version is its own row; approving one supersedes the version approved before it.
    `actions` is a list of {"pillar", "action", "owner", "due"} so a version's actions are
    kept, compared and restored with the version itself. `contributors` are everyone who wrote
    any of it (the author who started it, and anyone who saved a change to what it says): none
    of them may approve or return it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="risk_plans"
    )
    number = models.PositiveIntegerField("version number")
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contributors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name="written by"
    )
    actions = models.JSONField(default=list, blank=True)

    contingency_plan = models.TextField(
        help_text="What to do when the warning signs appear, including out of hours",
        **text_limit(NOTE_TEXT),
    )
    expected_days_per_week = models.PositiveSmallIntegerField(
        "expected attendance (days a week)", default=4
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    review_due_on = models.DateField(null=True, blank=True)
    review_reason = models.CharField(max_length=200, blank=True)
    lock_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    objects = RiskManagementPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "number"], name="unique_plan_version"),
            models.UniqueConstraint(
                fields=["participant"],
                condition=models.Q(status="approved"),
                name="one_approved_plan",
            ),
        ]
        indexes = [models.Index(fields=["status", "review_due_on"])]

    def __str__(self) -> str:
        return f"Risk management plan v{self.number} ({self.get_status_display().lower()})"

    @staticmethod
    def actions_in_words(actions: list[dict]) -> str:
        """The plan's actions as a history line or a comparison reads them."""
        labels = dict(Pillar.choices)
        return "\n".join(
            f"{labels.get(a.get('pillar'), a.get('pillar'))}: {a.get('action')} "
            f"({a.get('owner')}, {iso_date_in_words(a.get('due'))})"
            for a in actions or []
        )

    @property
    def is_editable(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.RETURNED)

    def actions_by_pillar(self) -> list[tuple[str, list[dict]]]:
        return [
            (pillar.label, [a for a in self.actions if a.get("pillar") == pillar.value])
            for pillar in Pillar
        ]

    def is_review_overdue(self, today: datetime.date) -> bool:
        return (
            self.status == PlanStatus.APPROVED
            and self.review_due_on is not None
            and self.review_due_on < today
        )


class FormulationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    CURRENT = "current", "Current"
    SUPERSEDED = "superseded", "Superseded"


class Formulation(models.Model):
    """A CAT-informed psychological formulation, led by the psychologist, written with him."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="formulations"
    )
    number = models.PositiveIntegerField("version number")
    status = models.CharField(
        max_length=20, choices=FormulationStatus.choices, default=FormulationStatus.DRAFT
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    presenting_problems = models.TextField(**text_limit(NOTE_TEXT))
    reciprocal_roles = models.TextField(
        help_text="For example, controlling ↔ controlled, abandoning ↔ abandoned",
        **text_limit(NOTE_TEXT),
    )
    target_problem_procedures = models.TextField(
        "target problem procedures", **text_limit(NOTE_TEXT)
    )
    exits = models.TextField(help_text="Ways out of the patterns", **text_limit(NOTE_TEXT))
    predisposing = models.TextField("predisposing factors", **text_limit(NOTE_TEXT))
    precipitating = models.TextField("precipitating factors", **text_limit(NOTE_TEXT))
    perpetuating = models.TextField("perpetuating factors", **text_limit(NOTE_TEXT))
    protective = models.TextField("protective factors", **text_limit(NOTE_TEXT))
    presenting = models.TextField("presenting factors", **text_limit(NOTE_TEXT))
    his_account = models.TextField(
        "his own account, in his words", blank=True, **text_limit(NOTE_TEXT)
    )
    shared_with_him_on = models.DateField("date shared with him", null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The psychologist who agreed it as the team's formulation",
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords(excluded_fields=["lock_version"])

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "number"], name="unique_formulation_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Formulation v{self.number} ({self.get_status_display().lower()})"
