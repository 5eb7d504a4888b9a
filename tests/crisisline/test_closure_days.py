"""A service's own closure days: kept by its managers, they change its handover and no other's.

Bank holidays are the same for every service (England and Wales reference data, kept by
administrators); a closure day (a training day, a local holiday) is one service's alone.
"""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from crisisline import selectors, services
from crisisline.models import CrisisCall, ServiceClosureDay
from resettle.accounts.models import Membership
from resettle.accounts.roles import Agency, Role
from tests.factories import staff_member

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
# Monday 16 June 2031 to Wednesday the 18th: ordinary weekdays, no bank holiday among them.
TUESDAY = datetime.date(2031, 6, 17)
WEDNESDAY_MORNING = datetime.datetime(2031, 6, 18, 10, 0, tzinfo=LONDON)


def at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2031, 6, day, hour, 0, tzinfo=LONDON)


def call(service, started_at, issue, by) -> CrisisCall:
    return CrisisCall.objects.create(
        service=service,
        recorded_by=by,
        started_at=started_at,
        ended_at=started_at + datetime.timedelta(minutes=20),
        caller_type="unknown",
        presenting_issue=issue,
        urgency="concerning",
    )


def closure_page(service) -> str:
    return f"{reverse('crisisline:closure_days')}?service={service.pk}"


def typed(day: datetime.date, reason: str = "Whole-team training day") -> dict:
    return {
        "date_day": str(day.day),
        "date_month": str(day.month),
        "date_year": str(day.year),
        "reason": reason,
    }


@pytest.fixture
def closed_on_tuesday(personas, service):
    return services.add_closure_day(
        service=service, date=TUESDAY, reason="Whole-team training day",
        actor=personas["service_manager"],
    )  # fmt: skip


@pytest.fixture
def tuesday_calls(personas, service, other_service):
    by = personas["crisis_worker"]
    return {
        "ours_at_noon": call(service, at(17, 12), "Rang during our training day", by),
        "theirs_at_noon": call(other_service, at(17, 12), "Rang at their lunchtime", by),
        "theirs_in_the_evening": call(other_service, at(17, 19), "Rang on Tuesday evening", by),
    }


def handed_over(user) -> list[str]:
    result = selectors.handover(user, now=WEDNESDAY_MORNING)
    return sorted(c.presenting_issue for g in result["groups"] for c in g["calls"])


def test_a_closure_day_lengthens_its_own_services_handover_only(
    personas, service, other_service, closed_on_tuesday, tuesday_calls
):
    # Ours: Tuesday had no day team, so the window runs from Monday 17:00 to Wednesday 09:00.
    ours = selectors.handover(personas["service_manager"], now=WEDNESDAY_MORNING)
    assert ours["window"].starts == at(16, 17) and ours["window"].ends == at(18, 9)
    assert handed_over(personas["service_manager"]) == ["Rang during our training day"]
    # Theirs: Tuesday was a working day, so the night began at 17:00 on Tuesday.
    theirs = selectors.handover(personas["outsider_manager"], now=WEDNESDAY_MORNING)
    assert theirs["window"].starts == at(17, 17)
    assert handed_over(personas["outsider_manager"]) == ["Rang on Tuesday evening"]


def test_someone_in_both_services_is_shown_each_services_period(
    client_for, personas, service, other_service, closed_on_tuesday, tuesday_calls, monkeypatch
):
    both = staff_member(Role.HEALTH_KEYWORKER, service, full_name="Leah Price")
    Membership.objects.create(
        user=both, service=other_service, role=Role.HEALTH_KEYWORKER, agency=Agency.HEALTH
    )
    assert handed_over(both) == ["Rang during our training day", "Rang on Tuesday evening"]

    real_handover = selectors.handover
    monkeypatch.setattr(
        selectors, "handover", lambda user: real_handover(user, now=WEDNESDAY_MORNING)
    )
    body = client_for(both).get(reverse("crisisline:handover")).content.decode()
    assert f"{service.name}: from Monday 16 June, 17:00 to Wednesday 18 June, 09:00" in body
    assert f"{other_service.name}: from Tuesday 17 June, 17:00 to Wednesday 18 June, 09:00" in body


def test_non_working_days_are_the_bank_holidays_and_the_services_own(
    personas, service, other_service, closed_on_tuesday
):
    services.add_bank_holiday(
        date=datetime.date(2031, 6, 16), name="A made-up holiday", actor=personas["administrator"]
    )
    days = selectors.non_working_days_of([service.pk, other_service.pk])
    assert datetime.date(2031, 6, 16) in days[service.pk] & days[other_service.pk]
    assert TUESDAY in days[service.pk] and TUESDAY not in days[other_service.pk]
    assert selectors.non_working_days(service.pk) == days[service.pk]


def test_a_manager_adds_and_removes_a_closure_day_and_the_page_says_who(
    client_for, personas, service
):
    joanne = client_for(personas["service_manager"])
    response = joanne.post(closure_page(service), {"service": service.pk, **typed(TUESDAY)})
    assert response.status_code == 302 and response.url == closure_page(service)
    day = ServiceClosureDay.objects.get(service=service, date=TUESDAY)
    assert day.added_by == personas["service_manager"]
    body = joanne.get(closure_page(service)).content.decode()
    assert "Tuesday 17 June 2031" in body and "Whole-team training day" in body

    joanne.post(reverse("crisisline:closure_day_remove", args=[day.pk]))
    assert not ServiceClosureDay.objects.filter(pk=day.pk).exists()
    changes = joanne.get(closure_page(service)).context["changes"]
    assert [(c["what"], c["by"], c["label"]) for c in changes] == [
        ("Removed", "Joanne Kirkby", "Whole-team training day"),
        ("Added", "Joanne Kirkby", "Whole-team training day"),
    ]


@pytest.mark.parametrize(
    ("day", "reason", "message"),
    [
        (datetime.date(2031, 6, 21), "Training", "Saturday 21 June 2031 is a weekend day"),
        (datetime.date(2031, 6, 16), "Training", "Monday 16 June 2031 is a bank holiday"),
        (TUESDAY, "Again", "is already closed on Tuesday 17 June 2031"),
        (TUESDAY, "", "Enter why the service is closed"),
        (TUESDAY, "A" * 101, "100 characters or fewer"),
    ],
)
def test_a_closure_day_that_cannot_be_added_says_why_and_changes_nothing(
    client_for, personas, service, closed_on_tuesday, day, reason, message
):
    services.add_bank_holiday(
        date=datetime.date(2031, 6, 16), name="A made-up holiday", actor=personas["administrator"]
    )
    before = ServiceClosureDay.history.count()
    response = client_for(personas["service_manager"]).post(
        closure_page(service), {"service": service.pk, **typed(day, reason)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ServiceClosureDay.history.count() == before


def test_the_bank_holiday_page_shows_who_changed_the_list(client_for, personas):
    priya = client_for(personas["administrator"])
    url = reverse("crisisline:bank_holidays")
    priya.post(
        url, {"date_day": "16", "date_month": "6", "date_year": "2031", "name": "A new holiday"}
    )
    holiday = selectors.BankHoliday.objects.get(date=datetime.date(2031, 6, 16))
    priya.post(reverse("crisisline:bank_holiday_remove", args=[holiday.pk]))
    response = client_for(personas["service_manager"]).get(url)
    changes = [(c["what"], c["by"], c["label"]) for c in response.context["changes"]][:2]
    assert changes == [
        ("Removed", "Priya Shah", "A new holiday"),
        ("Added", "Priya Shah", "A new holiday"),
    ]
    body = response.content.decode()
    assert "16 June 2031: A new holiday" in body and "Priya Shah" in body
    # The manager is pointed to the list that is theirs to keep.
    assert reverse("crisisline:closure_days") in body
