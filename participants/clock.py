"""The custody–release–licence clock: where he was on each day, from his stage changes.

One home for "days in custody": a day is in custody when his stage that day is in-reach, which
is both pre-release in-reach and the time after a recall until re-release. Attendance is
expected only on days in the community or move-on; nothing is expected in custody, on the
waiting list or after his case ended.
"""

import bisect
import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from .models import Participant, Stage, StageChange

CUSTODY_STAGES = frozenset({Stage.IN_REACH})
LICENCE_STAGES = frozenset({Stage.COMMUNITY, Stage.MOVE_ON})


@dataclass(frozen=True)
class StageHistory:
    """His stage on any day: the stage in force before his first recorded move, then each move
    (effective_on, to_stage) in order. A move applies from its effective date."""

    first_stage: str
    moves: tuple[tuple[datetime.date, str], ...]

    def stage_on(self, day: datetime.date) -> str:
        index = bisect.bisect_right([on for on, _stage in self.moves], day)
        return self.moves[index - 1][1] if index else self.first_stage

    def in_custody_on(self, day: datetime.date) -> bool:
        return self.stage_on(day) in CUSTODY_STAGES

    def on_licence_on(self, day: datetime.date) -> bool:
        return self.stage_on(day) in LICENCE_STAGES


def stage_history_of(participant: Participant, changes=None) -> StageHistory:
    """From his stage changes (read once here unless given, oldest first). A man with no moves
    recorded has been in his current stage throughout; before his first move he was in the
    stage that move left (the waiting list when it says none)."""
    if changes is None:
        changes = list(
            StageChange.objects.filter(participant=participant)
            .order_by("effective_on", "recorded_at")
            .values_list("effective_on", "from_stage", "to_stage")
        )
    else:
        changes = [(c.effective_on, c.from_stage, c.to_stage) for c in changes]
    if not changes:
        return StageHistory(first_stage=participant.stage, moves=())
    first = changes[0][1] or Stage.WAITING
    return StageHistory(
        first_stage=first, moves=tuple((on, to_stage) for on, _from, to_stage in changes)
    )


# --- The service's time limits -----------------------------------------------------------------
# In-reach starts at least 6 months before release; he works with the service in the community
# for up to two years from his release (move-on is planned from 21 months); the licence
# condition to attend runs at least 18 months; his offender manager hears 8 weeks before the
# licence expires. The service decides what to do about each: these flag, they never refuse.
IN_REACH_MONTHS_EXPECTED = 6
LICENCE_MONTHS_EXPECTED = 18
COMMUNITY_LIMIT_MONTHS = 24
MOVE_ON_PROMPT_MONTHS = 21
LICENCE_EXPIRY_NOTICE = datetime.timedelta(weeks=8)
RELEASE_NEAR = datetime.timedelta(weeks=12)  # "Upcoming releases" and the in-reach flag

MONTH_DAYS = 365.25 / 12


def months_between(start: datetime.date, end: datetime.date) -> float:
    """Whole calendar months from `start` to `end`, and the days left over as a fraction of
    an average month (one rule for the record, the prompts and the reports): 3 May to 3 July
    is 2 months exactly."""
    if end < start:
        return -months_between(end, start)
    gap = relativedelta(end, start)
    return gap.years * 12 + gap.months + gap.days / MONTH_DAYS


def months_text(months: float) -> str:
    whole = int(months)
    return "less than a month" if whole < 1 else f"{whole} month{'s' if whole != 1 else ''}"


def in_reach_started_on(history: StageHistory, by: datetime.date) -> datetime.date | None:
    """The start of the in-reach he is in on `by` (the latest move into in-reach on or before
    it); None when he was not moved into in-reach on the record."""
    starts = [on for on, stage in history.moves if stage in CUSTODY_STAGES and on <= by]
    return starts[-1] if starts else None


def first_released_on(history: StageHistory) -> datetime.date | None:
    """His release into the community: the two-year limit runs from it."""
    return next((on for on, stage in history.moves if stage in LICENCE_STAGES), None)


@dataclass(frozen=True)
class ClockFlag:
    key: str
    text: str


def licence_flag(licence) -> ClockFlag | None:
    """A licence shorter than the service's 18 months: the service decides; it is not refused."""
    months = months_between(licence.starts_on, licence.ends_on)
    if months >= LICENCE_MONTHS_EXPECTED:
        return None
    return ClockFlag(
        "short_licence",
        f"Licence of {months_text(months)} (to {licence.ends_on:%d/%m/%Y}): under the "
        f"{LICENCE_MONTHS_EXPECTED} months the condition to attend should run. The service "
        "decides whether he can be offered the full programme.",
    )


def flags(
    participant: Participant, history: StageHistory, licence, today: datetime.date
) -> list[ClockFlag]:
    """What the clock says needs a decision about him today (the record and the home page
    prompts ask this one function)."""
    found = []
    release = participant.expected_release_date
    if participant.stage == Stage.IN_REACH and release and today <= release <= today + RELEASE_NEAR:
        started = in_reach_started_on(history, today)
        months = months_between(started, release) if started else 0.0
        if months < IN_REACH_MONTHS_EXPECTED:
            found.append(
                ClockFlag(
                    "short_in_reach",
                    f"Release expected on {release:%d/%m/%Y} with {months_text(months)} of "
                    f"in-reach by then: under the {IN_REACH_MONTHS_EXPECTED} months the service "
                    "works to before release.",
                )
            )
    if participant.stage in LICENCE_STAGES:
        released = first_released_on(history)
        months = months_between(released, today) if released else 0.0
        if participant.stage == Stage.COMMUNITY and months >= MOVE_ON_PROMPT_MONTHS:
            past = months >= COMMUNITY_LIMIT_MONTHS
            found.append(
                ClockFlag(
                    "community_limit",
                    f"{months_text(months)} in the community since release on "
                    f"{released:%d/%m/%Y}"
                    + (
                        f": past the {COMMUNITY_LIMIT_MONTHS}-month limit. Plan his move-on now."
                        if past
                        else f" of the {COMMUNITY_LIMIT_MONTHS}-month limit: plan his move-on."
                    ),
                )
            )
        if licence is not None and today <= licence.ends_on <= today + LICENCE_EXPIRY_NOTICE:
            weeks = (licence.ends_on - today).days // 7
            found.append(
                ClockFlag(
                    "licence_expiry",
                    f"Licence expires on {licence.ends_on:%d/%m/%Y}"
                    + (
                        f", in {weeks} week{'s' if weeks != 1 else ''}."
                        if weeks
                        else ", this week."
                    ),
                )
            )
    if licence is not None:
        short = licence_flag(licence)
        if short is not None and participant.stage != Stage.ENDED:
            found.append(short)
    return found


def summary(participant: Participant, history: StageHistory, licence, today: datetime.date):
    """The clock on his record: where he is against each of the service's time limits."""
    in_reach_from = in_reach_started_on(history, today)
    released = first_released_on(history)
    rows = []
    if participant.stage in CUSTODY_STAGES:
        if in_reach_from:
            rows.append(
                (
                    "In-reach",
                    f"Since {in_reach_from:%d/%m/%Y}: "
                    f"{months_text(months_between(in_reach_from, today))}",
                )
            )
        release = participant.expected_release_date
        if release and in_reach_from:
            by_release = months_text(months_between(in_reach_from, release))
            rows.append(("In-reach by his expected release", by_release))
    if released and participant.stage in LICENCE_STAGES:
        months = months_between(released, today)
        rows.append(
            (
                "Time in the community",
                f"{months_text(months)} of {COMMUNITY_LIMIT_MONTHS} since release on "
                f"{released:%d/%m/%Y}",
            )
        )
    if licence is not None:
        rows.append(
            ("Licence length", months_text(months_between(licence.starts_on, licence.ends_on)))
        )
    return {"rows": rows, "flags": flags(participant, history, licence, today)}
