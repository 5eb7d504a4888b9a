"""Query budgets: the crisis line costs the same number of queries however much is recorded.

A crisis-line worker finds a caller while he is on the phone, so the search and the crisis
summary must stay cheap and fast as a service grows. Each test measures a page with 10
participants in the database (for the handover: 5 calls), grows the data to 1,000
participants (200 calls), measures again, and asserts that the two counts are equal and
within an absolute budget. A query per row would show up as a difference. The search is
also timed at 1,000 participants.
"""

import datetime
import re
import statistics
import time
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crisisline import selectors
from crisisline import services as crisis_services
from crisisline.handover import handover_window
from crisisline.models import CallerType, CrisisCall, Urgency
from participants import services as participant_services
from participants.models import Contact, Licence, LicenceCondition, Participant
from riskplans import services as plan_services
from riskplans.models import PlanStatus, RiskAssessment
from tests.factories import ParticipantFactory, days_ago
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, other_service, personas, participant = from_world(
    "service", "other_service", "personas", "participant"
)

SMALL = 10
LARGE = 1000
SMALL_CALLS = 5
LARGE_CALLS = 200
# The crisis line answers while the caller waits: a search must feel instant.
SEARCH_SECONDS = 0.5

# Absolute budgets: the highest count measured for the page (any persona) plus a margin of 2.
# Measured, the same at both sizes for every persona and every kind of search: search page 8,
# its htmx fragment 7, crisis summary 13, handover 8. Each includes 3 for session, user and
# memberships and 3 for saving the session (SESSION_SAVE_EVERY_REQUEST: savepoint, update,
# release). The search itself is one query (name, identifiers and phone numbers, contacts' in
# an EXISTS) and the page adds one for its recent calls; the summary reads the participant,
# his latest assessment, the approved plan, his team, licence conditions, contacts and last
# calls (one each); the handover reads the bank holidays and the calls (one each).
BUDGETS = {
    "search": 10,
    "search_htmx": 9,
    "summary": 15,
    "handover": 10,
}

JAMAL_PHONE = "07700 900123"


def shape(sql: str) -> str:
    """The query without its literal values, to compare two runs."""
    return re.sub(r"'[^']*'(::\w+)?|\b\d+\b", "?", sql)


def queries_for(client, url: str, **headers) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


def assert_same_cost(client, url: str, grow, budget: int, django_assert_max_num_queries, **headers):
    client.get(url, **headers)  # warm-up: per-process caches (content types, session)
    small, small_sql = queries_for(client, url, **headers)
    grow()
    with django_assert_max_num_queries(budget):
        large, large_sql = queries_for(client, url, **headers)
    extra = Counter(map(shape, large_sql)) - Counter(map(shape, small_sql))
    assert large == small, "Queries added by the data:\n" + "\n".join(extra.elements())
    return small, large


# --- The data -----------------------------------------------------------------------------


def add_participants(service, other_service, count: int) -> list[Participant]:
    """Other men, bulk-created (their history does not matter here), each with a contact.

    Every 10th is in the other service. One in 50 is called Okoro, half of them in each
    service, so a search for his name finds others too (at 1,000: eleven of his service, all
    shown beside him, and ten of the other service, never shown).
    """
    built = ParticipantFactory.build_batch(count, service=service)
    for n, man in enumerate(built):
        if n % 10 == 9:
            man.service = other_service
        if n % 100 in (0, 9):
            man.family_name = "Okoro"
        man.phone = f"07700 8{n:05d}"
    created = Participant.objects.bulk_create(built)
    Contact.objects.bulk_create(
        Contact(
            participant=man,
            name=f"{man.given_name}'s sister",
            relationship="Sister",
            phone=f"0161 555 {n:04d}",
            is_next_of_kin=True,
        )
        for n, man in enumerate(created)
    )
    return created


def fill_to(service, other_service, total: int) -> list[Participant]:
    missing = total - Participant.objects.count()
    assert missing >= 0
    created = add_participants(service, other_service, missing)
    assert Participant.objects.count() == total
    return created


def a_call(service, participant, *, started_at, **fields) -> CrisisCall:
    fields.setdefault("caller_type", CallerType.PARTICIPANT if participant else CallerType.UNKNOWN)
    fields.setdefault("presenting_issue", "Low, drinking again")
    fields.setdefault("urgency", Urgency.CONCERNING)
    return CrisisCall(service=service, participant=participant, started_at=started_at, **fields)


def his_record(participant, personas, service) -> None:
    """Everything the crisis summary shows: phone, contacts, licence conditions, an
    assessment, an approved plan and more calls than the summary lists."""
    manager, om, keyworker = (
        personas["service_manager"],
        personas["offender_manager"],
        personas["keyworker"],
    )
    participant_services.update_participant(
        participant=participant,
        actor=manager,
        expected_version=participant.version,
        changes={"phone": JAMAL_PHONE, "preferred_name": "Jay"},
    )
    for name, relationship, phone, kin in (
        ("Grace Okoro", "Mother", "0151 496 0555", True),
        ("Aminah Okoro", "Sister", "0151 496 0777", False),
        ("Dr Patel, Kensington surgery", "GP", "0151 496 0999", False),
    ):
        participant_services.save_contact(
            participant=participant,
            actor=manager,
            contact=Contact(name=name, relationship=relationship, phone=phone, is_next_of_kin=kin),
        )
    licence = participant_services.save_licence(
        participant=participant,
        actor=om,
        licence=Licence(starts_on=days_ago(60), ends_on=days_ago(-600)),
    )
    for category, text, ended in (
        ("exclusion_zone", "Not to enter Kensington, Liverpool", None),
        ("non_contact", "No contact with his former partner", None),
        ("curfew", "At his address 19:00 to 07:00", None),
        ("residence", "Live at the approved premises", days_ago(10)),
        ("drug_testing", "Attend for drug testing", None),
    ):
        participant_services.save_condition(
            licence=licence,
            actor=om,
            condition=LicenceCondition(
                category=category, text=text, starts_on=days_ago(60), ends_on=ended
            ),
        )
    plan_services.record_assessment(
        participant=participant,
        actor=om,
        assessment=RiskAssessment(
            assessed_on=days_ago(30),
            rosh_public="high",
            rosh_known_adult="very_high",
            rosh_children="low",
            rosh_staff="medium",
            rosh_prisoners="low",
            risk_to_self="medium",
            reoffending="high",
            mappa_category="2",
            mappa_level="1",
            risk_factors="Alcohol; conflict with his ex-partner",
            protective_factors="His daughter",
            warning_signs="Missing sessions; drinking again",
        ),
    )
    plan = plan_services.start_plan(participant=participant, actor=keyworker)
    plan = plan_services.save_plan(
        plan=plan,
        actor=keyworker,
        expected_version=plan.lock_version,
        changes={
            "actions": [
                {
                    "pillar": "supervision",
                    "action": "Weekly meeting",
                    "owner": "OM",
                    "due": "Weekly",
                }
            ],
            "contingency_plan": "Call his sister; if he has been drinking, the on-call manager",
        },
    )
    plan = plan_services.submit_plan(plan=plan, actor=keyworker)
    plan_services.approve_plan(plan=plan, actor=om)
    assert participant.risk_plans.filter(status=PlanStatus.APPROVED).count() == 1
    now = timezone.now()
    for n in range(8):
        call = crisis_services.log_call(
            call=a_call(
                service,
                participant,
                started_at=now - datetime.timedelta(days=n, hours=2),
                urgency=(Urgency.ROUTINE, Urgency.CONCERNING, Urgency.URGENT)[n % 3],
                follow_up_required=n % 2 == 0,
            ),
            actor=personas["crisis_worker"],
        )
        if n % 4 == 0:
            crisis_services.acknowledge_call(call=call, actor=keyworker, note="Seen him today")


# --- Search and summary -------------------------------------------------------------------

SEARCHES = {
    "name": "Okoro",
    "identifier": "a1234bc",
    "phone": "07700900123",
}
SEARCH_PERSONAS = ("crisis_worker", "keyworker")


def search_url(query: str) -> str:
    return f"{reverse('crisisline:search')}?{urlencode({'q': query})}"


def time_search(client, url: str, **headers) -> list[float]:
    """Three timed requests (after the measured one): the median is asserted."""
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        response = client.get(url, **headers)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("search", list(SEARCHES))
@pytest.mark.parametrize("persona", SEARCH_PERSONAS)
def test_search_costs_the_same_at_10_and_1000_participants(
    client_for,
    personas,
    participant,
    service,
    other_service,
    persona,
    search,
    htmx,
    django_assert_max_num_queries,
):
    his_record(participant, personas, service)
    fill_to(service, other_service, SMALL)
    client = client_for(personas[persona])
    url = search_url(SEARCHES[search])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    small_results = client.get(url, **headers).context["results"]
    assert participant in small_results

    small, large = assert_same_cost(
        client,
        url,
        lambda: fill_to(service, other_service, LARGE),
        BUDGETS["search_htmx" if htmx else "search"],
        django_assert_max_num_queries,
        **headers,
    )
    timings = time_search(client, url, **headers)
    results = client.get(url, **headers).context["results"]
    assert participant in results
    assert all(man.service_id == service.pk for man in results)
    if search == "name":
        okoros = Participant.objects.filter(family_name="Okoro")
        assert okoros.exclude(service=service).exists()  # never found from this service
        assert 1 < len(results) == okoros.filter(service=service).count() < selectors.SEARCH_LIMIT
    else:
        assert results == [participant]
    print(
        f"search {search}{' (htmx)' if htmx else ''} as {persona}: {small} queries at {SMALL}, "
        f"{large} at {LARGE}; {len(results)} results; "
        f"{', '.join(f'{t * 1000:.1f}' for t in timings)} ms at {LARGE}"
    )
    assert statistics.median(timings) < SEARCH_SECONDS


@pytest.mark.parametrize("persona", ("crisis_worker", "keyworker", "service_manager"))
def test_crisis_summary_costs_the_same_at_10_and_1000_participants(
    client_for,
    personas,
    participant,
    service,
    other_service,
    persona,
    django_assert_max_num_queries,
):
    his_record(participant, personas, service)
    fill_to(service, other_service, SMALL)
    client = client_for(personas[persona])
    url = reverse("crisisline:summary", args=[participant.pk])
    small, large = assert_same_cost(
        client,
        url,
        lambda: fill_to(service, other_service, LARGE),
        BUDGETS["summary"],
        django_assert_max_num_queries,
    )
    print(f"summary as {persona}: {small} queries at {SMALL}, {large} at {LARGE}")


def test_the_summary_renders_every_section(client_for, personas, participant, service):
    """So that its budget measures a full summary."""
    his_record(participant, personas, service)
    response = client_for(personas["crisis_worker"]).get(
        reverse("crisisline:summary", args=[participant.pk])
    )
    context = response.context
    assert context["plan"] is not None and context["assessment"] is not None
    assert context["offender_manager"] == personas["offender_manager"]
    assert context["keyworker"] == personas["keyworker"]
    assert len(context["contacts"]) == 3
    assert {c.category for c in context["conditions"]} == {
        "exclusion_zone",
        "non_contact",
        "curfew",
    }
    assert len(context["recent_calls"]) == 5
    assert "Call his sister" in response.content.decode()


# --- Handover -----------------------------------------------------------------------------


def add_calls(service, personas, others, participant, start: int, stop: int) -> None:
    """Calls number `start` to `stop - 1` of a night: about Jamal, about other men, from
    unknown callers; urgencies mixed; some followed up, some waiting, and some follow-ups from
    before the window still waiting."""
    now = timezone.now()
    window = handover_window(now, selectors.non_working_days(service.pk))
    span = min(window.ends, now) - window.starts
    keyworker = personas["keyworker"]
    for n in range(start, stop):
        about = (participant, None, others[n % len(others)], others[(n + 3) % len(others)])[n % 4]
        if n % 5 == 4:  # an earlier call still waiting for its follow-up
            started = window.starts - datetime.timedelta(days=1, minutes=n)
        else:
            started = window.starts + span * (n + 1) / (LARGE_CALLS + 2)
        call = crisis_services.log_call(
            call=a_call(
                service,
                about,
                started_at=started,
                urgency=(Urgency.ROUTINE, Urgency.CONCERNING, Urgency.URGENT)[n % 3],
                follow_up_required=n % 5 == 4 or n % 3 == 0,
                narrative="Talked it through; he agreed to call back in the morning.",
            ),
            actor=personas["crisis_worker"],
        )
        if n % 6 == 0 and n % 5 != 4:
            crisis_services.acknowledge_call(call=call, actor=keyworker, note="Rang him at 09:30")


@pytest.mark.parametrize("persona", ("keyworker", "service_manager"))
def test_handover_costs_the_same_at_5_and_200_calls(
    client_for,
    personas,
    participant,
    service,
    other_service,
    persona,
    django_assert_max_num_queries,
):
    others = [man for man in fill_to(service, other_service, 20) if man.service_id == service.pk]
    add_calls(service, personas, others, participant, 0, SMALL_CALLS)
    client = client_for(personas[persona])
    url = reverse("crisisline:handover")
    context = client.get(url).context
    assert sum(len(group["calls"]) for group in context["groups"]) == SMALL_CALLS

    small, large = assert_same_cost(
        client,
        url,
        lambda: add_calls(service, personas, others, participant, SMALL_CALLS, LARGE_CALLS),
        BUDGETS["handover"],
        django_assert_max_num_queries,
    )
    context = client.get(url).context
    assert sum(len(group["calls"]) for group in context["groups"]) == LARGE_CALLS
    assert any(group["participant"] is None for group in context["groups"])
    assert context["unacknowledged"] > 0
    print(
        f"handover as {persona}: {small} queries at {SMALL_CALLS} calls, {large} at {LARGE_CALLS}"
    )
