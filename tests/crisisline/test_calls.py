import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crisisline import selectors, services
from crisisline.models import BankHoliday, CrisisCall
from participants.models import Contact
from riskplans import services as plan_services
from tests.factories import ParticipantFactory
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, other_service, personas, participant = from_world(
    "service", "other_service", "personas", "participant"
)


def a_call(service, participant=None, *, hours_ago=2, urgency="urgent", follow_up=True, **extra):
    started = timezone.now() - datetime.timedelta(hours=hours_ago)
    return CrisisCall(
        service=service,
        participant=participant,
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=20),
        caller_type="participant",
        presenting_issue="Low and drinking",
        urgency=urgency,
        follow_up_required=follow_up,
        **extra,
    )


@pytest.fixture
def findable(participant):
    participant.crn = "X123456"
    participant.pnc_number = "12/0052494X"
    participant.nhs_number = "9434765919"
    participant.phone = "07700 900123"
    participant.preferred_name = "Jay"
    participant.save()
    Contact.objects.create(participant=participant, name="Maureen Okoro", relationship="Mother",
                           phone="0151-496-0555")  # fmt: skip
    return participant


@pytest.mark.parametrize(
    "query",
    ["Okoro", "jamal okoro", "Jay", "a1234bc", "x123456", "12/0052494X", "943 476 5919",
     "07700900123", "0151 496 0555"],
)  # fmt: skip
def test_search_finds_him_by_name_identifier_or_phone(personas, findable, query):
    results = selectors.search(personas["crisis_worker"], query)
    assert [p.pk for p in results] == [findable.pk]


def test_search_never_crosses_services(personas, findable, other_service):
    ParticipantFactory(service=other_service, family_name="Okoro", given_name="Daniel")
    mine = selectors.search(personas["crisis_worker"], "Okoro")
    assert [p.pk for p in mine] == [findable.pk]
    theirs = selectors.search(personas["outsider"], "A1234BC")
    assert theirs == []


def test_logging_a_call_puts_it_on_the_timeline(personas, participant, service):
    call = services.log_call(call=a_call(service, participant), actor=personas["crisis_worker"])
    event = participant.timeline_events.get(category="crisis")
    assert "Crisis call (urgent)" in event.title
    assert event.link == reverse("crisisline:call_detail", args=[call.pk])
    assert call.history.latest().history_user == personas["crisis_worker"]


def test_a_call_in_the_future_is_refused(personas, service):
    call = a_call(service, hours_ago=-2)
    with pytest.raises(ValidationError, match="cannot start in the future"):
        services.log_call(call=call, actor=personas["crisis_worker"])
    assert not CrisisCall.objects.exists()


def test_a_call_ending_before_it_started_is_refused(personas, service):
    call = a_call(service)
    call.ended_at = call.started_at - datetime.timedelta(minutes=5)
    with pytest.raises(ValidationError, match="must end after it started"):
        services.log_call(call=call, actor=personas["crisis_worker"])


def call_form_data(**overrides):
    now = timezone.localtime() - datetime.timedelta(hours=1)
    data = {
        "participant": "",
        "started_date_day": now.day, "started_date_month": now.month, "started_date_year": now.year,
        "started_time": now.strftime("%H:%M"), "ended_time": "",
        "caller_type": "family", "caller_name": "", "presenting_issue": "Worried about him",
        "urgency": "concerning", "narrative": "",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_call_form_refuses_an_end_before_the_start(client_for, personas, service):
    response = client_for(personas["crisis_worker"]).post(
        reverse("crisisline:call_add"),
        call_form_data(service=service.pk, started_time="14:00", ended_time="13:30"),
    )
    assert "The call must end after it started" in response.content.decode()
    assert not CrisisCall.objects.exists()


def test_an_evening_call_past_midnight_ends_the_next_day(client_for, personas, service):
    # Two days ago, so that it ended before now even just after midnight.
    evening = timezone.localdate() - datetime.timedelta(days=2)
    data = call_form_data(
        started_date_day=evening.day, started_date_month=evening.month,
        started_date_year=evening.year, started_time="23:50", ended_time="00:20",
        service=service.pk,
    )  # fmt: skip
    response = client_for(personas["crisis_worker"]).post(reverse("crisisline:call_add"), data)
    assert response.status_code == 302
    call = CrisisCall.objects.get()
    assert call.minutes == 30


def test_call_form_refuses_an_unknown_participant_id(client_for, personas, other_service):
    stranger = ParticipantFactory(service=other_service)
    for bad in ("00000000-0000-0000-0000-000000000000", str(stranger.pk), "not-a-uuid"):
        response = client_for(personas["crisis_worker"]).post(
            reverse("crisisline:call_add"), call_form_data(participant=bad)
        )
        assert response.status_code == 200
        assert "There is a problem" in response.content.decode()
    assert not CrisisCall.objects.exists()


def test_call_form_refuses_a_start_in_the_future(client_for, personas):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(personas["crisis_worker"]).post(
        reverse("crisisline:call_add"),
        call_form_data(started_date_day=tomorrow.day, started_date_month=tomorrow.month,
                       started_date_year=tomorrow.year),
    )  # fmt: skip
    assert "must be today or in the past" in response.content.decode()
    assert not CrisisCall.objects.exists()


def test_a_call_is_saved_unlinked_and_linked_later(personas, participant, service):
    call = services.log_call(call=a_call(service), actor=personas["crisis_worker"])
    assert not participant.timeline_events.filter(category="crisis").exists()
    services.link_call(call=call, participant=participant, actor=personas["crisis_worker"])
    call.refresh_from_db()
    assert call.participant == participant
    assert participant.timeline_events.filter(category="crisis").exists()
    with pytest.raises(ValidationError, match="already linked"):
        services.link_call(call=call, participant=participant, actor=personas["crisis_worker"])


def test_a_call_cannot_be_linked_to_someone_of_another_service(personas, service, other_service):
    call = services.log_call(call=a_call(service), actor=personas["crisis_worker"])
    stranger = ParticipantFactory(service=other_service)
    with pytest.raises(ValidationError):
        services.link_call(call=call, participant=stranger, actor=personas["crisis_worker"])


def test_acknowledging_needs_a_note_and_happens_once(personas, participant, service):
    call = services.log_call(call=a_call(service, participant), actor=personas["crisis_worker"])
    with pytest.raises(ValidationError):
        services.acknowledge_call(call=call, actor=personas["keyworker"], note="  ")
    services.acknowledge_call(call=call, actor=personas["keyworker"], note="Called him at 09:10")
    with pytest.raises(ValidationError, match="Already acknowledged"):
        services.acknowledge_call(call=call, actor=personas["colleague"], note="Again")
    call.refresh_from_db()
    assert call.acknowledged_by == personas["keyworker"]


def test_an_emergency_call_brings_the_plan_review_forward(personas, participant, service):
    plan = plan_services.start_plan(participant=participant, actor=personas["keyworker"])
    plan_services.save_plan(
        plan=plan, actor=personas["keyworker"], expected_version=plan.lock_version,
        changes={"actions": [{"pillar": "supervision", "action": "a", "owner": "b", "due": "c"}],
                 "contingency_plan": "Call the on-call manager"}, submit=True,
    )  # fmt: skip
    plan_services.approve_plan(plan=plan, actor=personas["offender_manager"])
    services.log_call(
        call=a_call(service, participant, urgency="emergency"), actor=personas["crisis_worker"]
    )
    plan.refresh_from_db()
    assert plan.review_reason == "Brought forward after an emergency crisis call"


def test_handover_groups_by_participant_most_urgent_first(personas, participant, service):
    other = ParticipantFactory(service=service, family_name="Doherty")
    worker = personas["crisis_worker"]
    # Freeze "now" to 10:00 on a Tuesday so the window is Monday 17:00 to Tuesday 09:00.
    now = timezone.make_aware(datetime.datetime(2026, 11, 24, 10, 0))
    night = timezone.make_aware(datetime.datetime(2026, 11, 23, 22, 0))

    def log(person, urgency, started, follow_up=False):
        call = a_call(service, person, urgency=urgency, follow_up=follow_up)
        call.started_at, call.ended_at = started, started + datetime.timedelta(minutes=10)
        call.recorded_by = worker
        call.save()
        return call

    log(other, "routine", night)
    log(participant, "emergency", night + datetime.timedelta(hours=2))
    old_unacknowledged = log(participant, "concerning", night - datetime.timedelta(days=6), True)
    log(other, "urgent", night - datetime.timedelta(days=6))  # old and no follow-up: not shown
    result = selectors.handover(personas["keyworker"], now=now)
    groups = result["groups"]
    assert [g["participant"] for g in groups] == [participant, other]
    assert [c.urgency for c in groups[0]["calls"]] == ["emergency", "concerning"]
    assert old_unacknowledged in groups[0]["calls"]
    assert [c.urgency for c in groups[1]["calls"]] == ["routine"]
    assert result["unacknowledged"] == 1


def test_an_administrator_keeps_the_bank_holiday_list_and_a_manager_reads_it(client_for, personas):
    client = client_for(personas["administrator"])
    url = reverse("crisisline:bank_holidays")
    data = {"date_day": "1", "date_month": "1", "date_year": "2031", "name": "New Year's Day"}
    assert client.post(url, data).status_code == 302
    assert BankHoliday.objects.filter(date=datetime.date(2031, 1, 1)).exists()
    again = client.post(url, data)
    assert "already on the list" in again.content.decode()
    manager = client_for(personas["service_manager"]).get(url).content.decode()
    assert "Wednesday 1 January 2031" in manager and "New Year&#x27;s Day" in manager
    assert "Add a bank holiday" not in manager and "Remove" not in manager
    assert client_for(personas["keyworker"]).get(url).status_code == 403


def test_a_call_that_starts_and_ends_in_the_same_minute_is_accepted(client_for, personas, service):
    """Issue 27: a call of under a minute is logged to the minute, start and end alike.
    Yesterday's, so 14:05 is in the past whatever the time the suite runs."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client_for(personas["crisis_worker"]).post(
        reverse("crisisline:call_add"),
        call_form_data(
            service=service.pk, started_time="14:05", ended_time="14:05",
            started_date_day=yesterday.day, started_date_month=yesterday.month,
            started_date_year=yesterday.year,
        ),
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    assert CrisisCall.objects.get().minutes == 0


def test_log_a_call_says_so_when_the_link_names_no_one_he_may_see(
    client_for, personas, other_service
):
    stranger = ParticipantFactory(service=other_service)
    client = client_for(personas["crisis_worker"])
    for bad in ("00000000-0000-0000-0000-000000000000", str(stranger.pk), "not-a-uuid"):
        html = client.get(reverse("crisisline:call_add") + f"?participant={bad}").content.decode()
        assert "We could not find the person this link named" in html
    html = client.get(reverse("crisisline:call_add")).content.decode()
    assert "We could not find the person" not in html


def test_follow_ups_waiting_list_emergency_first(personas, participant, service):
    from crisisline import selectors
    from crisisline.models import Urgency

    for urgency, hours in (
        (Urgency.ROUTINE, 1), (Urgency.EMERGENCY, 5), (Urgency.CONCERNING, 2), (Urgency.URGENT, 3)
    ):  # fmt: skip
        call = a_call(service, participant, hours_ago=hours)
        call.urgency = urgency
        call.follow_up_required = True
        services.log_call(call=call, actor=personas["crisis_worker"])
    waiting = selectors.unacknowledged_follow_ups(personas["service_manager"], allocated_only=False)
    assert [c.urgency for c in waiting] == ["emergency", "urgent", "concerning", "routine"]
