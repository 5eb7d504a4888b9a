"""Two people adding to the same crisis call, or to the bank-holiday list, at the same moment.

A logged call is not edited afterwards (there is no edit page): what can be added to it is
the link to a participant and the day team's acknowledgement, each done once.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crisisline import services
from crisisline.models import BankHoliday
from tests.concurrency import Gate, Race, signed_in
from tests.crisisline.test_calls import a_call
from tests.factories import accepted_participant

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_flush")]


def test_two_workers_linking_the_same_call_at_once_link_it_once(
    monkeypatch, personas, participant, service
):
    ryan = accepted_participant(
        service=service, manager=personas["service_manager"], given_name="Ryan",
        family_name="Doherty", prison_number="B2345CD",
    )  # fmt: skip
    call = services.log_call(call=a_call(service), actor=personas["crisis_worker"])
    first_linked = Gate(monkeypatch, services, "_on_timeline", thread="first")

    def link(man, actor):
        return lambda: services.link_call(call=call, participant=man, actor=actor)

    with Race(
        first=link(participant, personas["crisis_worker"]),
        second=first_linked.then(link(ryan, personas["keyworker"])),
    ) as linking:
        linking.wait_at(first_linked)
        linking.wait_until_blocked_or_done("second")
        first_linked.open()

    assert linking["first"].ok
    assert isinstance(linking["second"].error, ValidationError)
    assert "already linked" in linking["second"].error.messages[0]
    call.refresh_from_db()
    assert call.participant == participant
    assert participant.timeline_events.filter(category="crisis").count() == 1
    assert not ryan.timeline_events.filter(category="crisis").exists()


def test_two_acknowledgements_of_the_same_call_at_once_keep_the_first(
    monkeypatch, personas, participant, service
):
    call = services.log_call(call=a_call(service, participant), actor=personas["crisis_worker"])
    first_acknowledged = Gate(monkeypatch, services, "record_event", thread="first")

    def acknowledge(actor, note):
        return lambda: services.acknowledge_call(call=call, actor=actor, note=note)

    with Race(
        first=acknowledge(personas["keyworker"], "Called him at 09:10"),
        second=first_acknowledged.then(acknowledge(personas["colleague"], "Visiting at 11")),
    ) as acknowledging:
        acknowledging.wait_at(first_acknowledged)
        acknowledging.wait_until_blocked_or_done("second")
        first_acknowledged.open()

    assert acknowledging["first"].ok
    assert "Already acknowledged by Aisha Rahman" in acknowledging["second"].error.messages[0]
    call.refresh_from_db()
    assert (call.acknowledged_by, call.acknowledgement_note) == (
        personas["keyworker"],
        "Called him at 09:10",
    )
    assert call.history.exclude(acknowledged_at=None).count() == 1


def test_two_administrators_adding_the_same_bank_holiday_at_once_are_told_not_shown_an_error(
    monkeypatch, personas, service
):
    """Both checked the list before either saved: the second save broke the unique date and
    the page failed with a server error."""
    from resettle.accounts.roles import Role
    from tests.factories import staff_member

    url = reverse("crisisline:bank_holidays")
    ruth = staff_member(Role.ADMINISTRATOR, service, full_name="Ruth Ellis")
    joanne, ruth = signed_in(personas["administrator"]), signed_in(ruth)
    day = {"date_day": "1", "date_month": "1", "date_year": "2030"}
    first_checked = Gate(monkeypatch, BankHoliday.objects, "create", thread="first")

    with Race(
        first=lambda: joanne.post(url, {**day, "name": "New Year's Day"}),
        second=first_checked.then(lambda: ruth.post(url, {**day, "name": "New Year"})),
    ) as adding:
        adding.wait_at(first_checked)
        adding.wait_until_blocked_or_done("second")
        first_checked.open()

    assert adding.errors() == []
    assert adding["second"].value.status_code == 302
    told = adding["first"].value
    assert told.status_code == 200
    assert "That date is already on the list" in told.content.decode()
    assert BankHoliday.objects.get(date=datetime.date(2030, 1, 1)).name == "New Year"
