"""Accommodation and work after release: every release counts, "not recorded" is its own row.

The figure used to count only the releases that happened to have an outcome recorded that
day: a man released without one dropped out, and "released to no fixed abode" was a share of
the men someone had remembered to record. Each case here is worked by hand.
"""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from participants.models import OutcomeSnapshot, StageChange
from reports.commissioner import pathway_sections
from reports.pathways import pathway_counts
from tests.factories.reports import accepted_on, move, outcome_snapshot
from tests.reports.test_commissioner_report import People

pytestmark = pytest.mark.django_db

Kind = StageChange.Kind
Point = OutcomeSnapshot.Point
Accommodation = OutcomeSnapshot.Accommodation
Occupation = OutcomeSnapshot.Occupation


@pytest.fixture
def released_men(service, personas, quarter):
    """Four releases in the quarter and two before it whose 3- and 6-month points fall in it.

    - Adam: released on day 5, release outcome that day: no fixed abode, not in work.
    - Ben: released on day 10, nothing recorded.
    - Carl: released on day 20, release outcome 3 days before (the plan confirmed that week):
      settled, in work.
    - Dev: released on day 30; only a quarterly review that day, not a release outcome.
    - Eli: released 3 months before day 10 of the quarter; a review 20 days after his 3-month
      point: temporary, in training.
    - Fred: released 6 months before day 15; nothing recorded since.
    """
    manager, people = personas["service_manager"], People("P")
    s = quarter.start

    def day(offset: int) -> datetime.date:
        return s + datetime.timedelta(days=offset)

    def released_on(when: datetime.date):
        man = accepted_on(
            service=service, manager=manager, day=when - datetime.timedelta(days=60),
            **people.identity(),
        )  # fmt: skip
        move(man, manager, Kind.RELEASED, when)
        return man

    adam, _ben, carl, dev = (released_on(day(n)) for n in (5, 10, 20, 30))
    eli = released_on(day(10) - relativedelta(months=3))
    released_on(day(15) - relativedelta(months=6))
    outcome_snapshot(adam, manager, point=Point.RELEASE, day=day(5),
                     accommodation=Accommodation.NFA, occupation=Occupation.NOT_IN_ETE)  # fmt: skip
    outcome_snapshot(carl, manager, point=Point.RELEASE, day=day(17),
                     accommodation=Accommodation.SETTLED, occupation=Occupation.EMPLOYED)  # fmt: skip
    outcome_snapshot(dev, manager, point=Point.QUARTER, day=day(30),
                     accommodation=Accommodation.SETTLED, occupation=Occupation.EMPLOYED)  # fmt: skip
    outcome_snapshot(eli, manager, point=Point.QUARTER, day=day(30),
                     accommodation=Accommodation.TEMPORARY, occupation=Occupation.TRAINING)  # fmt: skip


def test_every_release_of_the_quarter_counts_at_release(service, quarter, released_men):
    at_release = pathway_counts([service.pk], quarter.start, quarter.end)["release"]
    assert at_release["releases"] == 4  # Adam, Ben, Carl and Dev
    assert at_release["accommodation"] == {
        "settled": 1, "temporary": 0, "approved_premises": 0, "nfa": 1, "not_recorded": 2,
    }  # fmt: skip
    assert at_release["occupation"] == {
        "employed": 1, "training": 0, "education": 0, "volunteering": 0, "none": 1,
        "unable": 0, "not_recorded": 2,
    }  # fmt: skip


def test_the_later_points_count_the_men_released_that_long_before(service, quarter, released_men):
    counts = pathway_counts([service.pk], quarter.start, quarter.end)
    assert counts["3m"]["releases"] == 1  # Eli
    assert counts["3m"]["accommodation"]["temporary"] == 1
    assert counts["3m"]["occupation"]["training"] == 1
    assert counts["6m"]["releases"] == 1  # Fred, with nothing recorded
    assert counts["6m"]["accommodation"]["not_recorded"] == 1
    assert counts["12m"]["releases"] == 0


def test_another_services_releases_are_not_counted(other_service, quarter, released_men):
    counts = pathway_counts([other_service.pk], quarter.start, quarter.end)
    assert {point: c["releases"] for point, c in counts.items()} == {
        "release": 0, "3m": 0, "6m": 0, "12m": 0,
    }  # fmt: skip


def _rows(section) -> dict:
    return {row.label: (str(row.value), row.share) for row in section.rows}


def test_no_fixed_abode_is_a_share_of_every_release_not_of_those_recorded():
    """20 releases, 2 with nothing recorded, 5 to no fixed abode: 25%, not 5 of 18 (28%)."""
    nobody = {
        "releases": 0,
        "accommodation": dict.fromkeys([*Accommodation.values, "not_recorded"], 0),
        "occupation": dict.fromkeys([*Occupation.values, "not_recorded"], 0),
    }
    counts = {
        "pathways": {
            "release": {
                "releases": 20,
                "accommodation": {
                    "settled": 8, "temporary": 5, "approved_premises": 0, "nfa": 5,
                    "not_recorded": 2,
                },
                "occupation": {
                    "employed": 5, "training": 5, "education": 0, "volunteering": 0,
                    "none": 8, "unable": 0, "not_recorded": 2,
                },
            },
            "3m": nobody, "6m": nobody, "12m": nobody,
        }
    }  # fmt: skip
    accommodation, work = pathway_sections(counts)
    assert accommodation.title == "Accommodation on release (releases in the quarter: 20)"
    rows = _rows(accommodation)
    assert rows["No fixed abode, of every release due"] == ("5", "25%")
    assert rows["Not recorded"][0] == "fewer than 5"
    assert _rows(work)["In work, training or education, of every release due"] == ("10", "50%")
    assert [heading for heading, _rows_ in accommodation.extra_tables] == [
        "3 months after release (releases due: 0)",
        "6 months after release (releases due: 0)",
        "12 months after release (releases due: 0)",
    ]


def test_a_report_stored_before_these_figures_still_prints_what_it_had():
    old = {"accommodation_on_release": {"settled": 6, "nfa": 5}, "occupation": {"employed": 7}}
    accommodation, work = pathway_sections(old)
    assert accommodation.title == "Accommodation on release"
    assert _rows(accommodation)["Released to no fixed abode"] == ("5", "45%")
    assert work.title == "Employment, training and education"
