"""The custody–release–licence clock on his record and his team's home pages.

In-reach starts at least 6 months before release; the service works with him for up to two
years in the community (move-on planned from 21 months); the licence condition to attend runs
at least 18 months; his offender manager hears 8 weeks before his licence expires. The clock
flags each; it refuses nothing. Each figure below is worked by hand from the dates.
"""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from participants import clock
from participants import services as participant_services
from participants.models import Licence, Participant, ReleasePlan, StageChange
from tests.factories import ReferralFactory, allocate_team
from tests.factories.reports import accepted_on, move

pytestmark = pytest.mark.django_db

Kind = StageChange.Kind


def today() -> datetime.date:
    return timezone.localdate()


def man(
    service, personas, *, accepted: datetime.date, prison_number: str, **referral
) -> Participant:
    him = accepted_on(
        service=service, manager=personas["service_manager"], day=accepted,
        prison_number=prison_number, **referral,
    )  # fmt: skip
    return allocate_team(
        him, manager=personas["service_manager"], om=personas["offender_manager"],
        keyworker=personas["keyworker"],
    )  # fmt: skip


@pytest.fixture
def due_out_soon(service, personas):
    """Leon: in-reach since 2 months ago, due out in 10 weeks: about 4 months of in-reach."""
    leon = man(
        service, personas, accepted=today() - relativedelta(months=2), prison_number="L1111LL",
        given_name="Leon", family_name="Baptiste", current_prison="HMP Altcourse",
        expected_release_date=today() + datetime.timedelta(weeks=10),
    )  # fmt: skip
    participant_services.save_release_plan(
        participant=leon, actor=personas["keyworker"],
        plan=ReleasePlan(
            planned_release_date=leon.expected_release_date, collected_by="His brother Marcus",
            collection_done=True, first_night="Hostel on Bold Street", first_night_done=True,
            gp="Princes Park practice", gp_done=True,
        ),
    )  # fmt: skip
    return leon


@pytest.fixture
def long_in_the_community(service, personas):
    """Kofi: released 22 months ago; licence ends in 5 weeks."""
    released = today() - relativedelta(months=22)
    kofi = man(
        service, personas, accepted=released - relativedelta(months=7), prison_number="K2222KK",
        given_name="Kofi", family_name="Mensah",
    )  # fmt: skip
    move(kofi, personas["service_manager"], Kind.RELEASED, released)
    participant_services.save_licence(
        participant=kofi, actor=personas["offender_manager"],
        licence=Licence(starts_on=released, ends_on=today() + datetime.timedelta(weeks=5)),
    )  # fmt: skip
    return kofi


def test_the_prison_and_release_date_come_from_the_referral_and_are_kept_with_history(
    service, personas, client_for
):
    referral = ReferralFactory(
        service=service, created_by=personas["service_manager"], current_prison="HMP Risley",
        expected_release_date=datetime.date(2027, 5, 14), prison_number="R3333RR",
    )  # fmt: skip
    him = participant_services.accept_referral(
        referral=referral, actor=personas["service_manager"], decided_on=today()
    )
    assert (him.prison, him.expected_release_date) == ("HMP Risley", datetime.date(2027, 5, 14))
    allocate_team(him, manager=personas["service_manager"], om=personas["offender_manager"])
    participant_services.update_participant(
        participant=him, actor=personas["offender_manager"], expected_version=him.version,
        changes={"expected_release_date": datetime.date(2027, 6, 1), "prison": "HMP Liverpool"},
    )  # fmt: skip
    kept = list(him.history.order_by("history_date").values_list("prison", "expected_release_date"))
    assert kept[0] == ("HMP Risley", datetime.date(2027, 5, 14))
    assert kept[-1] == ("HMP Liverpool", datetime.date(2027, 6, 1))
    body = (
        client_for(personas["offender_manager"])
        .get(reverse("participants:overview", args=[him.pk]))
        .content.decode()
    )
    assert "HMP Liverpool" in body and "1 June 2027" in body


def test_release_near_with_under_six_months_of_in_reach_is_flagged(
    due_out_soon, personas, client_for
):
    # 2 months of in-reach so far and 10 weeks (2.3 months) to go: 4 months by release.
    body = (
        client_for(personas["offender_manager"])
        .get(reverse("participants:overview", args=[due_out_soon.pk]))
        .content.decode()
    )
    release = f"{due_out_soon.expected_release_date:%d/%m/%Y}"
    assert (
        f"Release expected on {release} with 4 months of in-reach by then: under the 6 months"
        in body
    )
    assert "In-reach by his expected release" in body and "HMP Altcourse" in body


def test_a_man_with_enough_in_reach_is_not_flagged(service, personas):
    settled = man(
        service, personas, accepted=today() - relativedelta(months=7), prison_number="S4444SS",
        expected_release_date=today() + datetime.timedelta(weeks=3),
    )  # fmt: skip
    history = clock.stage_history_of(settled)
    assert clock.flags(settled, history, None, today()) == []


def test_twenty_one_months_in_the_community_asks_for_move_on_and_licence_expiry_is_flagged(
    long_in_the_community, personas
):
    kofi = long_in_the_community
    history = clock.stage_history_of(kofi)
    licence = kofi.licences.get()
    found = {flag.key: flag.text for flag in clock.flags(kofi, history, licence, today())}
    released = today() - relativedelta(months=22)
    assert found["community_limit"] == (
        f"22 months in the community since release on {released:%d/%m/%Y} of the 24-month "
        "limit: plan his move-on."
    )
    expires = today() + datetime.timedelta(weeks=5)
    assert found["licence_expiry"] == f"Licence expires on {expires:%d/%m/%Y}, in 5 weeks."
    assert "short_licence" not in found  # 22 months and 5 weeks: longer than 18


def test_past_two_years_the_prompt_says_so():
    released = today() - relativedelta(months=25)
    history = clock.StageHistory(first_stage="in_reach", moves=((released, "community"),))
    him = Participant(stage="community", expected_release_date=None)
    (flag,) = clock.flags(him, history, None, today())
    assert flag.text.endswith("past the 24-month limit. Plan his move-on now.")
    assert flag.text.startswith("25 months in the community")


def test_a_short_licence_is_flagged_when_entered_and_on_his_record(service, personas, client_for):
    him = man(
        service, personas, accepted=today() - relativedelta(months=8), prison_number="T5555TT"
    )
    move(him, personas["service_manager"], Kind.RELEASED, today() - datetime.timedelta(days=3))
    sarah = client_for(personas["offender_manager"])
    starts = today() - datetime.timedelta(days=3)
    ends = starts + relativedelta(months=12)
    response = sarah.post(
        reverse("participants:licence", args=[him.pk]),
        {
            "starts_on_day": starts.day, "starts_on_month": starts.month,
            "starts_on_year": starts.year, "ends_on_day": ends.day,
            "ends_on_month": ends.month, "ends_on_year": ends.year,
            "standard_conditions": "on",
        },
        follow=True,
    )  # fmt: skip
    body = response.content.decode()
    assert Licence.objects.filter(participant=him).exists()  # flagged, not refused
    message = f"Licence of 12 months (to {ends:%d/%m/%Y}): under the 18 months"
    assert "Licence saved." in body and message in body
    again = sarah.get(reverse("participants:overview", args=[him.pk])).content.decode()
    assert message in again


def test_upcoming_releases_on_the_team_and_manager_home_pages(
    due_out_soon, long_in_the_community, service, personas, client_for
):
    later = man(
        service, personas, accepted=today() - relativedelta(months=1), prison_number="U6666UU",
        given_name="Dale", family_name="Later",
        expected_release_date=today() + datetime.timedelta(weeks=20),
    )  # fmt: skip
    for persona in ("offender_manager", "service_manager"):
        response = client_for(personas[persona]).get(reverse("core:home"))
        releases = response.context["upcoming_releases"]
        assert [p.pk for p in releases] == [due_out_soon.pk], persona
        body = response.content.decode()
        assert "Leon Baptiste" in body and "3 of 5 done" in body
        assert "His brother Marcus" in body and "HMP Altcourse" in body
        assert later.full_name not in body.split('id="upcoming-releases"')[1].split("</table>")[0]
        prompts = {
            p["participant"].pk: [f.key for f in p["flags"]]
            for p in response.context["time_limit_prompts"]
        }
        assert prompts == {
            due_out_soon.pk: ["short_in_reach"],
            long_in_the_community.pk: ["community_limit", "licence_expiry"],
        }, persona


def test_someone_outside_his_team_sees_no_upcoming_release_of_his(
    due_out_soon, personas, client_for
):
    for persona in ("colleague", "outsider_manager"):
        response = client_for(personas[persona]).get(reverse("core:home"))
        assert list(response.context["upcoming_releases"]) == [], persona
        assert "Leon Baptiste" not in response.content.decode(), persona


def test_an_excluded_manager_sees_neither_his_release_nor_his_time_limits(
    due_out_soon, long_in_the_community, service, personas, client_for
):
    """Exclusion reaches the clock's panels as every other list: Ruth, a second manager of
    the service excluded from Leon, still sees Kofi and nothing of Leon."""
    from resettle.accounts.roles import Role
    from tests.factories import staff_member

    ruth = staff_member(Role.SERVICE_MANAGER, service, full_name="Ruth Ellis")
    participant_services.exclude_staff(
        participant=due_out_soon, staff=ruth, reason="Knows his family outside work",
        actor=personas["service_manager"],
    )  # fmt: skip
    response = client_for(ruth).get(reverse("core:home"))
    assert list(response.context["upcoming_releases"]) == []
    prompted = [p["participant"].pk for p in response.context["time_limit_prompts"]]
    assert prompted == [long_in_the_community.pk]
    assert "Leon Baptiste" not in response.content.decode()
