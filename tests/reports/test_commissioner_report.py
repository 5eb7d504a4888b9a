"""The commissioner report and the national roll-up: the right counts, small numbers hidden,
never a name or an identifier, and a roll-up made only of what service managers approved."""

import datetime
import re

import pytest
from dateutil.relativedelta import relativedelta

from crisisline.models import Urgency
from participants.models import OutcomeSnapshot, Referral, StageChange
from reports import services
from reports.models import ReportKind, ReportRequest, ReportStatus
from sessions.models import AbsenceReason, Outcome
from tests.factories import ReferralFactory, ServiceFactory
from tests.factories.reports import (
    accepted_on,
    at,
    crisis_call,
    move,
    outcome_snapshot,
    session_with_outcomes,
)
from tests.reports.conftest import ReadText

pytestmark = pytest.mark.django_db

Kind = StageChange.Kind
Accommodation = OutcomeSnapshot.Accommodation
Occupation = OutcomeSnapshot.Occupation
Point = OutcomeSnapshot.Point

GIVEN_NAMES = (
    "Darnell", "Kwabena", "Lorcan", "Bogdan", "Emeka", "Gethin", "Hamish", "Ifeanyi",
    "Jovan", "Mihai", "Nnamdi", "Oisin", "Piotr", "Ruairi", "Tadhg", "Wojciech",
    "Xavier", "Yusuf", "Zoltan", "Anwar", "Bartosz", "Cathal", "Dmitri", "Eoghan",
    "Fergal", "Gareth", "Hussein", "Idris", "Jerzy", "Kofi",
)  # fmt: skip
FAMILY_NAMES = (
    "Quennell", "Brathwaite", "Szymanski", "Adeyemi", "Fairbairn", "MacAskill",
    "Nwachukwu", "Pemberton", "Radcliffe", "Thistlethwaite", "Whitlock", "Yardley",
    "Zielinski", "Ogunleye", "Kowalczyk", "Drummond", "Etherington", "Gallacher",
    "Hollingworth", "Illingworth", "Jablonski", "Kilbride", "Lockwood", "Mbeki",
    "Nettleship", "Oyelaran", "Prendergast", "Quigley", "Rossiter", "Sowerby",
)  # fmt: skip


class People:
    """Men (and referrals) with distinct names and identifiers, so any leak is caught."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.made = 0
        self.identities: list[dict] = []

    def identity(self) -> dict:
        n = self.made
        self.made += 1
        identity = {
            "given_name": GIVEN_NAMES[n],
            "family_name": FAMILY_NAMES[n],
            "date_of_birth": datetime.date(1979, 1, 9) + datetime.timedelta(days=97 * n),
            "prison_number": f"{self.prefix}{n:04d}QZ",
            "crn": f"{self.prefix}{n:06d}",
            "pnc_number": f"2003/{n:07d}{self.prefix}",
            "nhs_number": f"94{n:02d}{ord(self.prefix):03d}917",
        }
        self.identities.append(identity)
        return identity

    def leaks(self, text: str) -> list[str]:
        found = []
        for person in self.identities:
            born = person["date_of_birth"]
            for value in (
                person["given_name"],
                person["family_name"],
                person["prison_number"],
                person["crn"],
                person["pnc_number"],
                person["nhs_number"],
                f"{born:%-d %B %Y}",
                f"{born:%-d %b %Y}",
                f"{born:%d/%m/%Y}",
                born.isoformat(),
            ):
                if value in text:
                    found.append(value)
        return found


def months(joined: datetime.date, end: datetime.date) -> float:
    """Whole calendar months, and the days left over as a share of an average month."""
    gap = relativedelta(end, joined)
    return gap.years * 12 + gap.months + gap.days / (365.25 / 12)


def build_full_quarter(service, manager, keyworker, crisis_worker, quarter, people: People):
    """A quarter of one service's work, and the counts the report must print for it."""
    s, end = quarter.start, quarter.end

    def day(offset: int) -> datetime.date:
        return s + datetime.timedelta(days=offset)

    # Referrals: received in the quarter, decided in it, or both.
    def referral(received, status="", decided=None, category=""):
        ReferralFactory(
            service=service, received_on=received, created_by=manager, status=status or "received",
            decided_on=decided, decline_category=category, **people.identity(),
        )  # fmt: skip

    referral(day(2), Referral.Status.ACCEPTED, day(12))
    referral(day(3), Referral.Status.ACCEPTED, day(13))
    referral(day(4), Referral.Status.WAITING_LIST, day(14))
    referral(day(5), Referral.Status.DECLINED, day(15), Referral.DeclineCategory.RISK)
    referral(day(6), Referral.Status.WITHDRAWN, day(16))
    referral(day(7))
    referral(day(8), Referral.Status.ASSESSING)
    referral(end - datetime.timedelta(days=2), Referral.Status.DECLINED, end + datetime.timedelta(days=1), "other")  # fmt: skip
    referral(day(-30), Referral.Status.ACCEPTED, day(1))
    referral(day(-30), Referral.Status.ACCEPTED, day(2))
    referral(day(-40), Referral.Status.DECLINED, day(3), Referral.DeclineCategory.CRITERIA)
    referral(day(-40), Referral.Status.DECLINED, day(4), Referral.DeclineCategory.NOT_SCREENED_IN)

    # Ten men accepted before the quarter (their referrals count in earlier quarters).
    joined = [day(-20)] * 5 + [day(-250)] * 2 + [day(-20), day(-500), day(-900)]
    men = [
        accepted_on(service=service, manager=manager, day=when, **people.identity())
        for when in joined
    ]
    p1, p2, p3, p4, p5, p6, p7, p8, p9, p10 = men
    for index, man in enumerate(men[:7]):
        move(man, manager, Kind.RELEASED, day(5 + index))
    move(p1, manager, Kind.RECALLED, day(40), recall_type="standard", reason="Curfew breach")
    move(p2, manager, Kind.MOVED_ON, day(50))
    move(p8, manager, Kind.ENDED, day(30), ending="completed")
    move(p9, manager, Kind.RELEASED, end + datetime.timedelta(days=1))  # after the quarter

    # Attendance at enforceable sessions (one before the quarter and one not enforceable).
    session_with_outcomes(
        service=service, actor=keyworker, starts_at=at(day(20)),
        outcomes={**dict.fromkeys(men[:9], Outcome.ATTENDED), p10: Outcome.LATE},
    )  # fmt: skip
    medical = (Outcome.ACCEPTABLE_ABSENCE, AbsenceReason.MEDICAL)
    session_with_outcomes(
        service=service, actor=keyworker, starts_at=at(day(27)),
        outcomes={
            p1: Outcome.LATE, p2: Outcome.LATE, p3: medical, p4: medical,
            p5: Outcome.UNACCEPTABLE_ABSENCE, p6: Outcome.UNACCEPTABLE_ABSENCE,
            p7: Outcome.UNACCEPTABLE_ABSENCE, p8: Outcome.UNACCEPTABLE_ABSENCE,
            p9: Outcome.FAILED_TO_COMPLY, p10: Outcome.CANCELLED_BY_SERVICE,
        },
    )  # fmt: skip
    session_with_outcomes(
        service=service, actor=keyworker, starts_at=at(day(34)), enforceable=False,
        outcomes={p1: Outcome.UNACCEPTABLE_ABSENCE},
    )  # fmt: skip
    session_with_outcomes(
        service=service, actor=keyworker, starts_at=at(day(-5)),
        outcomes={p9: Outcome.UNACCEPTABLE_ABSENCE},
    )  # fmt: skip

    # Crisis calls: a Saturday, the Sunday after and the Wednesday after that.
    saturday = day(7 + (5 - s.weekday()) % 7)
    sunday, wednesday = saturday + datetime.timedelta(days=1), saturday + datetime.timedelta(4)
    calls = (
        [(saturday, 22, Urgency.ROUTINE)] * 8
        + [(saturday, 14, Urgency.URGENT)] * 2
        + [(sunday, 2, Urgency.CONCERNING)] * 5
        + [(wednesday, 2, Urgency.CONCERNING)]
    )
    for when, hour, urgency in calls:
        crisis_call(service=service, actor=crisis_worker, started_at=at(when, hour, 30), urgency=urgency)  # fmt: skip
    for outside in (at(day(-1), 23, 59), at(end + datetime.timedelta(days=1), 0, 0)):
        crisis_call(service=service, actor=crisis_worker, started_at=outside, urgency=Urgency.EMERGENCY)  # fmt: skip

    # Outcomes: on each release day, then a quarterly review for some (recorded by the manager:
    # the keyworker is not in these men's teams).
    on_release = [Accommodation.APPROVED_PREMISES] * 5
    on_release += [Accommodation.TEMPORARY, Accommodation.NFA]
    for index, (man, where) in enumerate(zip(men[:7], on_release, strict=True)):
        outcome_snapshot(man, manager, point=Point.RELEASE, day=day(5 + index),
                         accommodation=where, occupation=Occupation.NOT_IN_ETE)  # fmt: skip
    later = {
        p1: Occupation.EMPLOYED, p2: Occupation.EMPLOYED, p3: Occupation.EMPLOYED,
        p4: Occupation.TRAINING, p5: Occupation.TRAINING, p8: Occupation.NOT_IN_ETE,
        p9: Occupation.NOT_IN_ETE, p10: Occupation.NOT_IN_ETE,
    }  # fmt: skip
    for man, occupation in later.items():
        outcome_snapshot(man, manager, point=Point.QUARTER, day=day(25),
                         accommodation=Accommodation.SETTLED, occupation=occupation)  # fmt: skip
    outcome_snapshot(p6, manager, point=Point.QUARTER, day=day(-3),
                     accommodation=Accommodation.SETTLED, occupation=Occupation.EMPLOYED)  # fmt: skip

    active_months = sorted(months(when, end) for when in joined[:7] + joined[8:])
    hours = [0] * 24
    hours[2], hours[14], hours[22] = 6, 2, 8
    return {
        "quarter": quarter.key,
        "services": [service.name],
        "funded": {"community": 20, "custody": 25},
        "referrals": {"received": 8, "accepted": 5, "declined": 3, "withdrawn": 1},
        "declined_by_reason": {
            "not_screened_in": 1, "criteria": 1, "risk": 1, "area": 0, "no_consent": 0,
            "other": 0,
        },
        "caseload": {"waiting": 0, "in_reach": 3, "community": 5, "move_on": 1, "ended": 1},
        "movements": {
            "released": 7, "re_released": 0, "moved_on": 1, "recalled_fixed_term": 0,
            "recalled_standard": 1, "ended": 1, "ending_licence_expired": 0,
            "ending_completed": 1, "ending_withdrawn": 0, "ending_transferred": 0,
            "ending_not_recorded": 0,
        },
        "attendance": {
            "attended": 9, "late": 3, "failed_to_comply": 1, "sent_home_behaviour": 0,
            "sent_home_service": 0, "acceptable_absence": 2, "unacceptable_absence": 4,
            "cancelled_by_service": 1, "rescheduled": 0, "cancelled_recalled": 0,
        },
        "time_in_service": {"under_6m": 5, "6_to_12m": 2, "1_to_2y": 1, "over_2y": 1},
        "median_months_in_service": round(active_months[4], 1),
        "calls": {
            "urgency": {"routine": 8, "concerning": 6, "urgent": 2, "emergency": 0},
            "hour": hours,
            "weekday": [0, 0, 1, 0, 0, 10, 5],
        },
        # The seven releases of the quarter, each with its outcome of the day; none of these
        # men was released 3, 6 or 12 months before it (their reviews count at no point).
        "pathways": {
            "release": {
                "releases": 7,
                "accommodation": {
                    "settled": 0, "temporary": 1, "approved_premises": 5, "nfa": 1,
                    "not_recorded": 0,
                },
                "occupation": {
                    "employed": 0, "training": 0, "education": 0, "volunteering": 0, "none": 7,
                    "unable": 0, "not_recorded": 0,
                },
            },
            **{point: nobody_due() for point in ("3m", "6m", "12m")},
        },
        # Five men had 25 to 29 days of in-reach before release, two 260 and 261 days (8.5
        # months): the median is the fourth, 28 days (0.9 months). None of the six in the
        # community at the end has been out two years.
        "clock": {
            "releases": 7, "releases_with_in_reach": 7, "at_least_6m_in_reach": 2,
            "median_in_reach_months": 0.9, "in_community": 6, "past_two_years": 0,
        },
    }  # fmt: skip


def nobody_due() -> dict:
    return {
        "releases": 0,
        "accommodation": dict.fromkeys([*Accommodation.values, "not_recorded"], 0),
        "occupation": dict.fromkeys([*Occupation.values, "not_recorded"], 0),
    }


def build_small_quarter(service, manager, quarter, people: People) -> None:
    """Another service's quarter: three referrals, two releases, one recall."""
    s = quarter.start
    for offset in (3, 4, 5):
        ReferralFactory(service=service, received_on=s + datetime.timedelta(days=offset),
                        created_by=manager, **people.identity())  # fmt: skip
    for offset in (6, 7):
        man = accepted_on(service=service, manager=manager, day=s - datetime.timedelta(days=30),
                          **people.identity())  # fmt: skip
        move(man, manager, Kind.RELEASED, s + datetime.timedelta(days=offset))
    move(man, manager, Kind.RECALLED, s + datetime.timedelta(days=20), recall_type="fixed_term",
         reason="Lost contact")  # fmt: skip


def added_up(first, second):
    """Two services' counts added together, item by item."""
    if isinstance(first, dict):
        return {key: added_up(first[key], second[key]) for key in first}
    if isinstance(first, list) and all(isinstance(item, int) for item in first):
        return [a + b for a, b in zip(first, second, strict=True)]
    if isinstance(first, int):
        return first + second
    return None


def row(text: str, label: str, value) -> bool:
    return f"{label} {value}" in text


def shows_count(text: str, label: str, count: int) -> bool:
    """The label followed by the digits (not part of a longer number), however spaced."""
    return f"{label} {count}" in ReadText(text)


@pytest.fixture
def merseyside_quarter(service, personas, quarter):
    people = People("M")
    expected = build_full_quarter(
        service, personas["service_manager"], personas["keyworker"], personas["crisis_worker"],
        quarter, people,
    )  # fmt: skip
    return expected, people


def test_the_commissioner_report_prints_each_count_hiding_small_ones(
    merseyside_quarter, service, personas, quarter, read_pdf
):
    expected, people = merseyside_quarter
    report, sent = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    assert sent
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    # Days against expectation are proven on their own (test_days_against_expectation_...).
    assert {key: n for key, n in report.figures.items() if key != "days"} == expected

    pdf = read_pdf(report)
    text = pdf.text
    assert report.page_count == len(pdf.pages) > 1

    # Referrals: 5 and more printed, 1 to 4 never as the digit.
    assert row(text, "Referrals received", 8)
    assert row(text, "Accepted", 5)
    assert row(text, "Declined", "fewer than 5") and not shows_count(text, "Declined", 3)
    assert row(text, "Withdrawn", "fewer than 5") and not shows_count(text, "Withdrawn", 1)
    assert row(text, "Does not meet the service's criteria", "fewer than 5")
    assert row(text, "Released outside the service's area", 0)

    # Caseload at the quarter's end, against funded places.
    assert row(text, "Waiting list", 0)
    assert row(text, "In-reach (in custody)", "fewer than 5 of 25 funded custody places")
    assert row(text, "In the community (including move-on)", "6 of 20 funded community places")
    assert row(text, "of whom in move-on", "fewer than 5")

    # Moves in the quarter.
    assert row(text, "Released into the community", 7)
    assert row(text, "Re-released after recall", 0)
    assert row(text, "Recalled to custody: standard", "fewer than 5")
    assert row(text, "Recalled to custody: fixed-term", 0)
    assert row(text, "Moved on", "fewer than 5")
    assert row(text, "Completed", "fewer than 5")

    # Attendance: rates of events, hidden when the events are few.
    assert row(text, "Enforceable attendances expected", 19)
    assert row(text, "Attended", "13 68%")
    assert row(
        text, "Enforceable sessions complied with (attended or an acceptable absence)", "14 74%"
    )
    assert row(text, "Unacceptable absences", "fewer than 5 not shown")
    assert not shows_count(text, "Unacceptable absences", 4)

    # Time in service: a median only when enough men are counted.
    assert row(text, "Under 6 months", 5)
    assert row(text, "6 to 12 months", "fewer than 5")
    assert row(text, "Over 2 years", "fewer than 5")
    assert row(text, "Median time in service", f"{expected['median_months_in_service']:g} months")

    # Crisis calls: one hidden cell hides the next smallest too (secondary suppression).
    assert row(text, "Calls in the quarter", 16)
    assert row(text, "Routine", 8)
    assert row(text, "Urgent", "fewer than 5")
    assert row(text, "Concerning", "fewer than 5") and not shows_count(text, "Concerning", 6)
    assert row(text, "Emergency", 0)
    assert row(text, "22:00–22:59", 8)
    assert row(text, "14:00–14:59", "fewer than 5")
    assert row(text, "02:00–02:59", "fewer than 5") and not shows_count(text, "02:00–02:59", 6)
    assert row(text, "03:00–03:59", 0)
    assert row(text, "Sat", 10)
    assert row(text, "Wed", "fewer than 5")
    assert row(text, "Sun", "fewer than 5") and not shows_count(text, "Sun", 5)
    assert row(text, "Mon", 0)

    # Accommodation and work on release: shares of small groups are not shown; every release
    # is counted, so the not-recorded row says none are missing.
    assert "Accommodation on release (releases in the quarter: 7)" in text
    assert row(text, "Approved premises", 5)
    assert row(text, "No fixed abode", "fewer than 5")
    assert row(text, "No fixed abode, of every release due", "fewer than 5 not shown")
    assert row(text, "Settled", 0)
    assert row(text, "Not recorded", 0)
    assert row(text, "Not in work, training or education", 7)
    assert row(text, "In work, training or education, of every release due", "0 0%")
    assert "3 months after release (releases due: 0)" in text

    # The service's time limits.
    assert row(text, "Median months of in-reach before release", "0.9 months")
    assert row(text, "Released after at least 6 months of in-reach", "fewer than 5 not shown")
    assert row(text, "In the community past 24 months since release (at the quarter's end)", "0 0%")

    # No one can be identified from it.
    assert people.leaks(text) == []
    assert people.leaks(pdf.compact) == []

    # The frame of every page.
    assert pdf.pages[0].startswith(f"{service.name} Generated ")
    assert f"reportreference{report.pk}" in pdf.compact
    for number, page in enumerate(pdf.pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2, page  # top and bottom
        assert f"Page {number} of {len(pdf.pages)}" in page
        assert re.search(r"Generated \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}", page)
        assert service.name in page


def test_the_national_rollup_adds_up_only_approved_reports(
    merseyside_quarter, service, other_service, personas, quarter, read_pdf
):
    merseyside, people = merseyside_quarter
    northumbria_manager = personas["outsider_manager"]
    build_small_quarter(other_service, northumbria_manager, quarter, people)
    ServiceFactory(name="Pathways Kent")  # has no report at all
    commissioner = personas["commissioner"]

    ours, _ = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    theirs, _ = services.request_commissioner_report(
        actor=northumbria_manager, service=other_service, quarter=quarter
    )
    assert theirs.figures["referrals"]["received"] == 3
    assert theirs.figures["movements"]["released"] == 2
    assert theirs.figures["movements"]["recalled_fixed_term"] == 1
    assert theirs.figures["caseload"] | {"ended": 0} == {
        "waiting": 0, "in_reach": 1, "community": 1, "move_on": 0, "ended": 0,
    }  # fmt: skip
    services.approve_report(actor=personas["service_manager"], report=ours)

    first, sent = services.request_national_rollup(actor=commissioner, quarter=quarter)
    assert sent and first.status == ReportStatus.SUCCEEDED, first.error_message
    assert first.figures == merseyside | {
        "median_months_in_service": None,  # medians do not add up
        "clock": merseyside["clock"] | {"median_in_reach_months": None},
        "days": ReportRequest.objects.get(pk=ours.pk).figures["days"],  # only the approved one's
    }
    text = read_pdf(first).text
    assert "National roll-up" in text
    services_included = ReadText(text.partition("Services included")[2])
    assert f"{service.name} fewer than 5 25 6 20 8 7" in services_included
    assert (
        "Not included (their report for the quarter is not approved yet): "
        "Pathways Kent, Rebuilding Lives Northumbria." in text
    )
    assert row(text, "Referrals received", 8)
    assert "Median time in service not available for a roll-up" in text
    # Breakdowns keep their order although stored figures come back in another.
    assert (
        "Under 6 months 5 6 to 12 months fewer than 5 1 to 2 years fewer than 5 "
        "Over 2 years fewer than 5 Median" in text
    )
    assert "Routine 8 Concerning fewer than 5 Urgent fewer than 5 Emergency 0" in text
    assert people.leaks(text) == []

    # Asking again with nothing new approved gives the same roll-up.
    again, _ = services.request_national_rollup(actor=commissioner, quarter=quarter)
    assert again.pk == first.pk

    services.approve_report(actor=northumbria_manager, report=theirs)
    second, _ = services.request_national_rollup(actor=commissioner, quarter=quarter)
    assert second.pk != first.pk and second.status == ReportStatus.SUCCEEDED
    first.refresh_from_db()
    assert first.superseded_at is not None
    assert second.figures == added_up(merseyside, theirs.figures) | {
        "services": sorted([service.name, other_service.name]),
        "quarter": quarter.key,
        "median_months_in_service": None,
        "days": added_up(
            ReportRequest.objects.get(pk=ours.pk).figures["days"], theirs.figures["days"]
        ),
    }
    assert second.figures["referrals"]["received"] == 8 + 3
    assert second.figures["movements"]["released"] == 7 + 2
    text = read_pdf(second).text
    assert row(text, "Referrals received", 11)
    assert row(text, "Released into the community", 9)
    northumbria_row = (
        "Rebuilding Lives Northumbria"
        + " fewer than 5 25 fewer than 5 20"
        + (" fewer than 5" * 3 + " 0")
    )
    assert northumbria_row in text
    assert "Not included (their report for the quarter is not approved yet): Pathways Kent." in text
    assert people.leaks(text) == []
    assert ReportRequest.objects.filter(kind=ReportKind.NATIONAL, superseded_at=None).count() == 1


def test_days_against_expectation_are_counted_by_each_mans_weeks(service, personas, quarter):
    """Five men released on the quarter's first Monday and recalled four weeks later, each at
    Monday and Wednesday groups: worked by hand, 4 weeks x 4 days = 16 expected each (nothing
    in custody before release or after recall), 8 attended: 80 expected, 40 attended (50%),
    40 days short, 20 weeks below expectation, all 5 men."""
    from reports import commissioner

    manager, keyworker = personas["service_manager"], personas["keyworker"]
    people = People("D")
    s = quarter.start
    first_monday = s + datetime.timedelta(days=(7 - s.weekday()) % 7)
    men = [
        accepted_on(service=service, manager=manager, day=s - datetime.timedelta(days=20),
                    **people.identity())
        for _ in range(5)
    ]  # fmt: skip
    for man in men:
        move(man, manager, StageChange.Kind.RELEASED, first_monday)
    for week in range(4):
        for weekday in (0, 2):
            session_with_outcomes(
                service=service, actor=keyworker,
                starts_at=at(first_monday + datetime.timedelta(days=7 * week + weekday)),
                outcomes=dict.fromkeys(men, Outcome.ATTENDED),
            )  # fmt: skip
    for man in men:
        move(man, manager, StageChange.Kind.RECALLED, first_monday + datetime.timedelta(28),
             recall_type="standard", reason="Curfew breach")  # fmt: skip

    counts = commissioner.gather_counts([service.pk], quarter)
    assert counts["days"] == {"expected": 80, "attended": 40, "weeks_below": 20, "men_below": 5}
    rows = {
        row.label: (str(row.value), row.share)
        for section in commissioner.sections(counts)
        for row in section.rows
    }
    assert rows["Days attended against days expected: expected days attended"] == ("40", "50%")
    assert rows["Days attended against days expected: days short"][0] == "40"
    assert rows["Weeks below expectation"][0] == "20"
