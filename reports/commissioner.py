"""The commissioner report's figures: counts only, never names or identifiers.

`gather_counts` reads the raw counts of a set of services for one quarter with grouped
queries (a fixed number, whatever the size of the service). The counts are stored on the
report when it is produced, so a national roll-up adds up exactly what each service manager
approved. `sections` turns counts into the tables and charts both reports print, with
small numbers suppressed (see suppression.py).
"""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from crisisline.models import CrisisCall, Urgency
from participants.clock import (
    COMMUNITY_LIMIT_MONTHS,
    IN_REACH_MONTHS_EXPECTED,
    LICENCE_STAGES,
    months_between,
)
from participants.models import OutcomeSnapshot, Participant, Referral, Stage, StageChange
from resettle.accounts.models import Service
from sessions import compliance
from sessions.models import Attendance, Outcome

from . import charts
from .pathways import FOLLOW_UPS, IN_ETE, NOT_RECORDED, pathway_counts
from .quarters import Quarter
from .suppression import Cell, breakdown, cell, is_small, percent

ACTIVE_STAGES = (Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON)
TIME_BANDS = (
    ("under_6m", "Under 6 months", 0, 6),
    ("6_to_12m", "6 to 12 months", 6, 12),
    ("1_to_2y", "1 to 2 years", 12, 24),
    ("over_2y", "Over 2 years", 24, None),
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _count_by(queryset, field: str) -> dict:
    """{value of `field`: number of rows} in one grouped query."""
    return dict(queryset.values_list(field).annotate(n=Count("pk")).order_by())


def _days(service_ids: list[int], start: datetime.date, end: datetime.date) -> dict:
    days = compliance.days_across(
        Participant.objects.filter(service_id__in=service_ids), start, end
    )
    return {
        "expected": days.expected,
        "attended": days.attended,
        "weeks_below": days.weeks_below,
        "men_below": days.men_below,
    }


def gather_counts(service_ids: list[int], quarter: Quarter) -> dict:
    """Every raw count of the report for these services and this quarter (JSON-ready): one
    step per section, in the order the report is stored."""
    start, end = quarter.start, quarter.end
    since, until = compliance.day_bounds(quarter.start, quarter.end)
    at_end = _people_at_end(service_ids, end)
    months_in_service = _months_in_service(at_end, end)
    in_community = [released for stage, _joined, released in at_end if stage in LICENCE_STAGES]
    return {
        "quarter": quarter.key,
        **_service_figures(service_ids),
        **_referral_figures(service_ids, start, end),
        "caseload": _caseload(at_end),
        "movements": _movements(service_ids, start, end),
        "attendance": _attendance(service_ids, since, until),
        "days": _days(service_ids, start, end),
        **_time_in_service(months_in_service),
        "calls": _calls(service_ids, since, until),
        # Accommodation and work at release and 3, 6 and 12 months on: every release counts.
        "pathways": pathway_counts(service_ids, start, end),
        "clock": _clock_figures(service_ids, start, end, in_community),
    }


def _service_figures(service_ids: list[int]) -> dict:
    """The services' names and their funded places."""
    services = list(Service.objects.filter(pk__in=service_ids))
    return {
        "services": sorted(s.name for s in services),
        "funded": {
            "community": sum(s.funded_community_places for s in services),
            "custody": sum(s.funded_custody_places for s in services),
        },
    }


def _referral_figures(service_ids: list[int], start: datetime.date, end: datetime.date) -> dict:
    """Referrals received in the quarter, those decided in it by outcome, and the declined by
    reason."""
    referrals = Referral.objects.filter(service_id__in=service_ids)
    decided = referrals.filter(decided_on__range=(start, end))
    by_status = _count_by(decided, "status")
    declined_by = _count_by(decided.filter(status=Referral.Status.DECLINED), "decline_category")
    return {
        "referrals": {
            "received": referrals.filter(received_on__range=(start, end)).count(),
            "accepted": by_status.get(Referral.Status.ACCEPTED, 0)
            + by_status.get(Referral.Status.WAITING_LIST, 0),
            "declined": by_status.get(Referral.Status.DECLINED, 0),
            "withdrawn": by_status.get(Referral.Status.WITHDRAWN, 0),
        },
        "declined_by_reason": {
            code: declined_by.get(code, 0) for code in Referral.DeclineCategory.values
        }
        | ({"not_recorded": declined_by[""]} if declined_by.get("") else {}),
    }


def _people_at_end(service_ids: list[int], end: datetime.date) -> list[tuple]:
    """(stage at the quarter's end, first day with the service, release into the community)
    of each man with a stage by then, in one query."""
    # Stage at quarter end: each man's latest move on or before the last day.
    latest_move = StageChange.objects.filter(
        participant=OuterRef("pk"), effective_on__lte=end
    ).order_by("-effective_on", "-recorded_at")
    people = Participant.objects.filter(service_id__in=service_ids).annotate(
        stage_at_end=Subquery(latest_move.values("to_stage")[:1]),
        joined_on=Subquery(
            StageChange.objects.filter(participant=OuterRef("pk"))
            .values("participant")
            .annotate(first=Min("effective_on"))
            .values("first")[:1]
        ),
        # His release into the community: the two-year limit runs from it (participants/clock).
        released_on=Subquery(
            StageChange.objects.filter(
                participant=OuterRef("pk"), to_stage__in=LICENCE_STAGES, effective_on__lte=end
            )
            .order_by("effective_on", "recorded_at")
            .values("effective_on")[:1]
        ),
    )
    return list(
        people.filter(stage_at_end__isnull=False).values_list(
            "stage_at_end", "joined_on", "released_on"
        )
    )


def _caseload(at_end: list[tuple]) -> dict:
    """Men in each stage at the quarter's end."""
    caseload = Counter(stage for stage, _joined, _released in at_end)
    return {stage: caseload.get(stage, 0) for stage in Stage.values}


def _months_in_service(at_end: list[tuple], end: datetime.date) -> list:
    """For each man active at the quarter's end, his months with the service by then."""
    return [
        months_between(joined, end)
        for stage, joined, _released in at_end
        if stage in ACTIVE_STAGES and joined is not None
    ]


def _time_in_service(months_in_service: list) -> dict:
    """The active men by band of time with the service, and the median."""
    bands: Counter = Counter()
    for months in months_in_service:
        for key, _label, low, high in TIME_BANDS:
            if months >= low and (high is None or months < high):
                bands[key] += 1
                break
    return {
        "time_in_service": {key: bands.get(key, 0) for key, *_rest in TIME_BANDS},
        "median_months_in_service": round(statistics.median(months_in_service), 1)
        if months_in_service
        else None,
    }


MOVEMENT_KEYS = (
    "released",
    "re_released",
    "moved_on",
    "recalled_fixed_term",
    "recalled_standard",
    "ended",
    *(f"ending_{code}" for code in StageChange.Ending.values),
    "ending_not_recorded",
)


def _movements(service_ids: list[int], start: datetime.date, end: datetime.date) -> dict:
    """Moves in the quarter: releases, moves on, recalls by type, endings by how they ended."""
    moves = StageChange.objects.filter(
        participant__service_id__in=service_ids, effective_on__range=(start, end)
    )
    movements: Counter = Counter()
    for kind, recall_type, ending, n in (
        moves.values_list("kind", "recall_type", "ending").annotate(n=Count("pk")).order_by()
    ):
        if kind == StageChange.Kind.RECALLED:
            movements[f"recalled_{recall_type or 'standard'}"] += n
        elif kind == StageChange.Kind.ENDED:
            movements["ended"] += n
            movements[f"ending_{ending or 'not_recorded'}"] += n
        else:
            movements[kind] += n
    return {key: movements.get(key, 0) for key in MOVEMENT_KEYS}


def _attendance(service_ids: list[int], since, until) -> dict:
    """Outcomes of the quarter's enforceable sessions, by outcome."""
    outcomes = _count_by(
        Attendance.objects.filter(
            session__service_id__in=service_ids,
            session__enforceable=True,
            session__starts_at__gte=since,
            # Sessions still to come (a report run mid-quarter) have no outcome yet.
            session__starts_at__lt=min(until, timezone.now()),
        ),
        "outcome",
    )
    return {code: outcomes.get(code, 0) for code in Outcome.values}


def _calls(service_ids: list[int], since, until) -> dict:
    """Crisis calls of the quarter by urgency, hour of the day and day of the week."""
    calls = CrisisCall.objects.filter(
        service_id__in=service_ids, started_at__gte=since, started_at__lt=until
    )
    by_urgency = _count_by(calls, "urgency")
    by_hour = _count_by(calls.annotate(hour=ExtractHour("started_at")), "hour")
    by_weekday = _count_by(calls.annotate(day=ExtractIsoWeekDay("started_at")), "day")
    return {
        "urgency": {code: by_urgency.get(code, 0) for code in Urgency.values},
        "hour": [by_hour.get(hour, 0) for hour in range(24)],
        "weekday": [by_weekday.get(day, 0) for day in range(1, 8)],
    }


def _clock_figures(service_ids, start: datetime.date, end: datetime.date, in_community) -> dict:
    """The service's time limits: in-reach before each release of the quarter (from the start
    of the in-reach he was released from), and the men in the community at the quarter's end
    past two years since release."""
    in_reach_from = (
        StageChange.objects.filter(
            participant=OuterRef("participant"),
            to_stage=Stage.IN_REACH,
            effective_on__lte=OuterRef("effective_on"),
        )
        .order_by("-effective_on", "-recorded_at")
        .values("effective_on")[:1]
    )
    releases = list(
        StageChange.objects.filter(
            participant__service_id__in=service_ids,
            kind=StageChange.Kind.RELEASED,
            effective_on__range=(start, end),
        )
        .annotate(in_reach_from=Subquery(in_reach_from))
        .values_list("effective_on", "in_reach_from")
    )
    months = [months_between(since, on) for on, since in releases if since is not None]
    return {
        "releases": len(releases),
        "releases_with_in_reach": len(months),
        "at_least_6m_in_reach": sum(1 for m in months if m >= IN_REACH_MONTHS_EXPECTED),
        "median_in_reach_months": round(statistics.median(months), 1) if months else None,
        "in_community": len(in_community),
        "past_two_years": sum(
            1
            for released in in_community
            if released is not None and months_between(released, end) >= COMMUNITY_LIMIT_MONTHS
        ),
    }


def add_counts(all_counts: list[dict]) -> dict:
    """The sum of several services' counts (lists add element by element)."""

    def combine(values: list):
        if any(isinstance(value, dict) for value in values):
            # A report made before a count was added has none of it: it adds nothing.
            values = [value if isinstance(value, dict) else {} for value in values]
        first = values[0]
        if isinstance(first, dict):
            keys = dict.fromkeys(key for value in values for key in value)
            return {key: combine([v.get(key, 0) for v in values]) for key in keys}
        if isinstance(first, list):
            return [sum(items) for items in zip(*values, strict=True)]
        if first is None or isinstance(first, str):
            return None
        return sum(values)

    # Service names are listed, not added up (summing a list of names raised TypeError).
    total = combine([{k: v for k, v in counts.items() if k != "services"} for counts in all_counts])
    total["services"] = sorted(name for counts in all_counts for name in counts["services"])
    total["quarter"] = all_counts[0]["quarter"]
    total["median_months_in_service"] = None  # medians do not add up
    if isinstance(total.get("clock"), dict):
        total["clock"]["median_in_reach_months"] = None
    return total


# --- Presentation ---------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    value: Cell | str
    share: str = ""


@dataclass
class Section:
    title: str
    rows: list[Row]
    chart: str = ""
    note: str = ""
    share_heading: str = ""
    extra_tables: list = field(default_factory=list)


def _labelled(counts: dict, labels: dict) -> list[Row]:
    cells = breakdown(counts)
    # In the labels' order: stored figures (jsonb) come back with their keys reordered.
    order = {key: index for index, key in enumerate(labels)}
    keys = sorted(counts, key=lambda key: order.get(key, len(order)))
    return [Row(labels.get(key, key), cells[key]) for key in keys]


def _chart_items(rows: list[Row]) -> list[tuple[str, Cell]]:
    return [(row.label, row.value) for row in rows if isinstance(row.value, Cell)]


def sections(counts: dict) -> list[Section]:
    referrals = counts["referrals"]
    decline_labels = dict(Referral.DeclineCategory.choices) | {"not_recorded": "Not recorded"}
    caseload = counts["caseload"]
    funded = counts["funded"]
    moves = counts["movements"]
    attendance = counts["attendance"]
    counted = sum(n for code, n in attendance.items() if code not in compliance.NOT_COUNTED)
    attended = sum(attendance.get(code, 0) for code in compliance.ATTENDED)
    compliant = sum(attendance.get(code, 0) for code in compliance.COMPLIANT)
    community = caseload[Stage.COMMUNITY] + caseload[Stage.MOVE_ON]
    calls = counts["calls"]
    total_calls = sum(calls["urgency"].values())

    referral_rows = [
        Row("Referrals received", cell(referrals["received"])),
        Row("Accepted", cell(referrals["accepted"])),
        Row("Declined", cell(referrals["declined"])),
        Row("Withdrawn", cell(referrals["withdrawn"])),
    ]
    decline_rows = _labelled(counts["declined_by_reason"], decline_labels)
    stage_rows = [
        Row("Waiting list", cell(caseload[Stage.WAITING])),
        Row(
            "In-reach (in custody)",
            cell(caseload[Stage.IN_REACH]),
            f"of {funded['custody']} funded custody places",
        ),
        Row(
            "In the community (including move-on)",
            cell(community),
            f"of {funded['community']} funded community places",
        ),
        Row("of whom in move-on", cell(caseload[Stage.MOVE_ON])),
    ]
    ending_labels = dict(StageChange.Ending.choices) | {"not_recorded": "Not recorded"}
    movement_rows = [
        Row("Released into the community", cell(moves["released"])),
        Row("Re-released after recall", cell(moves["re_released"])),
        Row("Moved on", cell(moves["moved_on"])),
        Row("Recalled to custody: fixed-term", cell(moves["recalled_fixed_term"])),
        Row("Recalled to custody: standard", cell(moves["recalled_standard"])),
        Row("Ended", cell(moves["ended"])),
    ]
    ending_rows = _labelled(
        {code: moves[f"ending_{code}"] for code in [*StageChange.Ending.values, "not_recorded"]},
        ending_labels,
    )
    days = counts.get("days")
    days_rows = (
        [
            Row(
                "Days attended against days expected: days expected (each man's plan in force "
                "that week; none in custody)",
                cell(days["expected"]),
            ),
            Row(
                "Days attended against days expected: expected days attended",
                cell(days["attended"]),
                percent(days["attended"], days["expected"], of_people=False),
            ),
            Row(
                "Days attended against days expected: days short",
                cell(days["expected"] - days["attended"]),
            ),
            Row("Weeks below expectation", cell(days["weeks_below"])),
            Row("Men with a week below expectation", cell(days["men_below"])),
        ]
        if days
        else []
    )
    attendance_rows = [
        *days_rows,
        Row("Enforceable attendances expected", cell(counted)),
        Row("Attended", cell(attended), percent(attended, counted, of_people=False)),
        Row(
            "Enforceable sessions complied with (attended or an acceptable absence)",
            cell(compliant),
            percent(compliant, counted, of_people=False),
        ),
        Row(
            "Unacceptable absences",
            cell(attendance.get(Outcome.UNACCEPTABLE_ABSENCE, 0)),
            percent(attendance.get(Outcome.UNACCEPTABLE_ABSENCE, 0), counted, of_people=False),
        ),
        Row(
            "Not counted (cancelled by the service or on his recall to custody, rescheduled, "
            "sent home for a service issue)",
            cell(sum(attendance.get(code, 0) for code in compliance.NOT_COUNTED)),
        ),
    ]
    band_rows = _labelled(counts["time_in_service"], {key: label for key, label, *_ in TIME_BANDS})
    median = counts.get("median_months_in_service")
    active = sum(counts["time_in_service"].values())
    urgency_rows = _labelled(calls["urgency"], dict(Urgency.choices))
    hour_cells = list(breakdown(dict(enumerate(calls["hour"]))).values())
    weekday_cells = list(breakdown(dict(enumerate(calls["weekday"]))).values())

    calls_section = Section(
        "Crisis-line calls",
        [Row("Calls in the quarter", cell(total_calls)), *urgency_rows],
        chart=charts.bar_chart(_chart_items(urgency_rows), title="Calls by urgency"),
        extra_tables=[
            (
                "Calls by hour of day",
                [Row(f"{hour:02d}:00–{hour:02d}:59", c) for hour, c in enumerate(hour_cells)],
            ),
            (
                "Calls by day of the week",
                [Row(day, c) for day, c in zip(WEEKDAYS, weekday_cells, strict=True)],
            ),
        ],
    )
    calls_section.chart += charts.bar_chart(
        [(f"{hour:02d}", c) for hour, c in enumerate(hour_cells)],
        title="Calls by hour of day",
        compact=True,
    )
    calls_section.chart += charts.bar_chart(
        list(zip(WEEKDAYS, weekday_cells, strict=True)), title="Calls by day of the week"
    )

    return [
        Section(
            "Referrals",
            referral_rows,
            chart=charts.bar_chart(_chart_items(referral_rows), title="Referrals"),
            extra_tables=[("Main reason for declining", decline_rows)],
        ),
        Section(
            "Caseload at the end of the quarter",
            stage_rows,
            chart=charts.bar_chart(_chart_items(stage_rows[:3]), title="Caseload by stage"),
            share_heading="Against",
        ),
        Section(
            "Releases, move-ons, recalls and endings",
            movement_rows,
            chart=charts.bar_chart(_chart_items(movement_rows), title="Moves in the quarter"),
            extra_tables=[("How cases ended", ending_rows)],
        ),
        *clock_sections(counts),
        Section(
            "Attendance at enforceable sessions",
            attendance_rows,
            share_heading="Rate",
            note="Counts are of attendances, not people. Rates leave out sessions not counted.",
        ),
        Section(
            "Time in the service (people in service at quarter end)",
            [*band_rows, Row("Median time in service", _median_text(median, active))],
            chart=charts.bar_chart(_chart_items(band_rows), title="Time in service"),
        ),
        calls_section,
        *pathway_sections(counts),
    ]


def clock_sections(counts: dict) -> list[Section]:
    """In-reach before release and time past the two-year limit (none in older reports)."""
    figures = counts.get("clock")
    if not figures:
        return []
    releases = figures["releases"]
    enough = figures["at_least_6m_in_reach"]
    median = figures["median_in_reach_months"]
    with_in_reach = figures["releases_with_in_reach"]
    in_community, past = figures["in_community"], figures["past_two_years"]
    return [
        Section(
            "The service's time limits",
            [
                Row(
                    "Median months of in-reach before release",
                    _median_text(median, with_in_reach),
                ),
                Row(
                    f"Released after at least {IN_REACH_MONTHS_EXPECTED} months of in-reach",
                    cell(enough),
                    percent(enough, releases),
                ),
                Row(
                    f"In the community past {COMMUNITY_LIMIT_MONTHS} months since release "
                    "(at the quarter's end)",
                    cell(past),
                    percent(past, in_community),
                ),
            ],
            share_heading="Share",
            note=f"In-reach is counted from the start of the in-reach he was released from; "
            f"the service works to at least {IN_REACH_MONTHS_EXPECTED} months before release and "
            f"up to {COMMUNITY_LIMIT_MONTHS} months in the community after it. Shares are of "
            "the quarter's releases and of the men in the community at its end.",
        )
    ]


ACCOMMODATION_LABELS = dict(OutcomeSnapshot.Accommodation.choices) | {NOT_RECORDED: "Not recorded"}
OCCUPATION_LABELS = dict(OutcomeSnapshot.Occupation.choices) | {NOT_RECORDED: "Not recorded"}


def pathway_sections(counts: dict) -> list[Section]:
    """Accommodation, and work, training or education, at release and 3, 6 and 12 months on.
    Every release of the point's cohort is a row's denominator: "not recorded" is its own row."""
    pathways = counts.get("pathways")
    if pathways is None:  # a report stored before these figures: what it had, as it was
        return _snapshot_sections(counts)
    accommodation_tables, occupation_tables = [], []
    for follow_up in FOLLOW_UPS:
        point = pathways.get(follow_up.key) or {
            "releases": 0,
            "accommodation": {},
            "occupation": {},
        }
        due = point["releases"]
        heading = f"{follow_up.label} (releases due: {cell(due)})"
        accommodation = point["accommodation"]
        nfa = accommodation.get(OutcomeSnapshot.Accommodation.NFA, 0)
        occupation = point["occupation"]
        in_ete = sum(occupation.get(code, 0) for code in IN_ETE)
        accommodation_tables.append(
            (
                heading,
                [
                    *_labelled(accommodation, ACCOMMODATION_LABELS),
                    Row("No fixed abode, of every release due", cell(nfa), percent(nfa, due)),
                ],
            )
        )
        occupation_tables.append(
            (
                heading,
                [
                    *_labelled(occupation, OCCUPATION_LABELS),
                    Row(
                        "In work, training or education, of every release due",
                        cell(in_ete),
                        percent(in_ete, due),
                    ),
                ],
            )
        )
    (_at_release, release_rows), *later_accommodation = accommodation_tables
    (_same, release_work_rows), *later_occupation = occupation_tables
    releases = pathways.get("release", {}).get("releases", 0)
    due_note = (
        "Every release (through the gate or after a recall) counts, with the outcome recorded "
        "nearest the point: at release, a week before to a fortnight after; later, within a "
        'month either side. A release with none is "not recorded".'
    )
    return [
        Section(
            f"Accommodation on release (releases in the quarter: {cell(releases)})",
            release_rows,
            chart=charts.bar_chart(_chart_items(release_rows[:-1]), title="Accommodation"),
            share_heading="Share",
            note=due_note,
            extra_tables=later_accommodation,
        ),
        Section(
            "Employment, training and education on release",
            release_work_rows,
            chart=charts.bar_chart(_chart_items(release_work_rows[:-1]), title="Occupation"),
            share_heading="Share",
            note="Later points count the men released 3, 6 and 12 months before the quarter.",
            extra_tables=later_occupation,
        ),
    ]


def _snapshot_sections(counts: dict) -> list[Section]:
    released = counts.get("accommodation_on_release", {})
    occupation = counts.get("occupation", {})
    released_total = sum(released.values())
    occupation_total = sum(occupation.values())
    in_ete = sum(occupation.get(code, 0) for code in IN_ETE)
    nfa = released.get(OutcomeSnapshot.Accommodation.NFA, 0)
    return [
        Section(
            "Accommodation on release",
            [
                *_labelled(released, ACCOMMODATION_LABELS),
                Row("Released to no fixed abode", cell(nfa), percent(nfa, released_total)),
            ],
            share_heading="Share",
            note="From the outcome recorded on the day of release (releases without one are "
            "not counted in reports made before every release was).",
        ),
        Section(
            "Employment, training and education",
            [
                *_labelled(occupation, OCCUPATION_LABELS),
                Row(
                    "In work, training or education",
                    cell(in_ete),
                    percent(in_ete, occupation_total),
                ),
            ],
            share_heading="Share",
            note="Each man's latest outcome recorded in the quarter.",
        ),
    ]


def _median_text(median, active: int) -> str:
    if median is None:
        return "not available for a roll-up" if active else "–"
    if is_small(active):
        return "not shown"
    return f"{median:g} months"


def service_summary(counts: dict) -> dict:
    """One service's line in the national roll-up."""
    caseload = counts["caseload"]
    moves = counts["movements"]
    return {
        "name": counts["services"][0]
        if len(counts["services"]) == 1
        else ", ".join(counts["services"]),
        "custody": cell(caseload[Stage.IN_REACH]),
        "custody_funded": counts["funded"]["custody"],
        "community": cell(caseload[Stage.COMMUNITY] + caseload[Stage.MOVE_ON]),
        "community_funded": counts["funded"]["community"],
        "referrals": cell(counts["referrals"]["received"]),
        "releases": cell(moves["released"] + moves["re_released"]),
        "recalls": cell(moves["recalled_fixed_term"] + moves["recalled_standard"]),
        "calls": cell(sum(counts["calls"]["urgency"].values())),
    }
