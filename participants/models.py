import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from resettle.access import Access, access_for
from resettle.accounts.models import Service
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.validators import NOTE_TEXT, SHORT_TEXT, plain_text, text_limit
from resettle.core.words import date_in_words


class Stage(models.TextChoices):
    WAITING = "waiting", "Waiting list"
    IN_REACH = "in_reach", "In-reach (in custody)"
    COMMUNITY = "community", "Community"
    MOVE_ON = "move_on", "Move-on"
    ENDED = "ended", "Ended"


class RecallType(models.TextChoices):
    FIXED_TERM = "fixed_term", "Fixed-term recall"
    STANDARD = "standard", "Standard recall"


class Pathway(models.TextChoices):
    ACCOMMODATION = "accommodation", "Accommodation"
    EMPLOYMENT = "employment", "Employment"
    LEARNING = "learning", "Learning and skills"
    LIFE_SKILLS = "life_skills", "Life skills and offending behaviour"
    FAMILY = "family", "Family and social support"
    DRUGS_ALCOHOL = "drugs_alcohol", "Drugs and alcohol"
    HEALTH = "health", "Health"
    FINANCE = "finance", "Finance"


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> "ReferralQuerySet":
        """Referrals of the services where they hold a case role, never about a man they are
        excluded from."""
        access = access_for(access)
        return access.without_exclusions(
            self.filter(service_id__in=access.service_ids(CASE_ROLES)),
            participant_field="participant_id",
        )


class Referral(models.Model):
    """A request for a man to join the service, and the decision on it."""

    class Source(models.TextChoices):
        PRISON = "prison", "Prison"
        OFFENDER_MANAGER = "offender_manager", "Offender manager"
        PAROLE_BOARD = "parole_board", "Parole Board"
        OPD_SCREENING = "opd_screening", "OPD pathway screening"
        OTHER = "other", "Other"

    class SentenceType(models.TextChoices):
        DETERMINATE = "determinate", "Determinate"
        LIFE = "life", "Life"
        IPP = "ipp", "Imprisonment for public protection (IPP)"

    class OffenceCategory(models.TextChoices):
        VIOLENCE = "violence", "Violence against the person"
        HOMICIDE = "homicide", "Homicide"
        SEXUAL = "sexual", "Sexual offence"
        ROBBERY = "robbery", "Robbery"
        ARSON = "arson", "Arson or criminal damage"
        WEAPONS = "weapons", "Weapons"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
        DRUGS = "drugs", "Drug offence"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        ASSESSING = "assessing", "Assessing"
        ACCEPTED = "accepted", "Accepted"
        WAITING_LIST = "waiting_list", "Accepted – waiting list"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DeclineCategory(models.TextChoices):
        NOT_SCREENED_IN = "not_screened_in", "Not screened into the OPD pathway"
        CRITERIA = "criteria", "Does not meet the service's criteria"
        RISK = "risk", "Risk cannot be managed safely by the service"
        AREA = "area", "Released outside the service's area"
        NO_CONSENT = "no_consent", "He did not consent"
        OTHER = "other", "Other"

    OPEN_STATUSES = (Status.RECEIVED, Status.ASSESSING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    received_on = models.DateField()
    source = models.CharField(max_length=30, choices=Source.choices)
    given_name = models.CharField(max_length=100, validators=[plain_text])
    family_name = models.CharField(max_length=100, validators=[plain_text])
    date_of_birth = models.DateField()
    prison_number = models.CharField(max_length=7, blank=True)
    crn = models.CharField("CRN", max_length=7, blank=True)
    pnc_number = models.CharField("PNC number", max_length=14, blank=True)
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    current_prison = models.CharField(max_length=120)
    expected_release_date = models.DateField(null=True, blank=True)
    sentence_type = models.CharField(max_length=20, choices=SentenceType.choices)
    sentence_length_months = models.PositiveIntegerField(null=True, blank=True)
    index_offence = models.CharField(max_length=30, choices=OffenceCategory.choices)
    screened_into_opd = models.BooleanField("screened into the OPD pathway", default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    decision_reason = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    # Coded so reports can count reasons without repeating free text that may name people.
    decline_category = models.CharField(
        "main reason for declining", max_length=20, choices=DeclineCategory.choices, blank=True
    )
    decided_on = models.DateField(null=True, blank=True)
    participant = models.OneToOneField(
        "Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="referral"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    objects = ReferralQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-received_on", "family_name"]
        indexes = [models.Index(fields=["service", "status"])]

    def __str__(self) -> str:
        return f"Referral of {self.given_name} {self.family_name} ({self.received_on:%d/%m/%Y})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ParticipantQuerySet(models.QuerySet):
    def visible_to(self, access: Access) -> "ParticipantQuerySet":
        """The men whose full record they may open: case roles of his service, never one they
        are excluded from. Every list of men starts here."""
        access = access_for(access)
        return access.without_exclusions(self.filter(service_id__in=access.service_ids(CASE_ROLES)))

    def in_team_of(self, access: Access) -> "ParticipantQuerySet":
        """The men whose team they are in now (allocated, or break-glass)."""
        return self.filter(access_for(access).in_team())


class Participant(models.Model):
    """A man working with the service, from in-reach in custody until his case ends."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="participants")
    given_name = models.CharField(max_length=100, validators=[plain_text])
    family_name = models.CharField(max_length=100, validators=[plain_text])
    preferred_name = models.CharField(max_length=100, blank=True, validators=[plain_text])
    date_of_birth = models.DateField()
    # National identifiers identify one man across every service: unique where present.
    prison_number = models.CharField(max_length=7, null=True, blank=True, unique=True)
    crn = models.CharField("CRN", max_length=7, null=True, blank=True, unique=True)
    pnc_number = models.CharField("PNC number", max_length=14, null=True, blank=True, unique=True)
    nhs_number = models.CharField("NHS number", max_length=10, null=True, blank=True, unique=True)
    phone = models.CharField("phone number", max_length=30, blank=True)
    gp_practice = models.CharField("GP practice", max_length=200, blank=True)
    current_accommodation = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    # Where he is held and when he is due out: from the referral, kept up to date on his record
    # (the history says when each changed); the clock and "Upcoming releases" read them.
    prison = models.CharField(max_length=120, blank=True, validators=[plain_text])
    expected_release_date = models.DateField(null=True, blank=True)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.WAITING)
    stage_since = models.DateField()
    # Kept by participants.services.change_stage: the type of his recall while he is in custody
    # after one (in-reach since `stage_since`), blank at any other time. Lists read it from his
    # own row, so marking a recalled man costs no query.
    recall_type = models.CharField(
        "in custody after a recall",
        max_length=20,
        choices=RecallType.choices,
        blank=True,
        default="",
    )
    # Risk summary, kept by the riskplans services so lists can filter without joins.
    highest_rosh = models.CharField("highest RoSH", max_length=10, blank=True)
    mappa_category = models.CharField("MAPPA category", max_length=1, blank=True)
    mappa_level = models.CharField("MAPPA level", max_length=1, blank=True)
    plan_review_due_on = models.DateField("risk plan review due", null=True, blank=True)
    # Optimistic lock: an edit based on an older version is refused, never overwrites.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    objects = ParticipantQuerySet.as_manager()

    history = HistoricalRecords(
        excluded_fields=[
            "version",
            "highest_rosh",
            "mappa_category",
            "mappa_level",
            "plan_review_due_on",
        ]
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["service", "stage"]),
            models.Index(fields=["service", "family_name", "given_name"]),
            models.Index(fields=["service", "plan_review_due_on"]),
            models.Index(fields=["service", "expected_release_date"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def display_name(self) -> str:
        if self.preferred_name and self.preferred_name != self.given_name:
            return f"{self.full_name} (known as {self.preferred_name})"
        return self.full_name

    ROSH_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "very_high": "Very high"}

    @property
    def rosh_label(self) -> str:
        return self.ROSH_LABELS.get(self.highest_rosh, "")

    @property
    def is_recalled(self) -> bool:
        """In custody after a recall, as distinct from in-reach before his release."""
        return self.stage == Stage.IN_REACH and bool(self.recall_type)

    @property
    def stage_label(self) -> str:
        """His stage in words wherever he is listed or named: "Recalled (standard) since
        3 December 2026" for a man back in custody after a recall, else the stage's name."""
        if self.is_recalled:
            kind = "fixed-term" if self.recall_type == RecallType.FIXED_TERM else "standard"
            since = self.stage_since
            return f"Recalled ({kind}) since {since.day} {since:%B %Y}"
        return self.get_stage_display()

    def is_review_overdue(self, today: datetime.date) -> bool:
        return self.plan_review_due_on is not None and self.plan_review_due_on < today

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Contact(models.Model):
    """Next of kin or another key contact for a participant (family, GP, housing, etc.)."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=100)
    phone = models.CharField("phone number", max_length=30, blank=True)
    notes = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    is_next_of_kin = models.BooleanField("next of kin", default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_next_of_kin", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class Goal(models.Model):
    """A goal the man set for himself, in his own words, and how it is going."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        UNDER_WAY = "under_way", "Under way"
        ACHIEVED = "achieved", "Achieved"
        SET_ASIDE = "set_aside", "Set aside"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="goals")
    in_his_words = models.TextField("goal in his own words", **text_limit(SHORT_TEXT))
    progress = models.CharField(max_length=20, choices=Progress.choices, default="not_started")
    progress_note = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    set_on = models.DateField(default=timezone.localdate)
    history = HistoricalRecords()

    class Meta:
        ordering = ["set_on", "pk"]

    def __str__(self) -> str:
        return self.in_his_words[:60]


class StageChange(models.Model):
    """One move between stages. Time spent in each stage is derived from these rows."""

    RecallType = RecallType

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", "Accepted onto the service"
        OFFERED_PLACE = "offered_place", "Offered an in-reach place"
        RELEASED = "released", "Released – through the gate"
        MOVED_ON = "moved_on", "Moved on"
        RECALLED = "recalled", "Recalled to custody"
        RE_RELEASED = "re_released", "Re-released"
        ENDED = "ended", "Ended"

    class Ending(models.TextChoices):
        LICENCE_EXPIRED = "licence_expired", "Licence expired"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        TRANSFERRED = "transferred", "Transferred"

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="stage_changes"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    effective_on = models.DateField()
    reason = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    recall_type = models.CharField(max_length=20, choices=RecallType.choices, blank=True)
    ending = models.CharField(max_length=20, choices=Ending.choices, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["effective_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on:%d/%m/%Y}"

    def in_words(self) -> str:
        return f"{self.get_kind_display()} on {date_in_words(self.effective_on)}"


class ReleasePlan(models.Model):
    """The release-day ("through the gate") plan: each item done or not."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="release_plans"
    )
    planned_release_date = models.DateField(null=True, blank=True)
    collected_by = models.CharField("who collects him at the gate", max_length=200, blank=True)
    collection_done = models.BooleanField("collection arranged", default=False)
    first_night = models.CharField("where he sleeps the first night", max_length=300, blank=True)
    first_night_done = models.BooleanField("first night confirmed", default=False)
    benefits = models.CharField("benefits claim", max_length=300, blank=True)
    benefits_done = models.BooleanField("benefits claim made", default=False)
    gp = models.CharField("GP registration", max_length=300, blank=True)
    gp_done = models.BooleanField("GP registration done", default=False)
    first_appointments = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    first_appointments_done = models.BooleanField("first appointments booked", default=False)
    release = models.OneToOneField(
        StageChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="release_plan"
    )
    history = HistoricalRecords()

    ITEMS = (
        ("collected_by", "collection_done"),
        ("first_night", "first_night_done"),
        ("benefits", "benefits_done"),
        ("gp", "gp_done"),
        ("first_appointments", "first_appointments_done"),
    )

    def __str__(self) -> str:
        return f"Release plan for {self.participant}"

    def items(self) -> list[dict]:
        rows = []
        for detail_field, done_field in self.ITEMS:
            rows.append(
                {
                    "label": self._meta.get_field(detail_field).verbose_name.capitalize(),
                    "detail": getattr(self, detail_field),
                    "done": getattr(self, done_field),
                }
            )
        return rows

    @property
    def items_done(self) -> int:
        return sum(1 for _detail, done in self.ITEMS if getattr(self, done))


class Licence(models.Model):
    """The licence he lives under in the community, with its dates."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="licences")
    starts_on = models.DateField("licence start date")
    ends_on = models.DateField("licence expiry date (LED)")
    sentence_expiry_on = models.DateField("sentence expiry date (SED)", null=True, blank=True)
    standard_conditions = models.BooleanField("standard conditions apply", default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"Licence {self.starts_on:%d/%m/%Y} to {self.ends_on:%d/%m/%Y}"

    def in_words(self) -> str:
        return f"Licence {date_in_words(self.starts_on)} to {date_in_words(self.ends_on)}"


class LicenceCondition(models.Model):
    """An additional licence condition tailored to him."""

    class Category(models.TextChoices):
        RESIDENCE = "residence", "Residence"
        NON_CONTACT = "non_contact", "Non-contact"
        EXCLUSION_ZONE = "exclusion_zone", "Exclusion zone"
        CURFEW = "curfew", "Curfew"
        DRUG_TESTING = "drug_testing", "Drug testing"
        PARTICIPATION = "participation", "Participation in this service"
        ELECTRONIC_MONITORING = "electronic_monitoring", "Electronic monitoring"
        OTHER = "other", "Other"

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="conditions")
    category = models.CharField(max_length=30, choices=Category.choices)
    text = models.TextField("wording of the condition", **text_limit(SHORT_TEXT))
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["category", "starts_on"]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text[:50]}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or self.ends_on >= day)


class AllocationQuerySet(models.QuerySet):
    def current(self) -> "AllocationQuerySet":
        return self.filter(ended_on__isnull=True)


class Allocation(models.Model):
    """A member of staff allocated to a participant's team in one role, for a period.

    The one record of who is in his team: every list and every object check asks it (through
    `Access.in_team`), with break-glass grants beside it.
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="allocations"
    )
    role = models.CharField(
        max_length=30,
        choices=[
            (Role.OFFENDER_MANAGER, "Offender manager"),
            (Role.HEALTH_KEYWORKER, "Health keyworker"),
            (Role.PSYCHOLOGIST, "Psychologist"),
        ],
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocations"
    )
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    objects = AllocationQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "role"],
                condition=Q(ended_on__isnull=True),
                name="one_current_allocation_per_role",
            )
        ]
        indexes = [models.Index(fields=["staff", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.staff} as {self.get_role_display()} for {self.participant}"


class PathwayNeed(models.Model):
    """His current level of need on one resettlement pathway."""

    class Level(models.TextChoices):
        NONE = "none", "No need"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="pathway_needs"
    )
    pathway = models.CharField(max_length=20, choices=Pathway.choices)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.NONE)
    notes = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "pathway"], name="one_need_per_pathway")
        ]

    def __str__(self) -> str:
        return f"{self.get_pathway_display()}: {self.get_level_display()}"


class OutcomeSnapshot(models.Model):
    """Accommodation and work status at a fixed point, for outcome reporting."""

    class Point(models.TextChoices):
        START_IN_REACH = "start_in_reach", "Start of in-reach"
        RELEASE = "release", "Release"
        QUARTER = "quarter", "Quarterly review"
        EXIT = "exit", "Exit"

    class Accommodation(models.TextChoices):
        SETTLED = "settled", "Settled"
        TEMPORARY = "temporary", "Temporary or supported"
        APPROVED_PREMISES = "approved_premises", "Approved premises"
        NFA = "nfa", "No fixed abode"

    class Occupation(models.TextChoices):
        EMPLOYED = "employed", "In work"
        TRAINING = "training", "In training"
        EDUCATION = "education", "In education"
        VOLUNTEERING = "volunteering", "Volunteering"
        NOT_IN_ETE = "none", "Not in work, training or education"
        UNABLE = "unable", "Unable to work"

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="outcome_snapshots"
    )
    point = models.CharField(max_length=20, choices=Point.choices)
    taken_on = models.DateField()
    accommodation = models.CharField(max_length=20, choices=Accommodation.choices)
    occupation = models.CharField(
        "employment, training or education", max_length=20, choices=Occupation.choices
    )
    notes = models.TextField(blank=True, **text_limit(SHORT_TEXT))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-taken_on"]

    def __str__(self) -> str:
        return f"{self.get_point_display()} ({self.taken_on:%d/%m/%Y})"


class TimelineEvent(models.Model):
    """Something that happened to a participant, for his timeline.

    Any app records events here through `participants.timeline.record_event`; this app does
    not need to know what sessions, calls or plans are. Restricted events keep their
    visibility so the timeline can show that they exist without their content.
    """

    class Visibility(models.TextChoices):
        SHARED = "shared", "Shared with the whole team"
        HEALTH = "health", "Health only"
        PROBATION = "probation", "Probation only"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="timeline_events"
    )
    occurred_at = models.DateTimeField()
    category = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True, **text_limit(NOTE_TEXT))
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default="shared")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    link = models.CharField(max_length=300, blank=True)
    # Breaks ties between events of the same moment (e.g. several moves dated one day).
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-recorded_at"]
        indexes = [models.Index(fields=["participant", "-occurred_at", "-recorded_at"])]

    def __str__(self) -> str:
        return self.title


class ExclusionQuerySet(models.QuerySet):
    def active(self) -> "ExclusionQuerySet":
        return self.filter(lifted_at__isnull=True)


class Exclusion(models.Model):
    """A member of staff kept out of one man's record (e.g. they know him personally)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="exclusions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exclusions"
    )
    reason = models.TextField(**text_limit(SHORT_TEXT))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    objects = ExclusionQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "staff"],
                condition=Q(lifted_at__isnull=True),
                name="one_current_exclusion_per_person",
            )
        ]
        indexes = [models.Index(fields=["staff", "lifted_at"])]

    def __str__(self) -> str:
        return f"{self.staff} excluded from {self.participant}"


class TemporaryAccessQuerySet(models.QuerySet):
    def active(self, now: datetime.datetime | None = None) -> "TemporaryAccessQuerySet":
        """Grants not ended and not yet expired (they end by themselves at `expires_at`)."""
        return self.filter(ended_at__isnull=True, expires_at__gt=now or timezone.now())


class TemporaryAccess(models.Model):
    """Break-glass: a member of the service given the allocated team's rights for a while.

    It ends by itself at `expires_at` (checked on every request, nothing to clean up) or
    earlier when a service manager ends it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="temporary_access"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="temporary_access"
    )
    reason = models.TextField(**text_limit(SHORT_TEXT))
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    DEFAULT_HOURS = 24

    objects = TemporaryAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["staff", "participant", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("granted_at")),
                name="temporary_access_expires_after_grant",
            )
        ]

    def __str__(self) -> str:
        return f"Temporary access for {self.staff} to {self.participant}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and self.expires_at > now


class RetentionDecision(models.Model):
    """A service manager's decision on a record kept past the retention period.

    "Keep for now" hides the record from the review list until the next review date;
    "Delete the record" is written in the same transaction as the deletion and is then the
    only trace of it. It outlives the record, so it holds no personal data: the record's
    internal id and a short reference made from it, never his name or identifiers. Decisions
    are never edited: a new review writes a new row.
    """

    class Decision(models.TextChoices):
        KEEP = "keep", "Keep for now"
        DELETE = "delete", "Delete the record"

    class Subject(models.TextChoices):
        PARTICIPANT = "participant", "Participant's record"
        REFERRAL = "referral", "Referral not taken on"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="retention_decisions"
    )
    subject_kind = models.CharField(max_length=20, choices=Subject.choices)
    # No foreign key: the decision must survive the record it is about.
    subject_id = models.UUIDField("internal id of the record")
    reference = models.CharField(max_length=12)
    involvement_ended_on = models.DateField()
    how_ended = models.CharField(max_length=100)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(**text_limit(SHORT_TEXT))
    next_review_on = models.DateField(null=True, blank=True)
    # What a deletion removed, by kind of record (counts only).
    deleted_counts = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [
            models.Index(fields=["subject_id", "-decided_at"]),
            models.Index(fields=["service", "-decided_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(decision="keep") & Q(next_review_on__isnull=False))
                | (Q(decision="delete") & Q(next_review_on__isnull=True)),
                name="retention_keep_has_next_review_delete_has_none",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.reference} ({self.decided_at:%d/%m/%Y})"


def retention_reference(record_id) -> str:
    """A short reference to quote for a record, which stays meaningful after it is deleted."""
    return f"R-{uuid.UUID(str(record_id)).hex[:8].upper()}"
