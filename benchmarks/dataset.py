"""A realistic synthetic dataset for benchmarks: services, staff and ten years of casework.

`generate(size=..., seed=...)` fills an empty, migrated database (sizes in SIZES). Each
service is simulated day by day from its own random stream
(`random.Random(f"{seed}:service:{index}")`, see service.py); the focus service, "Resettle
Merseyside", is always service 0 and is generated first. So with the same seed (on the same
day) the focus service and everything in it (staff, men, sessions, calls, plans, reports,
access-log rows, even the integer ids) is identical at every size: only the amount of other
data differs, and a page for the focus keyworker shows the same rows at `team` as at
`national`.

Rows go in through writer.DatasetWriter (COPY on PostgreSQL), one transaction per service,
with their django-simple-history rows and timeline events written as the services would
have written them, dated when they happened. Made-up people only; never installed in
production (see settings.INSTALLED_APPS).
"""

import datetime
import random
from collections.abc import Callable

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from crisisline.models import BankHoliday, CrisisCall
from participants.models import (
    Allocation,
    Contact,
    Exclusion,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
    Referral,
    ReleasePlan,
    StageChange,
    TemporaryAccess,
    TimelineEvent,
)
from reports import commissioner
from reports.models import ReportRequest
from reports.quarters import completed_quarters
from resettle.accounts.models import Membership, Service, User
from resettle.audit import SYSTEM_ACCOUNT_EMAIL
from resettle.core.models import AccessLog
from riskplans.models import Formulation, RiskAssessment, RiskManagementPlan
from sessions.models import (
    Attendance,
    CompliancePolicy,
    EnforcementDecision,
    NoteAddendum,
    RecallDecision,
    Session,
    SessionNote,
    SessionSeries,
)

from .constants import (
    BENCH_PASSWORD,
    FOCUS_EMAILS,
    FOCUS_PARTICIPANT_PRISON_NUMBER,
    FOCUS_SERVICE_NAME,
    SIZES,
    YEARS,
)
from .helpers import bank_holidays_of, write_placeholder_pdf, years_before
from .progress import Progress, SilentProgress
from .service import ServiceBuilder, report_row
from .writer import DatasetWriter

__all__ = [
    "BENCH_PASSWORD",
    "FOCUS_EMAILS",
    "FOCUS_PARTICIPANT_PRISON_NUMBER",
    "FOCUS_SERVICE_NAME",
    "SIZES",
    "Dataset",
    "DatasetError",
    "generate",
]

# Rows one service writes, roughly, for the first progress estimate (corrected as it goes).
ROWS_PER_SERVICE_GUESS = 420_000


class DatasetError(Exception):
    """The dataset cannot be generated here (e.g. the database is not empty)."""


# --- The whole run ----------------------------------------------------------------------------


class Dataset:
    """Registers every table once, then builds the services one after another."""

    def __init__(
        self,
        *,
        size: str,
        seed: int,
        writer: DatasetWriter,
        progress: Progress | None = None,
        today: datetime.date | None = None,
        now: datetime.datetime | None = None,
        with_figures: bool = True,
        defer_indexes: bool = True,
    ):
        if size not in SIZES:
            raise DatasetError(f"Unknown size {size!r}: choose one of {', '.join(SIZES)}")
        self.size, self.seed, self.writer = size, seed, writer
        self.progress = progress or SilentProgress()
        self.now = now or timezone.now()
        self.today = today or timezone.localdate(self.now)
        self.start = years_before(self.today, YEARS)
        self.tz = timezone.get_current_timezone()
        self.with_figures = with_figures
        self.defer_indexes = defer_indexes and writer.use_copy
        self.services: list[ServiceBuilder] = []
        self.focus_staff: dict = {}  # the focus service's named people, by FOCUS_EMAILS key
        self._register()
        self._links()

    # Registration of every table this generator writes, with its column order.
    def _register(self) -> None:
        w = self.writer
        spec: dict[type[Model], str] = {
            Service: "id name region delivery_model funded_community_places "
            "funded_custody_places out_of_hours_route",
            User: "id password last_login is_superuser email full_name work_phone is_active "
            "is_staff date_joined",
            User.groups.through: "id user_id group_id",
            Membership: "id user_id service_id role agency is_psychologist",
            CompliancePolicy: "id service_id warning_threshold recall_review_threshold "
            "window_months",
            BankHoliday: "id date name",
            Referral: "id service_id received_on source given_name family_name date_of_birth "
            "prison_number crn pnc_number nhs_number current_prison expected_release_date "
            "sentence_type sentence_length_months index_offence screened_into_opd status "
            "decision_reason decline_category decided_on participant_id created_by_id created_at",
            Participant: "id service_id given_name family_name preferred_name date_of_birth "
            "prison_number crn pnc_number nhs_number phone gp_practice current_accommodation "
            "prison expected_release_date stage stage_since recall_type highest_rosh mappa_category mappa_level "
            "plan_review_due_on version created_at",
            Contact: "id participant_id name relationship phone notes is_next_of_kin",
            Goal: "id participant_id in_his_words progress progress_note set_on",
            StageChange: "id participant_id kind from_stage to_stage effective_on reason "
            "recall_type ending recorded_by_id recorded_at",
            ReleasePlan: "id participant_id planned_release_date collected_by collection_done "
            "first_night first_night_done benefits benefits_done gp gp_done first_appointments "
            "first_appointments_done release_id",
            Licence: "id participant_id starts_on ends_on sentence_expiry_on standard_conditions",
            LicenceCondition: "id licence_id category text starts_on ends_on",
            Allocation: "id participant_id role staff_id started_on ended_on allocated_by_id",
            PathwayNeed: "id participant_id pathway level notes updated_at",
            OutcomeSnapshot: "id participant_id point taken_on accommodation occupation notes "
            "recorded_by_id",
            TimelineEvent: "id participant_id occurred_at category title detail visibility "
            "actor_id link recorded_at",
            Exclusion: "id participant_id staff_id reason created_by_id created_at "
            "lifted_at lifted_by_id",
            TemporaryAccess: "id participant_id staff_id reason granted_at expires_at ended_at "
            "ended_by_id",
            RiskAssessment: "id participant_id assessed_on assessor_id source_reference "
            "rosh_public rosh_known_adult rosh_children rosh_staff rosh_prisoners risk_to_self "
            "reoffending mappa_category mappa_level risk_factors protective_factors "
            "warning_signs imminence created_at",
            RiskManagementPlan: "id participant_id number status author_id actions "
            "contingency_plan expected_days_per_week submitted_at decided_by_id decided_at "
            "return_comment review_due_on review_reason lock_version created_at",
            Formulation: "id participant_id number status author_id presenting_problems "
            "reciprocal_roles target_problem_procedures exits predisposing precipitating "
            "perpetuating protective presenting his_account shared_with_him_on agreed_by_id "
            "agreed_at lock_version created_at",
            SessionSeries: "id service_id title weekdays created_by_id created_at",
            Session: "id service_id series_id session_type title starts_at ends_at "
            "location_kind location_detail enforceable created_by_id created_at",
            Session.staff.through: "id session_id user_id",
            Attendance: "id session_id participant_id outcome absence_reason rescheduled_by "
            "recorded_by_id recorded_at session_starts_at",
            SessionNote: "id session_id participant_id author_id summary narrative pathways "
            "risk_concern visibility risk_concern_seen_at risk_concern_seen_by_id created_at "
            "risk_concern_shared",
            NoteAddendum: "id note_id author_id text created_at",
            EnforcementDecision: "id participant_id decision reason decided_on decided_by_id "
            "absences_counted created_at",
            RecallDecision: "id enforcement_id why alternatives_tried senior_manager_rationale "
            "outcome decided_on decided_by_id",
            CrisisCall: "id service_id participant_id started_at ended_at caller_type "
            "caller_name presenting_issue risk_indicators urgency actions_taken "
            "follow_up_required narrative recorded_by_id recorded_at acknowledged_by_id "
            "acknowledged_at acknowledgement_note",
            AccessLog: "id at user_id role participant_id page view_name ip_address allowed",
            ReportRequest: "id kind service_id participant_id period_start period_end "
            "requested_by_id requested_at status progress step attempts last_sent_at "
            "started_at finished_at file file_size page_count render_seconds error_message "
            "figures approved_by_id approved_at superseded_at scheduled",
        }
        self.columns = {model: columns.split() for model, columns in spec.items()}
        self.add = {model: w.register(model, cols) for model, cols in self.columns.items()}
        historied = [m for m in spec if hasattr(m, "history") and m is not TimelineEvent]
        self.add_history = {model: w.register_history(model) for model in historied}
        staff_history = apps.get_model("keywork", "HistoricalSession_staff")
        self.add_staff_history = w.register(
            staff_history, ["id", "session_id", "user_id", "history_id", "m2m_history_id"]
        )
        self.next_staff_history_id = w.id_counter(staff_history)
        self.ids = {
            model: w.id_counter(model)
            for model in spec
            if model._meta.pk.get_internal_type() != "UUIDField"
        }

    def _links(self) -> None:
        """URL patterns of the pages timeline events and the access log point at."""
        zero = "00000000-0000-0000-0000-000000000000"

        def pattern(name: str) -> Callable[[str], str]:
            before, after = reverse(name, args=[zero]).split(zero)
            return lambda pk: f"{before}{pk}{after}"

        self.link = {
            name: pattern(name)
            for name in (
                "keywork:session_detail",
                "keywork:participant_sessions",
                "crisisline:call_detail",
                "crisisline:summary",
                "riskplans:overview",
                "participants:overview",
                "participants:timeline",
                "participants:history",
            )
        }

        def plan_link(participant_id: str, plan_id: str) -> str:
            return (
                reverse("riskplans:plan_detail", args=[zero, zero])
                .replace(zero, participant_id, 1)
                .replace(zero, plan_id, 1)
            )

        def formulation_link(participant_id: str, formulation_id: str) -> str:
            return (
                reverse("riskplans:formulation_detail", args=[zero, zero])
                .replace(zero, participant_id, 1)
                .replace(zero, formulation_id, 1)
            )

        self.plan_link, self.formulation_link = plan_link, formulation_link

    def row(self, model, values: dict) -> tuple:
        return tuple(values[c] for c in self.columns[model])

    def put(self, model, values: dict) -> None:
        self.add[model](self.row(model, values))

    def history(self, model, values: dict, kind: str, when, user_id) -> int:
        return self.add_history[model](self.row(model, values), kind, when, user_id)

    def at(self, day: datetime.date, hour: int, minute: int = 0, second: int = 0):
        return datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self.tz)

    # --- The run ----------------------------------------------------------------------------

    def run(self) -> None:
        if Participant.objects.exists() or Service.objects.exists():
            raise DatasetError(
                f"This database already has {Service.objects.count()} services and "
                f"{Participant.objects.count()} participants. generate_dataset fills an empty, "
                "migrated database only: create a new database and migrate it first."
            )
        count = 1 + SIZES[self.size]
        self.progress.plan(count * ROWS_PER_SERVICE_GUESS)
        self.writer.on_write = self.progress.advance
        self.progress.step("Bank holidays and shared records", 0)
        with transaction.atomic():
            self._shared_records()
            self.writer.flush_all()
        dropped = []
        if self.defer_indexes:
            with transaction.atomic():
                dropped = self.writer.drop_secondary_indexes()
        try:
            self._services(count)
        finally:
            if dropped:
                self.progress.step(f"Building {len(dropped)} indexes", 0)
                with transaction.atomic():
                    self.writer.create_indexes(dropped)
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # Before the reports: their figures are read back with the planner's statistics.
            self.progress.step("Statistics for the query planner (ANALYZE)", 0)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.progress.step("Reports of past quarters", 0)
        with transaction.atomic():
            for builder in self.services:
                builder.write_reports()
            self._national_rollups()
            self.writer.flush_all()
            self.writer.reset_sequences()
        if postgresql:
            # What autovacuum does to a live database after inserts: the visibility map that
            # lets counts read an index alone, and statistics that include the reports.
            self.progress.step("Vacuum and statistics (VACUUM ANALYZE)", 0)
            with connection.cursor() as cursor:
                if connection.in_atomic_block:
                    # Inside a transaction (the tests), where VACUUM cannot run.
                    for model in (ReportRequest, ReportRequest.history.model):
                        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
                else:
                    cursor.execute("VACUUM (ANALYZE)")

    def _services(self, count: int) -> None:
        for index in range(count):
            builder = ServiceBuilder(self, index)
            if self.services:
                builder.estimate = sum(b.rows_written for b in self.services) // len(self.services)
            self.progress.step(f"Service {index + 1}/{count}, {builder.name}", builder.estimate)
            before = self.writer.total
            self.writer.start_fingerprint()
            with transaction.atomic():
                builder.build()
                self.writer.flush_all()
            builder.rows_written = self.writer.total - before
            builder.fingerprint = self.writer.fingerprint.hexdigest()
            self.services.append(builder)
            self.progress.plan(self.writer.total + (count - index - 1) * builder.estimate)

    def _shared_records(self) -> None:
        # Hashed once (hashing is slow), with a salt from the seed: same seed, same rows.
        self.password = make_password(BENCH_PASSWORD, salt=f"benchmark{self.seed}")
        self.system_id = str(User.objects.get(email=SYSTEM_ACCOUNT_EMAIL).pk)
        self.groups = {g.name: g.pk for g in Group.objects.all()}
        known = set(BankHoliday.objects.values_list("date", flat=True))
        holidays = []
        for year in range(self.start.year, self.today.year + 2):
            holidays.extend(bank_holidays_of(year))
        for day, name in holidays:
            if day not in known:
                values = {"id": self.ids[BankHoliday](), "date": day, "name": name}
                self.put(BankHoliday, values)
                when = self.at(day - datetime.timedelta(days=200), 10)
                self.history(BankHoliday, values, "+", when, self.system_id)
        self.bank_holidays = known | {day for day, _ in holidays}

    def _national_rollups(self) -> None:
        """The commissioner's national roll-ups of the last quarters (all services)."""
        rng = random.Random(f"{self.seed}:national")
        commissioner_id = self.focus_staff["commissioner"].id
        for quarter in completed_quarters(self.today, 4):
            approved = [r for b in self.services for r in b.approved_figures.get(quarter.start, [])]
            figures = commissioner.add_counts(approved) if approved and self.with_figures else None
            asked = self.at(quarter.end + datetime.timedelta(days=20 + rng.randrange(10)), 11, 5)
            if asked > self.now:
                continue
            report_row(
                self,
                rng,
                kind="national",
                service_id=None,
                participant_id=None,
                start=quarter.start,
                end=quarter.end,
                requested_by=commissioner_id,
                requested_at=asked,
                figures=figures,
            )


def generate(
    *,
    size: str,
    seed: int = 1,
    progress: Progress | None = None,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
    with_figures: bool = True,
    fingerprints: bool = False,
    defer_indexes: bool = True,
) -> Dataset:
    """Fill this (empty, migrated) database with the dataset of `size`. Returns the run,
    whose `writer.counts` say how many rows of each model were written (and with
    `fingerprints`, each service builder's `fingerprint` of the rows it made). With
    `defer_indexes` (PostgreSQL) the non-unique indexes are dropped for the load and built
    again at the end, which is faster but locks the tables for the whole run."""
    writer = DatasetWriter(connection, fingerprints=fingerprints)
    checks_off = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
            checks_off = _switch_off_row_checks(cursor)
    dataset = Dataset(
        size=size,
        seed=seed,
        writer=writer,
        progress=progress,
        today=today,
        now=now,
        with_figures=with_figures,
        defer_indexes=defer_indexes,
    )
    try:
        dataset.run()
        if checks_off:
            progress = dataset.progress
            progress.step("Checking every foreign key (one query each)", 0)
            writer.check_foreign_keys()
    finally:
        if checks_off:
            with connection.cursor() as cursor:
                cursor.execute("RESET session_replication_role")
    write_placeholder_pdf()
    return dataset


def _switch_off_row_checks(cursor) -> bool:
    """Skip PostgreSQL's per-row foreign-key triggers while loading (superusers only): they
    cost more than the load itself. `check_foreign_keys` proves the same afterwards."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SET session_replication_role = replica")
    return True


def focus_fingerprint(*, size: str, seed: int, today: datetime.date, now: datetime.datetime) -> str:
    """A digest of every row the focus service would get at this size, writing nothing.

    Equal to `ServiceBuilder.fingerprint` of service 0 of a real run with the same seed and
    day, whatever the size: the determinism the benchmark ratios rely on.
    """
    writer = DatasetWriter(connection, dry_run=True, fingerprints=True)
    dataset = Dataset(size=size, seed=seed, writer=writer, today=today, now=now)
    dataset._shared_records()
    writer.start_fingerprint()
    ServiceBuilder(dataset, 0).build()
    return writer.fingerprint.hexdigest()
