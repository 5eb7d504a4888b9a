"""Licence compliance: every rule about what attendance counts, in one place.

- Only enforceable sessions (attendance is a licence requirement) count.
- Sessions the service cancelled, rescheduled sessions and "sent home (service issue)" are
  neither compliance nor non-compliance: they are left out of the rate.
- Attended, attended late and acceptable absences are compliant; failing to comply,
  being sent home for behaviour and unacceptable absences are not.
- Unacceptable absences are counted over a rolling window of the service's policy (12 months
  by default). A recall and re-release do not reset the count.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from participants.models import Participant

from .models import Attendance, CompliancePolicy, EnforcementDecision, Outcome

NOT_COUNTED = frozenset(
    {Outcome.CANCELLED_BY_SERVICE, Outcome.RESCHEDULED, Outcome.SENT_HOME_SERVICE}
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
    participant: Participant, today: datetime.date, window_months: int
) -> list[Attendance]:
    since = window_start(today, window_months)
    return absences_among(
        enforceable_outcomes(participant, since, today)
        .filter(outcome=Outcome.UNACCEPTABLE_ABSENCE)
        .order_by("session_starts_at"),
        since,
    )


def absences_among(rows, since: datetime.date) -> list[Attendance]:
    """The unacceptable absences among these recorded enforceable outcomes (oldest first) on or
    after `since`: the ones that count towards the policy's thresholds."""
    since_moment, _ = day_bounds(since, since)
    return [
        row
        for row in rows
        if row.outcome == Outcome.UNACCEPTABLE_ABSENCE and row.session_starts_at >= since_moment
    ]


def expected_days_per_week(participant: Participant) -> int:
    """From his approved plan (kept on his record by the riskplans services), else 4."""
    expected = participant.expected_days_per_week
    return DEFAULT_DAYS_PER_WEEK if expected is None else expected


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
    today = today or timezone.localdate()
    policy = policy_for(participant)
    absences = unacceptable_absences_in_window(participant, today, policy.window_months)
    return prompt_for(participant, policy, absences)


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


def weekly_attendance(
    participant: Participant, start: datetime.date, end: datetime.date
) -> list[Week]:
    """Week by week (Monday start): expected days against days attended, and each absence."""
    rows = enforceable_outcomes(participant, _monday_of(start), end)
    return weeks_of(
        rows.order_by("session_starts_at"), start, end, expected_days_per_week(participant)
    )


def _monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def weeks_of(rows, start: datetime.date, end: datetime.date, expected: int) -> list[Week]:
    """Recorded outcomes of enforceable sessions into weeks."""
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
    return [
        Week(
            starts=key,
            expected=expected,
            attended_days=len(value["days"]),
            absences=value["absences"],
        )
        for key, value in weeks.items()
    ]


RECENT_DECISIONS_SHOWN = 20


@dataclass(frozen=True)
class RecentCompliance:
    """What his sessions page shows: the last 12 weeks week by week with their rate, the
    unacceptable absences that count towards the policy's thresholds, and his latest
    enforcement decisions."""

    policy: CompliancePolicy
    weeks: list[Week]
    rate: ComplianceRate
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
    return RecentCompliance(
        policy=policy,
        weeks=weeks_of(rows_of_weeks, start, today, expected_days_per_week(participant)),
        rate=rate_of(row.outcome for row in rows_of_weeks if row.session_starts_at >= rate_since),
        absences=absences,
        decisions=decisions,
        prompt=prompt_for(participant, policy, absences, decisions),
    )
