"""Issue 27: the caseload tells a plan being written from no plan, and sorts by RoSH."""

import pytest
from django.urls import reverse

from participants.models import Participant
from riskplans import services as plan_services
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def caseload(client, **query) -> str:
    return client.get(reverse("participants:caseload"), query).content.decode()


def test_a_man_whose_plan_is_a_draft_is_not_shown_as_no_plan(client_for, personas, participant):
    client = client_for(personas["service_manager"])
    assert "No plan" in caseload(client)
    plan_services.start_plan(participant=participant, actor=personas["offender_manager"])
    html = caseload(client)
    assert "Draft plan" in html and "No plan" not in html


def test_rosh_is_sortable_highest_first(client_for, personas, participant, service):
    for name, level in (("Alder", "low"), ("Birch", "very_high"), ("Cedar", "medium")):
        man = ParticipantFactory(service=service, given_name="Tom", family_name=name)
        Participant.objects.filter(pk=man.pk).update(stage=participant.stage, highest_rosh=level)
    html = caseload(client_for(personas["service_manager"]), sort="-rosh")
    order = [html.index(name.upper()) for name in ("BIRCH", "CEDAR", "ALDER")]
    assert order == sorted(order)
    assert 'aria-sort="descending"><a class="govuk-link" href="?sort=rosh">RoSH</a>' in html


def test_the_filters_in_force_show_as_moj_filter_tags_each_removable(
    client_for, personas, participant
):
    client = client_for(personas["service_manager"])
    assert 'data-testid="selected-filters"' not in caseload(client)
    html = caseload(client, risk="high", review_overdue="on", q="Okoro")
    start = html.index('data-testid="selected-filters"')
    selected = html[start : html.index('class="app-filter"', start)]
    assert "Selected filters" in selected
    for heading, text in (
        ("Highest RoSH", "High"),
        ("Plan review overdue", "Only plan reviews overdue"),
        ("Name or identifier", "Okoro"),
    ):
        assert heading in selected and text in selected
    # Removing RoSH keeps the others.
    assert 'href="?review_overdue=on&amp;q=Okoro"' in selected
