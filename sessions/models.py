import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from participants.models import Participant, Pathway
from resettle.access import Access, access_for
from resettle.accounts.models import Service
from resettle.accounts.roles import CASE_ROLES, FIXED_AGENCY, Role
from resettle.core.validators import BRIEF_TEXT, NARRATIVE_TEXT, NOTE_TEXT, SHORT_TEXT, text_limit
from resettle.core.words import date_in_words


class SessionType(models.TextChoices):
    KEYWORK = "keywork", "Individual key-work"
    GROUP = "group", "Group session"
    ACTIVITY = "activity", "Activity"
    IN_REACH = "in_reach", "In-reach prison visit"
    OUTREACH = "outreach", "Outreach or home visit"
    THREE_WAY = "three_way", "Three-way meeting with the offender manager"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"


GROUP_TYPES = (SessionType.GROUP, SessionType.ACTIVITY)


class LocationKind(models.TextChoices):
    CENTRE = "centre", "The centre"
    PRISON = "prison", "A prison"
    COMMUNITY = "community", "A community address"
    REMOTE = "remote", "Remote"


class SessionSeries(models.Model):
    """A weekly timetable entry (e.g. the Tuesday and Thursday group) that made sessions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="session_series")
    title = models.CharField(max_length=150)
    weekdays = models.JSONField(default=list)  # 0 = Monday
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.title


class SessionQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> "SessionQuerySet":
        """Sessions of the services where they hold a case role."""
        return self.filter(service_id__in=access_for(access).service_ids(CASE_ROLES))


class Session(models.Model):
    """An appointment or session, planned and then recorded (individual or group)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="sessions")
    series = models.ForeignKey(
        SessionSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    session_type = models.CharField("type", max_length=20, choices=SessionType.choices)
    title = models.CharField(max_length=150, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location_kind = models.CharField("location", max_length=20, choices=LocationKind.choices)
    location_detail = models.CharField("prison or address", max_length=200, blank=True)
    enforceable = models.BooleanField("attendance is a licence requirement", default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="sessions_staffed")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    objects = SessionQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[staff])

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["service", "starts_at"]),
            # "Outcomes not yet recorded" looks back by end time across every service.
            models.Index(fields=["ends_at"], name="keywork_session_ends_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.get_session_type_display()

    @property
    def display_title(self) -> str:
        return self.title or self.get_session_type_display()

    def in_words(self) -> str:
        """As a record that links to it names it (resettle.core.words)."""
        return f"{self.display_title}, {date_in_words(timezone.localtime(self.starts_at).date())}"

    @property
    def is_group(self) -> bool:
        return self.session_type in GROUP_TYPES

    def has_started(self, now=None) -> bool:
        return self.starts_at <= (now or timezone.now())


def in_the_community(prefix: str = "") -> Q:
    """Sessions held outside prison: neither an in-reach visit nor at a prison. A recall to
    custody cancels his; in-reach work goes on in custody. `prefix` reaches a session through
    a relation (e.g. "session__")."""
    return ~Q(**{f"{prefix}session_type": SessionType.IN_REACH}) & ~Q(
        **{f"{prefix}location_kind": LocationKind.PRISON}
    )


class Outcome(models.TextChoices):
    ATTENDED = "attended", "Attended and complied"
    LATE = "late", "Attended late"
    FAILED_TO_COMPLY = "failed_to_comply", "Attended but failed to comply (behaviour)"
    SENT_HOME_BEHAVIOUR = "sent_home_behaviour", "Sent home (behaviour)"
    SENT_HOME_SERVICE = "sent_home_service", "Sent home (service issue)"
    ACCEPTABLE_ABSENCE = "acceptable_absence", "Acceptable absence"
    UNACCEPTABLE_ABSENCE = "unacceptable_absence", "Unacceptable absence"
    CANCELLED_BY_SERVICE = "cancelled_by_service", "Cancelled by the service"
    RESCHEDULED = "rescheduled", "Rescheduled"
    # Set only by a recall (services.apply_recall), never chosen on a form: from the recall's
    # effective date he is in custody, so his community sessions expect nothing of him.
    CANCELLED_RECALLED = "cancelled_recalled", "Cancelled: recalled to custody"


# The outcomes staff choose from; the others are set by the app.
RECORDABLE_OUTCOMES = [
    (v, label) for v, label in Outcome.choices if v != Outcome.CANCELLED_RECALLED
]


class AbsenceReason(models.TextChoices):
    MEDICAL = "medical", "Medical"
    COURT = "court", "Court or legal"
    EMPLOYMENT = "employment", "Employment"
    FAMILY = "family", "Family or childcare"
    RELIGIOUS = "religious", "Religious"
    HOLIDAY = "holiday", "Holiday"
    JUDGEMENT = "judgement", "Professional judgement"


class RescheduledBy(models.TextChoices):
    PARTICIPANT = "participant", "He asked"
    SERVICE = "service", "The service asked"


class Attendance(models.Model):
    """One man expected at one session, and the outcome once recorded."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="attendances"
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    absence_reason = models.CharField(max_length=20, choices=AbsenceReason.choices, blank=True)
    rescheduled_by = models.CharField(max_length=20, choices=RescheduledBy.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    # A copy of session.starts_at (kept by save() and by services.change_session), so his
    # sessions, newest first, and a compliance window are read from his own rows by index.
    session_starts_at = models.DateTimeField(editable=False)
    history = HistoricalRecords(excluded_fields=["session_starts_at"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="one_attendance_per_man"
            )
        ]
        indexes = [
            models.Index(fields=["participant", "outcome"]),
            models.Index(
                fields=["participant", "-session_starts_at"], name="keywork_att_his_sessions"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} at {self.session}"

    def save(self, *args, **kwargs):
        if self.session_starts_at is None:
            self.session_starts_at = self.session.starts_at
        super().save(*args, **kwargs)

    @property
    def outcome_words(self) -> str:
        return outcome_words(self.outcome, self.absence_reason, self.rescheduled_by)

    @property
    def last_correction(self) -> "OutcomeCorrection | None":
        """His outcome's latest correction; from `corrections` as prefetched (oldest first)."""
        corrections = list(self.corrections.all())
        return corrections[-1] if corrections else None


def outcome_words(outcome: str, absence_reason: str = "", rescheduled_by: str = "") -> str:
    """An outcome in words, lower case, with its reason: "acceptable absence (medical)"."""
    if not outcome:
        return "no outcome"
    words = Outcome(outcome).label.lower()
    if outcome == Outcome.ACCEPTABLE_ABSENCE and absence_reason:
        words += f" ({AbsenceReason(absence_reason).label.lower()})"
    if outcome == Outcome.RESCHEDULED and rescheduled_by:
        words += f" ({RescheduledBy(rescheduled_by).label.lower()})"
    return words


class OutcomeCorrection(models.Model):
    """A recorded outcome put right: what it was, what it is now, why, by whom and when.

    Kept for every correction, never changed afterwards (a second correction is a second row):
    a figure in a compliance report can be traced back through them to what was first recorded.
    """

    attendance = models.ForeignKey(Attendance, on_delete=models.CASCADE, related_name="corrections")
    previous_outcome = models.CharField("was", max_length=30, choices=Outcome.choices)
    previous_absence_reason = models.CharField(
        max_length=20, choices=AbsenceReason.choices, blank=True
    )
    previous_rescheduled_by = models.CharField(
        max_length=20, choices=RescheduledBy.choices, blank=True
    )
    previous_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField("now", max_length=30, choices=Outcome.choices)
    absence_reason = models.CharField(max_length=20, choices=AbsenceReason.choices, blank=True)
    rescheduled_by = models.CharField(max_length=20, choices=RescheduledBy.choices, blank=True)
    reason = models.TextField(**text_limit(SHORT_TEXT))
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["corrected_at", "pk"]
        indexes = [models.Index(fields=["attendance", "corrected_at"])]

    def __str__(self) -> str:
        return f"{self.attendance}: was {self.was}, now {self.now}"

    def save(self, *args, **kwargs):
        # Append-only: the record of a correction is itself never corrected.
        if not self._state.adding:
            raise ValueError("An outcome correction is kept as made: add another instead")
        super().save(*args, **kwargs)

    @property
    def was(self) -> str:
        return outcome_words(
            self.previous_outcome, self.previous_absence_reason, self.previous_rescheduled_by
        )

    @property
    def now(self) -> str:
        return outcome_words(self.outcome, self.absence_reason, self.rescheduled_by)


class Visibility(models.TextChoices):
    SHARED = "shared", "Shared with the whole team"
    HEALTH = "health", "Health only (NHS staff)"
    PROBATION = "probation", "Probation only"

    @classmethod
    def open_to(cls, agency: str | None) -> list[str]:
        """The visibilities a note may have for someone of this agency to read it: shared,
        and their own agency's (a visibility is named by the agency it is restricted to)."""
        return [cls.SHARED, *([agency] if agency in cls.values else [])]


# A man's offender manager always works for probation.
OFFENDER_MANAGER_AGENCY = FIXED_AGENCY[Role.OFFENDER_MANAGER]


class SessionNote(models.Model):
    """What happened in a session with one man: a summary, the narrative, any risk concern."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="session_notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=300)
    narrative = models.TextField(blank=True, **text_limit(NARRATIVE_TEXT))
    pathways = models.JSONField(default=list, blank=True)
    risk_concern = models.TextField(
        "risk concern",
        blank=True,
        help_text="Anything that may mean his risk is rising",
        **text_limit(NOTE_TEXT),
    )
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.SHARED
    )
    # A risk concern in a note his offender manager may not read (health only) alerts the OM
    # all the same: this is the part of it everyone in his team may read.
    risk_concern_shared = models.TextField(
        "what the offender manager needs to know",
        blank=True,
        help_text="Needed when a note with a risk concern is not shared with probation",
        **text_limit(BRIEF_TEXT),
    )
    risk_concern_seen_at = models.DateTimeField(null=True, blank=True)
    risk_concern_seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    LIST_CHOICES = {"pathways": Pathway.choices}

    # The author may correct a note this long after writing it; after that, only addenda.
    EDIT_WINDOW_MINUTES = 30

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["participant", "-created_at"])]

    def __str__(self) -> str:
        return self.summary

    @property
    def kept_to(self) -> str:
        """The note's sharing as a sentence names it: health-only, probation-only or shared."""
        return "shared" if self.visibility == Visibility.SHARED else f"{self.visibility}-only"

    @property
    def concern_hidden_from_om(self) -> bool:
        """A risk concern his offender manager may not read where it is written."""
        return bool(self.risk_concern) and self.visibility not in Visibility.open_to(
            OFFENDER_MANAGER_AGENCY
        )

    def concern_for(self, readable: bool) -> str:
        """The risk concern as shown to someone who may (or may not) read the note."""
        if readable:
            return self.risk_concern
        return self.risk_concern_shared if self.risk_concern else ""

    @staticmethod
    def fingerprint(shown: str) -> str:
        """Names the text shown beside "Mark as seen": marking it seen says which text was
        read, so a concern changed since the page was shown is not marked seen unread."""
        return hashlib.sha256(shown.strip().replace("\r\n", "\n").encode()).hexdigest()[:16]

    def pathway_labels(self) -> list[str]:
        labels = dict(Pathway.choices)
        return [labels.get(code, code) for code in self.pathways]

    def editable_by(self, user, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.author_id == user.pk
            and (now - self.created_at).total_seconds() <= self.EDIT_WINDOW_MINUTES * 60
        )


class NoteAddendum(models.Model):
    """Something added to a note after its edit window closed."""

    note = models.ForeignKey(SessionNote, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(**text_limit(NOTE_TEXT))
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Addendum to {self.note}"


class CompliancePolicy(models.Model):
    """A service's enforcement thresholds for unacceptable absences."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, related_name="compliance_policy"
    )
    warning_threshold = models.PositiveSmallIntegerField(
        "unacceptable absences before a warning is considered", default=1
    )
    recall_review_threshold = models.PositiveSmallIntegerField(
        "unacceptable absences before recall is reviewed", default=2
    )
    window_months = models.PositiveSmallIntegerField("rolling window in months", default=12)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Compliance policy for {self.service}"


class EnforcementDecision(models.Model):
    """The offender manager's decision after unacceptable absences or failure to comply."""

    class Decision(models.TextChoices):
        FIRST_WARNING = "first_warning", "First warning letter"
        SECOND_WARNING = "second_warning", "Second warning letter"
        COMPLIANCE_LETTER = "compliance_letter", "Licence compliance letter"
        NO_FURTHER_ACTION = "nfa", "No further action"
        RECALL_CONSIDERED = "recall_considered", "Recall considered"
        # Recorded by a recall (services.apply_recall) to close his open prompt; not chosen.
        RECALLED = "recalled", "Recalled to custody"

    CHOSEN = (
        Decision.FIRST_WARNING,
        Decision.SECOND_WARNING,
        Decision.COMPLIANCE_LETTER,
        Decision.NO_FURTHER_ACTION,
        Decision.RECALL_CONSIDERED,
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="enforcement_decisions"
    )
    decision = models.CharField(max_length=30, choices=Decision.choices)
    reason = models.TextField(blank=True, **text_limit(NOTE_TEXT))
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    absences_counted = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.decided_on:%d/%m/%Y})"

    def in_words(self) -> str:
        return f"{self.get_decision_display()}, {date_in_words(self.decided_on)}"


class RecallDecision(models.Model):
    """The record behind "recall considered": why, what was tried, and what was decided."""

    class Why(models.TextChoices):
        RISK = "risk", "Risk has increased"
        CONTACT = "contact", "Contact has been lost"
        BOTH = "both", "Both"

    class Alternative(models.TextChoices):
        WARNING = "warning", "Warning"
        MORE_CONTACT = "more_contact", "More frequent contact"
        EXTRA_CONDITIONS = "extra_conditions", "Extra licence conditions"
        APPROVED_PREMISES = "approved_premises", "Approved premises"
        REFERRAL = "referral", "Referral elsewhere"

    class Outcome(models.TextChoices):
        STANDARD = "standard", "Standard recall"
        FIXED_TERM = "fixed_term", "Fixed-term recall"
        NO_RECALL = "no_recall", "No recall"

    LIST_CHOICES = {"alternatives_tried": Alternative.choices}

    enforcement = models.OneToOneField(
        EnforcementDecision, on_delete=models.CASCADE, related_name="recall_decision"
    )
    why = models.CharField(max_length=20, choices=Why.choices)
    alternatives_tried = models.JSONField(default=list, blank=True)
    senior_manager_rationale = models.TextField(**text_limit(NOTE_TEXT))
    outcome = models.CharField("decision", max_length=20, choices=Outcome.choices)
    decided_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.get_outcome_display()
