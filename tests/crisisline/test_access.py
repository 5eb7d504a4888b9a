"""Who may open which page of the crisis line: every URL against every persona.

The rules (resettle/access.py, resettle/accounts/roles.py): anonymous people are sent to sign
in; the crisis-line worker and every case role of the service (offender manager, keyworkers,
psychologist, service manager) may find a man, open his crisis summary and log or read calls;
staff of another service get 404 on his summary and his calls (their existence is never
revealed) and never find him in a search; administrators and commissioners see no case data
(403). The day team's pages (handover, the record's crisis tab, acknowledging a follow-up)
are for case roles only: the crisis-line worker gets 403. Bank holidays are England and Wales
reference data: administrators change them, service managers read them. A service's own closure
days are kept by that service's managers alone.
"""

import datetime
import uuid
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisline import services
from crisisline.models import BankHoliday, CallerType, CrisisCall, ServiceClosureDay, Urgency
from tests.access_matrix import PERSONAS, assert_status, persona_cases, sign_in_as
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, other_service, personas, participant = from_world(
    "service", "other_service", "personas", "participant"
)


# What each kind of page allows. Columns are the kinds; every persona has one row.
#   crisis      – crisis-line pages that list or create (search, call list, log a call): the
#                 outsiders open them for their own service and find nothing of Jamal's
#   crisis_obj  – a crisis-line page about Jamal or one of his service's calls (summary, call)
#   day         – the day team's list (handover): case roles of any service
#   day_obj     – the day team's page on his record (crisis tab): case roles of his service
#   holidays    – the bank holiday list. It is one national (England and Wales) list, not a
#                 record of any service: administrators keep it, every service manager reads it.
#   holidays_w  – changing the bank holidays: administrators only.
#   closure     – a manager's own service's closure days (the outsider's manager sees his own).
#   closure_obj – one of Jamal's service's closure days: its managers only; 404 elsewhere.
KINDS = (
    "crisis",
    "crisis_obj",
    "day",
    "day_obj",
    "holidays",
    "holidays_w",
    "closure",
    "closure_obj",
)
EXPECTED = {
    #                  crisis obj  day  day_obj holidays  _w  closure  _obj
    "anonymous": (302, 302, 302, 302, 302, 302, 302, 302),
    "offender_manager": (200, 200, 200, 200, 403, 403, 403, 403),
    "keyworker": (200, 200, 200, 200, 403, 403, 403, 403),
    "psychologist": (200, 200, 200, 200, 403, 403, 403, 403),
    "colleague": (200, 200, 200, 200, 403, 403, 403, 403),
    "service_manager": (200, 200, 200, 200, 200, 403, 200, 200),
    "crisis_worker": (200, 200, 403, 403, 403, 403, 403, 403),
    "administrator": (403, 403, 403, 403, 200, 200, 403, 403),
    "commissioner": (403, 403, 403, 403, 403, 403, 403, 403),
    "outsider": (200, 404, 200, 404, 403, 403, 403, 403),
    "outsider_manager": (200, 404, 200, 404, 200, 403, 200, 404),
}


def expected_status(persona: str, kind: str) -> int:
    return EXPECTED[persona][KINDS.index(kind)]


class Page(NamedTuple):
    case: str
    name: str
    kind: str
    args: tuple = ()


# Every GET page in crisisline/urls.py. Args name objects of the record fixture.
GET_PAGES = (
    Page("search", "search", "crisis"),
    Page("summary", "summary", "crisis_obj", ("participant",)),
    Page("call_list", "call_list", "crisis"),
    Page("call_add", "call_add", "crisis"),
    Page("call_detail", "call_detail", "crisis_obj", ("call",)),
    Page("call_detail_unlinked", "call_detail", "crisis_obj", ("unlinked_call",)),
    Page("handover", "handover", "day"),
    Page("bank_holidays", "bank_holidays", "holidays"),
    Page("closure_days", "closure_days", "closure"),
    Page("participant_calls", "participant_calls", "day_obj", ("participant",)),
)
# POST-only URLs, the arguments they are addressed with, and the kind of right they need.
POST_ONLY = {
    "call_link": (("unlinked_call",), "crisis_obj"),
    "call_acknowledge": (("call",), "day_obj"),
    "bank_holiday_remove": (("holiday",), "holidays_w"),
    "closure_day_remove": (("closure_day",), "closure_obj"),
}


def test_the_table_covers_every_url_of_the_app():
    from crisisline.urls import urlpatterns

    covered = {page.name for page in GET_PAGES} | set(POST_ONLY)
    assert covered == {pattern.name for pattern in urlpatterns}


def test_every_persona_has_a_row_and_every_row_every_kind():
    assert set(EXPECTED) == set(PERSONAS)
    assert all(len(row) == len(KINDS) for row in EXPECTED.values())


# --- The record ---------------------------------------------------------------------------


def _call(service, participant=None, *, hours_ago: int, **fields) -> CrisisCall:
    started = timezone.now() - datetime.timedelta(hours=hours_ago)
    return CrisisCall(
        service=service,
        participant=participant,
        started_at=started,
        ended_at=started + datetime.timedelta(minutes=25),
        **fields,
    )


@pytest.fixture
def record(participant, personas, service):
    """A call about Jamal the day team must follow up, a call from an unknown caller, and a
    bank holiday."""
    crisis_worker = personas["crisis_worker"]
    call = services.log_call(
        call=_call(
            service,
            participant,
            hours_ago=3,
            caller_type=CallerType.PARTICIPANT,
            presenting_issue="Row with his landlord, says he will be evicted",
            urgency=Urgency.URGENT,
            risk_indicators=["accommodation", "substances"],
            actions_taken=["de_escalated", "contingency"],
            follow_up_required=True,
            narrative="Had been drinking. Agreed to stay at his sister's tonight.",
        ),
        actor=crisis_worker,
    )
    unlinked = services.log_call(
        call=_call(
            service,
            hours_ago=5,
            caller_type=CallerType.UNKNOWN,
            presenting_issue="A man who would not give his name, low and anxious",
            urgency=Urgency.CONCERNING,
        ),
        actor=crisis_worker,
    )
    holiday = services.add_bank_holiday(
        date=datetime.date(2031, 6, 16), name="A bank holiday", actor=personas["administrator"]
    )
    closure_day = services.add_closure_day(
        service=service,
        date=datetime.date(2031, 6, 17),
        reason="Whole-team training day",
        actor=personas["service_manager"],
    )
    return {
        "participant": participant,
        "call": call,
        "unlinked_call": unlinked,
        "holiday": holiday,
        "closure_day": closure_day,
    }


def url_for(record, name: str, args: tuple) -> str:
    return reverse(f"crisisline:{name}", args=[record[arg].pk for arg in args])


@pytest.mark.parametrize(("page", "persona", "expected"), persona_cases(GET_PAGES, expected_status))
def test_each_page_answers_each_persona_as_the_rules_say(
    client, client_for, personas, record, page, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.get(url_for(record, page.name, page.args))
    assert_status(response, expected)


# --- What the outsiders' own pages show ---------------------------------------------------

OUTSIDERS = ("outsider", "outsider_manager")


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("name", ["search", "call_list", "handover"])
def test_the_outsiders_lists_say_nothing_of_jamal_or_his_calls(
    client_for, personas, record, persona, name
):
    response = client_for(personas[persona]).get(reverse(f"crisisline:{name}"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Jamal" not in body and "Okoro" not in body
    for obj in ("participant", "call", "unlinked_call"):
        assert str(record[obj].pk) not in body, obj


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_the_outsider_cannot_log_a_call_about_jamal_by_his_id(
    client_for, personas, record, persona
):
    url = f"{reverse('crisisline:call_add')}?participant={record['participant'].pk}"
    response = client_for(personas[persona]).get(url)
    assert response.status_code == 200
    assert response.context["chosen"] is None
    body = response.content.decode()
    assert "Jamal" not in body and "Okoro" not in body


# --- Finding Jamal ------------------------------------------------------------------------


def search_cases():
    return [
        pytest.param(persona, htmx, id=f"{persona}{'-htmx' if htmx else ''}")
        for persona in PERSONAS
        for htmx in (False, True)
    ]


@pytest.mark.parametrize(("persona", "htmx"), search_cases())
def test_only_his_services_find_jamal_by_name(client, client_for, personas, record, persona, htmx):
    browser = sign_in_as(client, client_for, personas, persona)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = browser.get(f"{reverse('crisisline:search')}?q=Okoro", **headers)
    expected = expected_status(persona, "crisis")
    assert_status(response, expected)
    if expected != 200:
        return
    jamal = record["participant"]
    body = response.content.decode()
    summary = reverse("crisisline:summary", args=[jamal.pk])
    if expected_status(persona, "crisis_obj") == 200:
        assert [p.pk for p in response.context["results"]] == [jamal.pk]
        assert "Jamal Okoro" in body and summary in body
    else:  # another service: the search echoes what was typed, and nothing of him
        assert response.context["results"] == []
        assert "Jamal" not in body and summary not in body and "A1234BC" not in body
    if htmx:  # the fragment only, not the whole page
        assert "<html" not in body


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_the_outsiders_do_not_find_jamal_by_his_prison_number(
    client_for, personas, record, persona
):
    response = client_for(personas[persona]).get(f"{reverse('crisisline:search')}?q=A1234BC")
    assert response.status_code == 200
    assert response.context["results"] == []
    assert "Jamal" not in response.content.decode()


def test_a_history_restore_gets_the_whole_search_page(client_for, personas, record):
    """The search box pushes each search into the browser history (hx-push-url). When the
    user goes back to an entry htmx no longer holds in its history cache, htmx 2 fetches the
    URL with both HX-Request and HX-History-Restore-Request and swaps the answer into the
    whole <body>: the answer must be the whole page, not the results fragment."""
    response = client_for(personas["crisis_worker"]).get(
        f"{reverse('crisisline:search')}?q=Okoro",
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert response.status_code == 200
    assert "crisisline/search.html" in [t.name for t in response.templates]
    assert 'id="crisis-search"' in response.content.decode()


def test_the_crisis_worker_is_not_offered_the_full_record(client_for, personas, record):
    """His summary is all the crisis line sees: no link into the case record."""
    jamal = record["participant"]
    summary = reverse("crisisline:summary", args=[jamal.pk])
    overview = reverse("participants:overview", args=[jamal.pk])
    assert overview not in client_for(personas["crisis_worker"]).get(summary).content.decode()
    assert overview in client_for(personas["keyworker"]).get(summary).content.decode()


# --- POST-only URLs -----------------------------------------------------------------------


def post_url(record, name: str) -> str:
    return url_for(record, name, POST_ONLY[name][0])


@pytest.mark.parametrize("name", list(POST_ONLY))
def test_post_only_urls_refuse_a_get(client_for, personas, record, name):
    response = client_for(personas["service_manager"]).get(post_url(record, name))
    assert response.status_code == 405


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "crisis_obj")) for p in PERSONAS]
)
def test_the_crisis_line_and_his_team_link_an_unknown_callers_call_to_jamal(
    client, client_for, personas, record, persona, expected
):
    call, jamal = record["unlinked_call"], record["participant"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(post_url(record, "call_link"), {"participant": jamal.pk})
    call.refresh_from_db()
    if expected == 200:  # allowed: linked, and back to the call
        assert response.status_code == 302
        assert response.url == reverse("crisisline:call_detail", args=[call.pk])
        assert call.participant == jamal
        assert jamal.timeline_events.filter(link__endswith=f"/calls/{call.pk}/").exists()
    else:
        assert_status(response, expected)
        assert call.participant is None


def test_the_crisis_worker_links_the_call(client_for, personas, record):
    call, jamal = record["unlinked_call"], record["participant"]
    browser = client_for(personas["crisis_worker"])
    response = browser.post(post_url(record, "call_link"), {"participant": jamal.pk}, follow=True)
    assert response.redirect_chain == [(reverse("crisisline:call_detail", args=[call.pk]), 302)]
    assert "Call linked to Jamal Okoro" in response.content.decode()
    call.refresh_from_db()
    assert call.participant == jamal


@pytest.fixture
def man_of_another_service(other_service):
    from tests.factories import ParticipantFactory

    return ParticipantFactory(service=other_service, given_name="Liam", family_name="Doherty")


@pytest.mark.parametrize("persona", ["crisis_worker", "service_manager"])
def test_a_call_is_not_linked_to_a_man_of_another_service(
    client_for, personas, record, man_of_another_service, persona
):
    call = record["unlinked_call"]
    response = client_for(personas[persona]).post(
        post_url(record, "call_link"), {"participant": man_of_another_service.pk}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose the participant again" in body
    assert "Doherty" not in body
    call.refresh_from_db()
    assert call.participant is None


NOTE = {"note": "Rang him at 09:30; housing officer visiting the landlord today"}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "day_obj")) for p in PERSONAS]
)
def test_only_the_day_team_acknowledges_a_follow_up(
    client, client_for, personas, record, persona, expected
):
    call = record["call"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(post_url(record, "call_acknowledge"), NOTE)
    call.refresh_from_db()
    if expected == 200:  # allowed: acknowledged by him or her, and back to the handover
        assert response.status_code == 302
        assert response.url == reverse("crisisline:handover")
        assert call.acknowledged_by == personas[persona]
        assert call.acknowledged_at is not None
        assert call.acknowledgement_note == NOTE["note"]
    else:
        assert_status(response, expected)
        assert call.acknowledged_at is None
        assert call.acknowledged_by is None


def test_the_keyworker_acknowledges_the_follow_up(client_for, personas, record):
    call = record["call"]
    response = client_for(personas["keyworker"]).post(post_url(record, "call_acknowledge"), NOTE)
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.acknowledged_by == personas["keyworker"]
    assert not call.awaiting_follow_up


def test_the_crisis_worker_cannot_acknowledge_a_follow_up(client_for, personas, record):
    call = record["call"]
    response = client_for(personas["crisis_worker"]).post(
        post_url(record, "call_acknowledge"), NOTE
    )
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.awaiting_follow_up


def test_acknowledging_does_not_redirect_to_another_site(client_for, personas, record):
    response = client_for(personas["keyworker"]).post(
        post_url(record, "call_acknowledge"), {**NOTE, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == reverse("crisisline:handover")


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "holidays_w")) for p in PERSONAS]
)
def test_only_an_administrator_removes_a_bank_holiday(
    client, client_for, personas, record, persona, expected
):
    holiday = record["holiday"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(post_url(record, "bank_holiday_remove"))
    if expected == 200:  # allowed: removed, and back to the list
        assert response.status_code == 302
        assert response.url == reverse("crisisline:bank_holidays")
        assert not BankHoliday.objects.filter(pk=holiday.pk).exists()
    else:
        assert_status(response, expected)
        assert BankHoliday.objects.filter(pk=holiday.pk).exists()


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "holidays_w")) for p in PERSONAS]
)
def test_only_an_administrator_adds_a_bank_holiday(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        reverse("crisisline:bank_holidays"),
        {"date_day": "1", "date_month": "5", "date_year": "2031", "name": "Made up"},
    )
    added = BankHoliday.objects.filter(date=datetime.date(2031, 5, 1)).exists()
    if expected == 200:
        assert response.status_code == 302 and added
    else:
        assert_status(response, expected)
        assert not added


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "closure_obj")) for p in PERSONAS]
)
def test_only_his_services_managers_remove_its_closure_day(
    client, client_for, personas, record, persona, expected
):
    day = record["closure_day"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(post_url(record, "closure_day_remove"))
    if expected == 200:
        assert response.status_code == 302
        assert response.url == f"{reverse('crisisline:closure_days')}?service={day.service_id}"
        assert not ServiceClosureDay.objects.filter(pk=day.pk).exists()
    else:
        assert_status(response, expected)
        assert ServiceClosureDay.objects.filter(pk=day.pk).exists()


def test_another_services_manager_neither_sees_nor_adds_to_its_closure_days(
    client_for, personas, record, service
):
    """?service= naming a service they do not manage gives them their own list, unchanged."""
    browser = client_for(personas["outsider_manager"])
    url = f"{reverse('crisisline:closure_days')}?service={service.pk}"
    body = browser.get(url).content.decode()
    assert "Whole-team training day" not in body and service.name not in body
    browser.post(
        url,
        {
            "service": service.pk,
            **{"date_day": "18", "date_month": "6", "date_year": "2031", "reason": "X"},
        },
    )
    assert not ServiceClosureDay.objects.filter(
        service=service, date=datetime.date(2031, 6, 18)
    ).exists()


# --- Unknown records ----------------------------------------------------------------------

OBJECT_ARGS = ("participant", "call", "unlinked_call")
OBJECT_URLS = [
    pytest.param(page.name, page.args, id=page.case)
    for page in GET_PAGES
    if set(page.args) & set(OBJECT_ARGS)
] + [
    pytest.param(name, args, id=name)
    for name, (args, _kind) in POST_ONLY.items()
    if set(args) & set(OBJECT_ARGS)
]


@pytest.mark.parametrize(("name", "args"), OBJECT_URLS)
def test_a_made_up_participant_or_call_is_not_found(client_for, personas, record, name, args):
    made_up = {**record, **{arg: SimpleNamespace(pk=uuid.uuid4()) for arg in OBJECT_ARGS}}
    browser = client_for(personas["service_manager"])
    url = url_for(made_up, name, args)
    response = browser.post(url, NOTE) if name in POST_ONLY else browser.get(url)
    assert_status(response, 404)


def test_a_made_up_bank_holiday_is_not_found(client_for, personas, record):
    """Nothing is removed, so the administrator must not be told it was."""
    url = reverse("crisisline:bank_holiday_remove", args=[record["holiday"].pk + 1000])
    response = client_for(personas["administrator"]).post(url)
    assert_status(response, 404)
    assert BankHoliday.objects.filter(pk=record["holiday"].pk).exists()


def test_a_made_up_closure_day_is_not_found(client_for, personas, record):
    url = reverse("crisisline:closure_day_remove", args=[record["closure_day"].pk + 1000])
    response = client_for(personas["service_manager"]).post(url)
    assert_status(response, 404)
    assert ServiceClosureDay.objects.filter(pk=record["closure_day"].pk).exists()


@pytest.fixture
def other_services_call(personas, other_service, man_of_another_service):
    return services.log_call(
        call=_call(
            other_service,
            man_of_another_service,
            hours_ago=2,
            caller_type=CallerType.PARTICIPANT,
            presenting_issue="Cannot sleep, hearing voices",
            urgency=Urgency.URGENT,
            follow_up_required=True,
        ),
        actor=personas["outsider"],
    )


@pytest.mark.parametrize("persona", ["crisis_worker", "keyworker", "service_manager"])
@pytest.mark.parametrize("name", ["call_detail", "call_link", "call_acknowledge"])
def test_a_call_of_another_service_is_not_found(
    client_for, personas, record, other_services_call, persona, name
):
    browser = client_for(personas[persona])
    url = reverse(f"crisisline:{name}", args=[other_services_call.pk])
    if name == "call_detail":
        response = browser.get(url)
    else:
        response = browser.post(url, {**NOTE, "participant": record["participant"].pk})
    # The crisis worker may never acknowledge: her role is refused before the call is looked up.
    refused_role = name == "call_acknowledge" and persona == "crisis_worker"
    assert response.status_code == (403 if refused_role else 404)
    assert "Doherty" not in response.content.decode()
    other_services_call.refresh_from_db()
    assert other_services_call.participant.family_name == "Doherty"
    assert other_services_call.awaiting_follow_up
