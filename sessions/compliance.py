"""Licence compliance: every rule about what attendance counts, in one place.

- Only enforceable sessions (attendance is a licence requirement) count.
- Sessions the service cancelled, rescheduled sessions, "sent home (service issue)" and
  sessions cancelled by his recall to custody ("Cancelled: recalled to custody", set by
  services.apply_recall) are neither compliance nor non-compliance: they are left out of the
  rate. Nothing is expected of him in custody: those days expect nothing (below).
- Attended, attended late and acceptable absences are compliant; failing to comply,
  being sent home for behaviour and unacceptable absences are not.
- Unacceptable absences are counted over a rolling window of the service's policy (12 months
  by default). A recall and re-release do not reset the count.

Two measures, each named wherever it is shown:

- **Days attended against days expected** (the licence expectation). The days a week expected
  on each day come from the plan version approved for that period: a version applies from the
  day it was approved, never backwards (before his first approved plan, the service's 4). Days
  in custody (participants/clock.py) and days off licence expect nothing. A week expects, for
  each weekday (Monday to Friday, when the service runs) he is on licence, a fifth of that
  day's days a week, the sum rounded down (a day is expected once it is over): the weeks of release and recall are pro rata and a
  part week never expects more than its share. A day counts once however many sessions he
  attended that day, and a week's attended days count up to its expectation, so a full week
  never hides a short one: the shortfall is the days expected and not attended.
- **Enforceable sessions complied with**: compliant outcomes of the enforceable sessions
  counted (above).
"""

import bisect
import calendar
import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Q
from django.utils import timezone

from participants.clock import StageHistory, stage_history_of
from participants.models import Participant
from riskplans.models import PlanStatus, RiskManagementPlan

from .models import Attendance, CompliancePolicy, EnforcementDecision, Outcome

NOT_COUNTED = frozenset(
    {
        Outcome.CANCELLED_BY_SERVICE,
        Outcome.RESCHEDULED,
        Outcome.SENT_HOME_SERVICE,
        Outcome.CANCELLED_RECALLED,
    }
)
COMPLIANT = frozenset({Outcome.ATTENDED, Outcome.LATE, Outcome.ACCEPTABLE_ABSENCE})
NON_COMPLIANT = frozenset(
    {Outcome.FAILED_TO_COMPLY, Outcome.SENT_HOME_BEHAVIOUR, Outcome.UNACCEPTABLE_ABSENCE}
)
ATTENDED = frozenset({Outcome.ATTENDED, Outcome.LATE, Outcome.FAILED_TO_COMPLY})
DEFAULT_DAYS_PER_WEEK = 4


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """From the first moment of `start` to just after `end` (inclusive), in local time."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz),
    )


def enforceable_outcomes(participant: Participant, start: datetime.date, end: datetime.date):
    """Recorded outcomes of enforceable sessions between two dates (inclusive)."""
    since, until = day_bounds(start, end)
    return Attendance.objects.filter(
        participant=participant,
        session__enforceable=True,
        session_starts_at__gte=since,
        session_starts_at__lt=until,
    ).exclude(outcome="")


@dataclass(frozen=True)
class ComplianceRate:
    compliant: int
    counted: int

    @property
    def percent(self) -> int | None:
        if not self.counted:
            return None
        return round(100 * self.compliant / self.counted)

    @property
    def summary(self) -> str:
        if not self.counted:
            return "Enforceable sessions complied with: none recorded"
        return (
            f"Enforceable sessions complied with: {self.percent}% "
            f"({self.compliant} of {self.counted})"
        )


def compliance_rate(
    participant: Participant, start: datetime.date, end: datetime.date
) -> ComplianceRate:
    outcomes = enforceable_outcomes(participant, start, end).values_list("outcome", flat=True)
    return rate_of(outcomes)


def rate_of(outcomes) -> ComplianceRate:
    """The rate over these recorded outcomes of enforceable sessions."""
    counted = [o for o in outcomes if o not in NOT_COUNTED]
    return ComplianceRate(compliant=sum(1 for o in counted if o in COMPLIANT), counted=len(counted))


def policy_for(participant: Participant) -> CompliancePolicy:
    policy = CompliancePolicy.objects.filter(service_id=participant.service_id).first()
    return policy or CompliancePolicy(service_id=participant.service_id)


def window_start(today: datetime.date, window_months: int) -> datetime.date:
    """The first day of the rolling window of `window_months` that ends today."""
    return _months_before(today, window_months) + datetime.timedelta(days=1)


def unacceptable_absences_in_window(
    participant: Participant, today: datetime.date, window_months: int, *, details: bool = False
) -> list[Attendance]:
    """`details`: each with its session and who recorded it, in the same one query."""
    since = window_start(today, window_months)
    rows = (
        enforceable_outcomes(participant, since, today)
        .filter(outcome=Outcome.UNACCEPTABLE_ABSENCE)
        .order_by("session_starts_at")
    )
    if details:
        rows = rows.select_related("session", "recorded_by")
    return absences_among(rows, since)


def absences_among(rows, since: datetime.date) -> list[Attendance]:
    """The unacceptable absences among these recorded enforceable outcomes (oldest first) on or
    after `since`: the ones that count towards the policy's thresholds."""
    since_moment, _ = day_bounds(since, since)
    return [
        row
        for row in rows
        if row.outcome == Outcome.UNACCEPTABLE_ABSENCE and row.session_starts_at >= since_moment
    ]


@dataclass(frozen=True)
class ExpectationHistory:
    """The days a week expected of him on any day: each approved plan version (approval day,
    days a week), oldest first, and where he was (custody or on licence) from his stages."""

    approvals: tuple[tuple[datetime.date, int], ...]
    stages: StageHistory

    def days_a_week_on(self, day: datetime.date) -> int:
        """The days a week of the plan in force that day, whether or not he is on licence."""
        index = bisect.bisect_right([on for on, _days in self.approvals], day)
        return self.approvals[index - 1][1] if index else DEFAULT_DAYS_PER_WEEK

    def week(
        self,
        monday: datetime.date,
        last_day: datetime.date,
        first_day: datetime.date | None = None,
    ) -> "WeekExpectation":
        """What the week of `monday` expects, counting its weekdays up to `last_day` (and from
        `first_day`, when a count such as a quarter's starts within the week)."""
        share = Fraction(0)
        on_licence = in_custody = 0
        plan_days: list[int] = []
        for offset in range(5):
            day = monday + datetime.timedelta(days=offset)
            if day > last_day:
                break
            if first_day is not None and day < first_day:
                continue
            if self.stages.in_custody_on(day):
                in_custody += 1
            elif self.stages.on_licence_on(day):
                on_licence += 1
                days_a_week = self.days_a_week_on(day)
                if days_a_week not in plan_days:
                    plan_days.append(days_a_week)
                share += Fraction(days_a_week, 5)
        first = monday if first_day is None else max(monday, first_day)
        return WeekExpectation(
            expected=int(share),  # rounded down
            weekdays_on_licence=on_licence,
            weekdays_in_custody=in_custody,
            plan_days=tuple(plan_days),
            # No weekday of it over yet (a Monday's own week): it reads as he is on its first day.
            begins_in_custody=not (in_custody or on_licence) and self.stages.in_custody_on(first),
        )


@dataclass(frozen=True)
class WeekExpectation:
    expected: int
    weekdays_on_licence: int
    weekdays_in_custody: int
    plan_days: tuple[int, ...]
    begins_in_custody: bool = False


def expectation_history(
    participant: Participant, approvals=None, stage_changes=None
) -> ExpectationHistory:
    """His expectation history: two reads (his approved plan versions and his stage changes),
    or none when a list page gives them prefetched."""
    if approvals is None:
        approvals = (
            RiskManagementPlan.objects.filter(
                participant=participant,
                status__in=(PlanStatus.APPROVED, PlanStatus.SUPERSEDED),
                decided_at__isnull=False,
            )
            .order_by("decided_at")
            .values_list("decided_at", "expected_days_per_week")
        )
    return ExpectationHistory(
        approvals=tuple(
            (timezone.localtime(decided_at).date(), days) for decided_at, days in approvals
        ),
        stages=stage_history_of(participant, stage_changes),
    )


def expected_days_per_week(participant: Participant, day: datetime.date | None = None) -> int:
    """The days a week of the plan version in force on `day` (today by default), else 4."""
    return expectation_history(participant).days_a_week_on(day or timezone.localdate())


@dataclass(frozen=True)
class EnforcementPrompt:
    level: str  # "warning" or "recall_review"
    absences: int
    window_months: int

    @property
    def message(self) -> str:
        what = "review for recall" if self.level == "recall_review" else "consider a warning"
        return (
            f"{self.absences} unacceptable absence{'s' if self.absences != 1 else ''} in the last "
            f"{self.window_months} months: {what} and record your decision"
        )


def enforcement_prompt(
    participant: Participant, today: datetime.date | None = None
) -> EnforcementPrompt | None:
    """A prompt when absences reach the policy's threshold and no decision followed the latest.

    The app prompts; people decide.
    """
    return enforcement_grounds(participant, today).prompt


@dataclass(frozen=True)
class EnforcementGrounds:
    """What an enforcement decision is made on: the unacceptable absences that count towards
    the policy's thresholds (oldest first, each with its session and who recorded it), and
    the prompt they make, if any."""

    policy: CompliancePolicy
    absences: list[Attendance]
    prompt: EnforcementPrompt | None


def enforcement_grounds(
    participant: Participant, today: datetime.date | None = None
) -> EnforcementGrounds:
    """Read in one query however many absences there are."""
    today = today or timezone.localdate()
    policy = policy_for(participant)
    absences = unacceptable_absences_in_window(
        participant, today, policy.window_months, details=True
    )
    return EnforcementGrounds(
        policy=policy, absences=absences, prompt=prompt_for(participant, policy, absences)
    )


def enforcement_prompts(participants, today: datetime.date | None = None) -> dict:
    """{his id: his prompt} for the men who have one, by the same rule as enforcement_prompt:
    three reads however many men (their services' policies, their unacceptable absences of
    the longest window, their decisions newest first)."""
    today = today or timezone.localdate()
    men = list(participants)
    if not men:
        return {}
    ids = [man.pk for man in men]
    policies = {
        policy.service_id: policy
        for policy in CompliancePolicy.objects.filter(
            service_id__in={man.service_id for man in men}
        )
    }
    for man in men:
        if man.service_id not in policies:
            policies[man.service_id] = CompliancePolicy(service_id=man.service_id)
    earliest = min(window_start(today, p.window_months) for p in policies.values())
    since, until = day_bounds(earliest, today)
    absences: dict = {man_id: [] for man_id in ids}
    for row in Attendance.objects.filter(
        participant_id__in=ids,
        session__enforceable=True,
        session_starts_at__gte=since,
        session_starts_at__lt=until,
        outcome=Outcome.UNACCEPTABLE_ABSENCE,
    ).order_by("session_starts_at"):
        absences[row.participant_id].append(row)
    latest: dict = {}
    for decision in EnforcementDecision.objects.filter(participant_id__in=ids):
        latest.setdefault(decision.participant_id, decision)  # the model orders newest first
    prompts = {}
    for man in men:
        policy = policies[man.service_id]
        his = absences_among(absences[man.pk], window_start(today, policy.window_months))
        decision = latest.get(man.pk)
        prompt = prompt_for(man, policy, his, [decision] if decision else [])
        if prompt is not None:
            prompts[man.pk] = prompt
    return prompts


def compliance_rates(participants, start: datetime.date, end: datetime.date) -> dict:
    """{his id: his enforceable-sessions rate} between two dates, for many men in one read."""
    since, until = day_bounds(start, end)
    outcomes: dict = {man.pk: [] for man in participants}
    for man_id, outcome in (
        Attendance.objects.filter(
            participant_id__in=list(outcomes),
            session__enforceable=True,
            session_starts_at__gte=since,
            session_starts_at__lt=until,
        )
        .exclude(outcome="")
        .values_list("participant_id", "outcome")
    ):
        outcomes[man_id].append(outcome)
    return {man_id: rate_of(rows) for man_id, rows in outcomes.items()}


def prompt_for(
    participant: Participant,
    policy: CompliancePolicy,
    absences: list[Attendance],
    latest_decisions: list[EnforcementDecision] | None = None,
) -> EnforcementPrompt | None:
    """The prompt, given his unacceptable absences in the policy's window (oldest first) and,
    if already read, his latest decisions (newest first, as the model orders them)."""
    if len(absences) < policy.warning_threshold or not absences:
        return None
    latest = timezone.localtime(absences[-1].session_starts_at).date()
    if latest_decisions is None:
        latest_decisions = list(participant.enforcement_decisions.all()[:1])
    if latest_decisions and latest_decisions[0].decided_on >= latest:
        return None
    level = "recall_review" if len(absences) >= policy.recall_review_threshold else "warning"
    return EnforcementPrompt(
        level=level, absences=len(absences), window_months=policy.window_months
    )


@dataclass(frozen=True)
class Week:
    starts: datetime.date
    expected: int
    attended_days: int
    absences: list
    weekdays_on_licence: int = 5
    weekdays_in_custody: int = 0
    plan_days: tuple[int, ...] = (DEFAULT_DAYS_PER_WEEK,)
    begins_in_custody: bool = False  # no weekday counted yet, and in custody on its first day

    @property
    def in_custody(self) -> bool:
        """In custody every weekday counted (or, with none counted yet, on its first day):
        nothing expected, and it reads "in custody"."""
        if not (self.weekdays_in_custody or self.weekdays_on_licence):
            return self.begins_in_custody
        return self.weekdays_in_custody > 0 and not self.weekdays_on_licence

    @property
    def pro_rata(self) -> bool:
        return 0 < self.weekdays_on_licence < 5

    @property
    def shortfall(self) -> int:
        return max(0, self.expected - self.attended_days)

    @property
    def below_expectation(self) -> bool:
        return self.shortfall > 0

    @property
    def expected_days_attended(self) -> int:
        return min(self.attended_days, self.expected)

    @property
    def note(self) -> str:
        """Why the week expects what it does, when that is not a whole week of one plan."""
        parts = []
        if self.in_custody:
            return "In custody"
        if self.weekdays_in_custody:
            parts.append(
                f"in custody {self.weekdays_in_custody} weekday"
                f"{'s' if self.weekdays_in_custody != 1 else ''}"
            )
        if self.pro_rata:
            parts.append(f"pro rata: {self.weekdays_on_licence} of 5 weekdays on licence")
        if len(self.plan_days) > 1:
            parts.append(
                "plan changed in the week ("
                + " then ".join(f"{d} a week" for d in self.plan_days)
                + ")"
            )
        return "; ".join(parts).capitalize()


def weekly_attendance(
    participant: Participant,
    start: datetime.date,
    end: datetime.date,
    history: ExpectationHistory | None = None,
) -> list[Week]:
    """Week by week (Monday start): expected days against days attended, and each absence."""
    rows = enforceable_outcomes(participant, _monday_of(start), end)
    return weeks_of(
        rows.order_by("session_starts_at"),
        start,
        end,
        history or expectation_history(participant),
    )


def _monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def weeks_of(
    rows, start: datetime.date, end: datetime.date, history: ExpectationHistory
) -> list[Week]:
    """Recorded outcomes of enforceable sessions into whole weeks from the Monday of `start`.
    The expectation counts weekdays up to `end` once they are over: today is not expected yet,
    so a week still under way expects its share of the days gone."""
    last_expected_day = min(end, timezone.localdate() - datetime.timedelta(days=1))
    monday = _monday_of(start)
    weeks: dict[datetime.date, dict] = {}
    cursor = monday
    while cursor <= end:
        weeks[cursor] = {"days": set(), "absences": []}
        cursor += datetime.timedelta(days=7)
    for row in rows:
        day = timezone.localtime(row.session_starts_at).date()
        week = weeks.get(day - datetime.timedelta(days=day.weekday()))
        if week is None:
            continue
        if row.outcome in ATTENDED:
            week["days"].add(day)
        elif row.outcome in (Outcome.ACCEPTABLE_ABSENCE, Outcome.UNACCEPTABLE_ABSENCE):
            week["absences"].append(row)
    result = []
    for key, value in weeks.items():
        expectation = history.week(key, last_expected_day)
        result.append(
            Week(
                starts=key,
                expected=expectation.expected,
                attended_days=len(value["days"]),
                absences=value["absences"],
                weekdays_on_licence=expectation.weekdays_on_licence,
                weekdays_in_custody=expectation.weekdays_in_custody,
                plan_days=expectation.plan_days,
                begins_in_custody=expectation.begins_in_custody,
            )
        )
    return result


@dataclass(frozen=True)
class DaysMeasure:
    """Days attended against days expected (the licence expectation), over some weeks."""

    attended: int  # expected days attended: each week's attended days up to its expectation
    expected: int
    weeks_below: list[Week]

    @property
    def shortfall(self) -> int:
        return self.expected - self.attended

    @property
    def percent(self) -> int | None:
        if not self.expected:
            return None
        return round(100 * self.attended / self.expected)

    @property
    def summary(self) -> str:
        """The headline in words, its shortfall always with it."""
        if not self.expected:
            return "Days attended against days expected: no days expected"
        text = (
            f"Days attended against days expected: {self.percent}% "
            f"({self.attended} of {self.expected} expected days)"
        )
        if self.shortfall:
            weeks = len(self.weeks_below)
            text += (
                f"; {self.shortfall} day{'s' if self.shortfall != 1 else ''} short in "
                f"{weeks} week{'s' if weeks != 1 else ''} below expectation"
            )
        return text


def days_measure(weeks: list[Week]) -> DaysMeasure:
    return DaysMeasure(
        attended=sum(week.expected_days_attended for week in weeks),
        expected=sum(week.expected for week in weeks),
        weeks_below=[week for week in weeks if week.below_expectation],
    )


@dataclass(frozen=True)
class DaysAcrossMen:
    """Days attended against days expected, added up over many men (commissioner report)."""

    expected: int
    attended: int
    weeks_below: int
    men_below: int

    @property
    def shortfall(self) -> int:
        return self.expected - self.attended

    @property
    def percent(self) -> int | None:
        return round(100 * self.attended / self.expected) if self.expected else None

    @property
    def summary(self) -> str:
        if not self.expected:
            return "days attended against days expected: no days expected"
        text = (
            f"days attended against days expected {self.percent}% "
            f"({self.attended} of {self.expected})"
        )
        if self.shortfall:
            text += f", {self.shortfall} short"
        return text


def days_by_man(participants, start: datetime.date, end: datetime.date) -> dict:
    """{his id: his days measure} between two dates (inclusive), each week by the same rule
    as his own pages: four reads however many men."""
    from participants.models import StageChange

    men = list(participants.only("pk", "stage"))
    ids = [man.pk for man in men]
    approvals: dict = {man_id: [] for man_id in ids}
    for man_id, decided_at, days in (
        RiskManagementPlan.objects.filter(
            participant_id__in=ids,
            status__in=(PlanStatus.APPROVED, PlanStatus.SUPERSEDED),
            decided_at__isnull=False,
        )
        .order_by("decided_at")
        .values_list("participant_id", "decided_at", "expected_days_per_week")
    ):
        approvals[man_id].append((decided_at, days))
    changes: dict = {man_id: [] for man_id in ids}
    for change in StageChange.objects.filter(participant_id__in=ids).order_by(
        "effective_on", "recorded_at"
    ):
        changes[change.participant_id].append(change)
    since, until = day_bounds(start, end)
    attended: dict = {man_id: set() for man_id in ids}
    for man_id, starts_at in Attendance.objects.filter(
        participant_id__in=ids,
        session__enforceable=True,
        session_starts_at__gte=since,
        session_starts_at__lt=until,
        outcome__in=ATTENDED,
    ).values_list("participant_id", "session_starts_at"):
        attended[man_id].add(timezone.localtime(starts_at).date())
    last_expected_day = min(end, timezone.localdate() - datetime.timedelta(days=1))
    result = {}
    for man in men:
        history = expectation_history(man, approvals[man.pk], changes[man.pk])
        expected = attended_days = short_weeks = 0
        monday = _monday_of(start)
        while monday <= end:
            week_expected = history.week(monday, last_expected_day, first_day=start).expected
            days = sum(
                1 for day in attended[man.pk] if monday <= day < monday + datetime.timedelta(7)
            )
            expected += week_expected
            attended_days += min(days, week_expected)
            short_weeks += days < week_expected
            monday += datetime.timedelta(days=7)
        result[man.pk] = DaysAcrossMen(
            expected=expected,
            attended=attended_days,
            weeks_below=short_weeks,
            men_below=int(bool(short_weeks)),
        )
    return result


def days_across(participants, start: datetime.date, end: datetime.date) -> DaysAcrossMen:
    """The days measure of these men added up (see days_by_man)."""
    each = days_by_man(participants, start, end).values()
    return DaysAcrossMen(
        expected=sum(d.expected for d in each),
        attended=sum(d.attended for d in each),
        weeks_below=sum(d.weeks_below for d in each),
        men_below=sum(d.men_below for d in each),
    )


RECENT_DECISIONS_SHOWN = 20


@dataclass(frozen=True)
class RecentCompliance:
    """What his sessions page shows: the last 12 weeks week by week with their rate, the
    unacceptable absences that count towards the policy's thresholds, and his latest
    enforcement decisions."""

    policy: CompliancePolicy
    weeks: list[Week]
    rate: ComplianceRate
    days: DaysMeasure
    absences: list[Attendance]
    decisions: list[EnforcementDecision]
    prompt: EnforcementPrompt | None


def recent_compliance(participant: Participant, today: datetime.date, weeks: int = 12):
    """The same rules as above, with his outcomes read once: the weeks shown and the absences
    of the policy's window come from one read of his own rows."""
    start = today - datetime.timedelta(weeks=weeks - 1)
    first_monday = _monday_of(start)
    policy = policy_for(participant)
    absences_since = window_start(today, policy.window_months)
    weeks_since, _ = day_bounds(first_monday, first_monday)
    rows = list(
        enforceable_outcomes(participant, min(first_monday, absences_since), today)
        .filter(Q(session_starts_at__gte=weeks_since) | Q(outcome=Outcome.UNACCEPTABLE_ABSENCE))
        .only("outcome", "absence_reason", "session_starts_at")
        .order_by("session_starts_at")
    )
    rows_of_weeks = [row for row in rows if row.session_starts_at >= weeks_since]
    rate_since, _ = day_bounds(start, today)
    absences = absences_among(rows, absences_since)
    decisions = list(
        participant.enforcement_decisions.select_related("decided_by", "recall_decision")[
            :RECENT_DECISIONS_SHOWN
        ]
    )
    weeks = weeks_of(rows_of_weeks, start, today, expectation_history(participant))
    return RecentCompliance(
        policy=policy,
        weeks=weeks,
        days=days_measure(weeks),
        rate=rate_of(row.outcome for row in rows_of_weeks if row.session_starts_at >= rate_since),
        absences=absences,
        decisions=decisions,
        prompt=prompt_for(participant, policy, absences, decisions),
    )
