"""Accommodation and work after release, for the commissioner report: every release counts.

One home for "where was he living, and was he in work, at release and 3, 6 and 12 months on".
Each release (through the gate, or re-released after a recall) is counted at each point that
falls in the quarter: at release for releases in the quarter, at 3 months for those released
three months before, and so on. What counts is the outcome recorded nearest that point within a
tolerance; a release with none is counted as "not recorded", never dropped, so the figures of a
quarter always add up to its releases.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from participants.models import OutcomeSnapshot, StageChange

RELEASES = (StageChange.Kind.RELEASED, StageChange.Kind.RE_RELEASED)
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class FollowUp:
    key: str  # how the point is stored in a report's counts
    months: int
    label: str
    before: datetime.timedelta  # how far either side of the point an outcome still counts
    after: datetime.timedelta


# At release: the outcome recorded at the gate (a week before, for a plan confirmed the week
# of release, to a fortnight after). Later points: within about a month either side.
FOLLOW_UPS = (
    FollowUp("release", 0, "At release", datetime.timedelta(days=7), datetime.timedelta(days=14)),
    *(
        FollowUp(
            f"{n}m",
            n,
            f"{n} months after release",
            datetime.timedelta(days=31),
            datetime.timedelta(days=31),
        )
        for n in (3, 6, 12)
    ),
)
ACCOMMODATION = (*OutcomeSnapshot.Accommodation.values, NOT_RECORDED)
OCCUPATION = (*OutcomeSnapshot.Occupation.values, NOT_RECORDED)
IN_ETE = (
    OutcomeSnapshot.Occupation.EMPLOYED,
    OutcomeSnapshot.Occupation.TRAINING,
    OutcomeSnapshot.Occupation.EDUCATION,
)


def pathway_counts(service_ids, start: datetime.date, end: datetime.date) -> dict:
    """{point key: {"releases": n, "accommodation": {code: n}, "occupation": {code: n}}} for
    the quarter start..end (inclusive). Two queries, whatever the number of men."""
    earliest = start - relativedelta(months=max(f.months for f in FOLLOW_UPS))
    releases = list(
        StageChange.objects.filter(
            participant__service_id__in=service_ids,
            kind__in=RELEASES,
            effective_on__range=(earliest, end),
        ).values_list("participant_id", "effective_on")
    )
    snapshots: dict = {}
    if releases:
        widest = max(f.after for f in FOLLOW_UPS)
        for participant_id, point, taken_on, accommodation, occupation in (
            OutcomeSnapshot.objects.filter(
                participant_id__in={participant_id for participant_id, _ in releases},
                taken_on__range=(earliest - widest, end + widest),
            )
            .order_by("taken_on", "pk")
            .values_list("participant_id", "point", "taken_on", "accommodation", "occupation")
        ):
            snapshots.setdefault(participant_id, []).append(
                (point, taken_on, accommodation, occupation)
            )

    counts = {}
    for follow_up in FOLLOW_UPS:
        accommodation: Counter = Counter()
        occupation: Counter = Counter()
        due = 0
        for participant_id, released_on in releases:
            when = released_on + relativedelta(months=follow_up.months)
            if not start <= when <= end:
                continue
            due += 1
            found = _nearest(snapshots.get(participant_id, []), when, follow_up)
            accommodation[found[2] if found else NOT_RECORDED] += 1
            occupation[found[3] if found else NOT_RECORDED] += 1
        counts[follow_up.key] = {
            "releases": due,
            "accommodation": {code: accommodation.get(code, 0) for code in ACCOMMODATION},
            "occupation": {code: occupation.get(code, 0) for code in OCCUPATION},
        }
    return counts


def _nearest(snapshots: list, when: datetime.date, follow_up: FollowUp):
    """The outcome recorded nearest `when` within the point's tolerance (at release, only one
    recorded as the release outcome); the later one when two are as near."""
    candidates = [
        snapshot
        for snapshot in snapshots
        if when - follow_up.before <= snapshot[1] <= when + follow_up.after
        and (follow_up.months or snapshot[0] == OutcomeSnapshot.Point.RELEASE)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (abs((s[1] - when).days), -s[1].toordinal()))
