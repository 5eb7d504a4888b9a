"""Who agrees a formulation: a psychologist in his team, or a psychologist who manages the
service (a service manager whose membership is marked "a psychologist"); who agreed it and
when are kept, shown on it and in its history."""

import pytest
from django.urls import reverse

from resettle.accounts.models import Membership
from resettle.accounts.roles import Agency, Role
from resettle.accounts.services import grant_membership
from riskplans import services
from riskplans.models import FormulationStatus
from tests.factories import UserFactory, staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(participant, personas):
    formulation = services.start_formulation(participant=participant, actor=personas["keyworker"])
    return services.save_formulation(
        formulation=formulation,
        actor=personas["keyworker"],
        expected_version=formulation.lock_version,
        changes={"reciprocal_roles": "controlling ↔ controlled", "exits": "Naming the pull"},
    )


@pytest.fixture
def probation_manager(service):
    user = UserFactory(full_name="Colin Barker")
    grant_membership(user=user, service=service, role=Role.SERVICE_MANAGER, agency=Agency.PROBATION)
    return user


@pytest.fixture
def psychologist_manager(service):
    """Dr Ruth Evans, the service's manager and a psychologist (its clinical lead)."""
    user = staff_member(Role.SERVICE_MANAGER, service, full_name="Ruth Evans")
    Membership.objects.filter(user=user, service=service).update(is_psychologist=True)
    return user


def agree_url(formulation):
    return reverse("riskplans:formulation_agree", args=[formulation.participant_id, formulation.pk])


def detail_url(formulation):
    return reverse(
        "riskplans:formulation_detail", args=[formulation.participant_id, formulation.pk]
    )


def test_the_psychologist_in_his_team_agrees_it_and_is_named(client_for, personas, draft):
    browser = client_for(personas["psychologist"])
    assert agree_url(draft) in browser.get(detail_url(draft)).content.decode()
    response = browser.post(agree_url(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == FormulationStatus.CURRENT
    assert draft.agreed_by == personas["psychologist"]
    assert draft.agreed_at is not None
    page = client_for(personas["colleague"]).get(detail_url(draft)).content.decode()
    assert "Agreed by Helen Marsh on" in page


def test_a_psychologist_who_manages_the_service_agrees_it(client_for, psychologist_manager, draft):
    response = client_for(psychologist_manager).post(agree_url(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == FormulationStatus.CURRENT
    assert draft.agreed_by == psychologist_manager


@pytest.mark.parametrize("who", ["probation_manager", "health_manager", "keyworker", "om"])
def test_others_are_refused_and_nothing_is_agreed(
    client_for, personas, probation_manager, draft, who
):
    user = {
        "probation_manager": probation_manager,
        "health_manager": personas["service_manager"],  # NHS, but not a psychologist
        "keyworker": personas["keyworker"],
        "om": personas["offender_manager"],
    }[who]
    browser = client_for(user)
    assert agree_url(draft) not in browser.get(detail_url(draft)).content.decode()
    assert browser.post(agree_url(draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == FormulationStatus.DRAFT
    assert draft.agreed_by is None
    assert draft.agreed_at is None


def test_a_psychologist_not_in_his_team_is_refused(client_for, service, draft):
    other = staff_member(Role.PSYCHOLOGIST, service, full_name="Owen Pryce")
    assert client_for(other).post(agree_url(draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == FormulationStatus.DRAFT


def test_the_history_shows_who_agreed_it_and_when(client_for, personas, participant, draft):
    services.make_formulation_current(formulation=draft, actor=personas["psychologist"])
    versions = list(draft.history.order_by("history_date", "history_id"))
    url = reverse("riskplans:history", args=[participant.pk, "formulation"])
    response = client_for(personas["colleague"]).get(
        url, {"a": versions[0].history_id, "b": versions[-1].history_id}
    )
    rows = {row["label"]: row for row in response.context["comparison"]["rows"]}
    agreed_by = rows["Agreed by"]
    assert (agreed_by["old"], agreed_by["new"], agreed_by["changed"]) == ("", "Helen Marsh", True)
    assert "<ins" in agreed_by["new_html"] and "Helen Marsh" in agreed_by["new_html"]
    assert rows["Agreed on"]["changed"] and rows["Agreed on"]["new"]
    page = response.content.decode()
    assert "Agreed by" in page and "Helen Marsh" in page
