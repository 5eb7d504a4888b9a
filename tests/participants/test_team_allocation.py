"""His team on one page (issue 27): three roles in one submit, only his service's staff who
hold the role and are not excluded, GOV.UK errors, and the prompt after acceptance."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.access import may_change
from participants.models import Allocation, Participant, TimelineEvent
from resettle.accounts.roles import Role
from resettle.core.forms import DJANGO_EMPTY_LABEL, DJANGO_REQUIRED
from tests.factories import ReferralFactory, accepted_participant, days_ago
from tests.factories.accounts import staff_member
from tests.participants.test_query_budgets import LARGE, SMALL, assert_same_cost, fill_to
from tests.world import from_world

pytestmark = pytest.mark.django_db

OM, KEYWORKER, PSYCHOLOGIST = Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST
# Measured 12 (3 of them saving the session, 3 reading session, user and memberships), the
# same at 5 and 200 participants and however many staff: plus a margin of 2.
TEAM_PAGE_BUDGET = 14


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """Built once for the module (tests/world.py): Jamal with his whole team; Dwayne, just
    accepted, with none; a second offender manager and psychologist; Tom (a keyworker)
    excluded from Dwayne's record."""
    personas, service = world["personas"], world["service"]
    with django_db_blocker.unblock():
        manager = personas["service_manager"]
        newcomer = accepted_participant(
            service=service, manager=manager, given_name="Dwayne", family_name="Marsh"
        )
        second_om = staff_member(OM, service, full_name="Dev Patel")
        second_psychologist = staff_member(PSYCHOLOGIST, service, full_name="Ruth Adeyemi")
        services.exclude_staff(
            participant=newcomer, staff=personas["colleague"], reason="Knows him", actor=manager
        )
    return {
        **world,
        "newcomer": newcomer,
        "second_om": second_om,
        "second_psychologist": second_psychologist,
    }


service, personas, participant, newcomer, second_om, second_psychologist = from_world(
    "service", "personas", "participant", "newcomer", "second_om", "second_psychologist"
)


def team_url(man) -> str:
    return reverse("participants:allocate", args=[man.pk])


def team_post(*, om="", keyworker="", psychologist="", day=None) -> dict:
    day = day or timezone.localdate()
    return {
        "offender_manager": getattr(om, "pk", om),
        "health_keyworker": getattr(keyworker, "pk", keyworker),
        "psychologist": getattr(psychologist, "pk", psychologist),
        "started_on_day": day.day,
        "started_on_month": day.month,
        "started_on_year": day.year,
    }


def holders(man) -> dict[str, object]:
    return {a.role: a.staff for a in man.allocations.filter(ended_on__isnull=True)}


def options_of(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select, f"no select named {name}"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_the_page_offers_three_labelled_selects_without_dashes(client_for, personas, newcomer):
    html = client_for(personas["service_manager"]).get(team_url(newcomer)).content.decode()
    assert DJANGO_EMPTY_LABEL not in html
    assert '<label class="govuk-label govuk-label--s" for="id_offender_manager">' in html
    assert 'id="id_health_keyworker-hint"' in html
    assert options_of(html, "offender_manager") == [
        "Choose an offender manager",
        "Dev Patel",
        "Sarah Okafor",
    ]
    assert options_of(html, "psychologist") == [
        "Choose a clinical psychologist",
        "Helen Marsh",
        "Ruth Adeyemi",
    ]
    # Tom is excluded from his record; Nadia is a keyworker of another service.
    assert options_of(html, "health_keyworker") == ["Choose a health keyworker", "Aisha Rahman"]
    assert "Save team" in html


def test_one_submit_sets_all_three_roles(client_for, personas, newcomer):
    manager = personas["service_manager"]
    post = team_post(
        om=personas["offender_manager"],
        keyworker=personas["keyworker"],
        psychologist=personas["psychologist"],
    )
    response = client_for(manager).post(team_url(newcomer), post)
    assert response.status_code == 302
    assert holders(newcomer) == {
        OM: personas["offender_manager"],
        KEYWORKER: personas["keyworker"],
        PSYCHOLOGIST: personas["psychologist"],
    }
    # The same trail as one allocation at a time: a timeline event each, history by him,
    # and change rights for the three of them.
    events = TimelineEvent.objects.filter(participant=newcomer, category="allocation")
    assert events.count() == 3
    for allocation in newcomer.allocations.all():
        assert allocation.allocated_by == manager
        assert allocation.history.get().history_user == manager
        assert may_change(allocation.staff, newcomer)
    page = client_for(manager).get(response.url).content.decode()
    assert "Team saved: Sarah Okafor as offender manager, Aisha Rahman as health keyworker" in (
        page
    )


def test_a_role_left_as_it_is_is_not_rewritten(client_for, personas, participant):
    om_before = participant.allocations.get(role=OM, ended_on=None)
    om_versions = om_before.history.count()
    post = team_post(
        om=personas["offender_manager"],
        keyworker=personas["colleague"],
        psychologist=personas["psychologist"],
        day=days_ago(1),
    )
    response = client_for(personas["service_manager"]).post(team_url(participant), post)
    assert response.status_code == 302
    om_now = participant.allocations.get(role=OM, ended_on=None)
    assert (om_now.pk, om_now.started_on) == (om_before.pk, om_before.started_on)
    assert om_now.history.count() == om_versions
    assert participant.allocations.filter(role=PSYCHOLOGIST).count() == 1
    # The one change: Tom replaces Aisha, whose rights go with her allocation.
    assert holders(participant)[KEYWORKER] == personas["colleague"]
    assert not may_change(personas["keyworker"], participant)


def test_saving_the_team_unchanged_changes_nothing(client_for, personas, participant):
    before = Allocation.objects.count(), TimelineEvent.objects.count()
    post = team_post(
        om=personas["offender_manager"],
        keyworker=personas["keyworker"],
        psychologist=personas["psychologist"],
    )
    client = client_for(personas["service_manager"])
    response = client.post(team_url(participant), post, follow=True)
    assert "His team is unchanged" in response.content.decode()
    assert (Allocation.objects.count(), TimelineEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("field", "who"),
    [
        pytest.param("health_keyworker", "outsider", id="keyworker-of-another-service"),
        pytest.param("offender_manager", "keyworker", id="keyworker-as-offender-manager"),
        pytest.param("health_keyworker", "colleague", id="keyworker-excluded-from-his-record"),
        pytest.param("psychologist", "service_manager", id="manager-as-psychologist"),
        pytest.param("health_keyworker", "unknown", id="no-such-person"),
    ],
)
def test_a_forged_choice_is_refused_and_changes_nothing(
    client_for, personas, newcomer, second_om, field, who
):
    chosen = "00000000-0000-0000-0000-000000000000" if who == "unknown" else personas[who].pk
    post = team_post(om=second_om, psychologist=personas["psychologist"]) | {field: chosen}
    response = client_for(personas["service_manager"]).post(team_url(newcomer), post)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="govuk-error-summary"' in html
    assert f'<a href="#id_{field}">Choose his ' in html
    assert "from the list: only" in html
    assert not newcomer.allocations.exists()  # not even the valid choices
    if who != "unknown":
        assert not Allocation.objects.filter(staff=personas[who], participant=newcomer).exists()


def test_error_summary_names_and_links_the_field_in_plain_words(client_for, personas, participant):
    post = team_post(keyworker=personas["keyworker"], psychologist=personas["psychologist"])
    response = client_for(personas["service_manager"]).post(team_url(participant), post)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<a href="#id_offender_manager">Choose his offender manager: a role once allocated '
        "cannot be left empty</a>"
    ) in html
    assert 'id="id_offender_manager-error"' in html
    assert DJANGO_REQUIRED not in html
    assert "<title>Error: " in html
    assert holders(participant)[OM] == personas["offender_manager"]


def test_a_date_in_the_future_is_refused_on_its_field(client_for, personas, newcomer):
    post = team_post(om=personas["offender_manager"], day=days_ago(-3))
    response = client_for(personas["service_manager"]).post(team_url(newcomer), post)
    assert '<a href="#id_started_on">Date the changes start must be today or in the past' in (
        response.content.decode()
    )
    assert not newcomer.allocations.exists()


def test_the_service_refusal_of_one_role_undoes_the_others(
    personas, newcomer, second_om, second_psychologist
):
    """allocate_team makes all its changes or none: here the new psychologist's start date
    comes before the current one's, after the offender manager was already allocated."""
    manager = personas["service_manager"]
    services.allocate(
        participant=newcomer, role=PSYCHOLOGIST, staff=personas["psychologist"],
        actor=manager, started_on=days_ago(5),
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.allocate_team(
            participant=newcomer,
            team={OM: second_om, PSYCHOLOGIST: second_psychologist},
            actor=manager,
            started_on=days_ago(10),
        )
    assert refused.value.message_dict == {
        "started_on": ["The date must be on or after the current allocation started"]
    }
    assert holders(newcomer) == {PSYCHOLOGIST: personas["psychologist"]}


def test_the_service_names_the_role_it_refuses(personas, newcomer):
    with pytest.raises(ValidationError) as refused:
        services.allocate_team(
            participant=newcomer,
            team={OM: personas["keyworker"]},
            actor=personas["service_manager"],
            started_on=days_ago(1),
        )
    assert list(refused.value.message_dict) == [OM]
    assert "Aisha Rahman is not an offender manager" in refused.value.message_dict[OM][0]
    assert not newcomer.allocations.exists()


def test_the_prompt_appears_after_acceptance_and_goes_once_his_team_is_complete(
    client_for, personas, service, second_om
):
    manager = client_for(personas["service_manager"])
    referral = ReferralFactory(service=service, created_by=personas["service_manager"])
    today = timezone.localdate()
    accepted = manager.post(
        reverse("participants:referral_accept", args=[referral.pk]),
        {
            "decided_on_day": today.day,
            "decided_on_month": today.month,
            "decided_on_year": today.year,
            "offer": "waiting",
        },
    )
    assert accepted.status_code == 302
    man = Participant.objects.get(referral=referral)
    url = team_url(man)
    overview = manager.get(accepted.url).content.decode()
    assert 'data-testid="team-prompt"' in overview
    assert (
        "He has no offender manager, health keyworker or psychologist yet. "
        f'<a class="govuk-notification-banner__link" href="{url}">Allocate his team</a>'
    ) in overview

    manager.post(url, team_post(om=second_om, keyworker=personas["keyworker"]))
    overview = manager.get(accepted.url).content.decode()
    assert "He has no psychologist yet." in overview

    # Only the manager is prompted: the keyworker cannot allocate.
    keyworker_view = client_for(personas["keyworker"]).get(accepted.url).content.decode()
    assert 'data-testid="team-prompt"' not in keyworker_view

    post = team_post(
        om=second_om, keyworker=personas["keyworker"], psychologist=personas["psychologist"]
    )
    client_for(personas["service_manager"]).post(url, post)
    overview = client_for(personas["service_manager"]).get(accepted.url).content.decode()
    assert 'data-testid="team-prompt"' not in overview
    assert "Allocate his team" not in overview


def test_team_page_costs_the_same_at_5_and_200_participants(
    client_for, personas, service, newcomer, django_assert_max_num_queries
):
    fill_to(service, SMALL)

    def grow():
        fill_to(service, LARGE)
        for n in range(10):
            for role in (OM, KEYWORKER, PSYCHOLOGIST):
                staff_member(role, service, full_name=f"Extra {role} {n}")

    small, large = assert_same_cost(
        client_for(personas["service_manager"]),
        team_url(newcomer),
        grow,
        TEAM_PAGE_BUDGET,
        django_assert_max_num_queries,
    )
    print(f"team page: {small} queries at {SMALL}, {large} at {LARGE}")
