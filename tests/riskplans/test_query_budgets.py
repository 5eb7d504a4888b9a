"""Query budgets: the risk pages cost the same number of queries however many plan versions.

The module's world (built once) has two men with the same team: Jamal with 2 plan versions
and Dean with 50, each version written by his keyworker and approved by his offender manager
through the services, each approval superseding the version before. Each test measures a
page for Jamal and for Dean and asserts that the two counts are equal and within an absolute
budget. A query per version (or per saved history row) would show up as a difference.
"""

import re
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskplans import services
from riskplans.models import PlanStatus, RiskAssessment, RiskManagementPlan
from tests.factories import days_ago
from tests.world import from_world, make_participant

pytestmark = pytest.mark.django_db

SMALL = 2
LARGE = 50

# Absolute budgets: the highest count measured for the page (any persona) plus a margin of 2.
# Measured, the same at 2 and at 50 versions and for every persona: plan detail 9, overview
# 11, history 10, history with a comparison 11. Each includes 3 for session, user and
# memberships, 3 for saving the session (SESSION_SAVE_EVERY_REQUEST: savepoint, update,
# release), 1 for the participant (whether he is allocated to the user rides on it) and 1 for
# the access log, then the page's own reads: the history lists a page of versions (a count and
# the page), and a comparison reads the two versions compared in full.
BUDGETS = {
    "plan_detail": 11,
    "overview": 13,
    "history": 12,
    "history_compared": 13,
}

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}


def shape(sql: str) -> str:
    """The query without its literal values, to compare two runs."""
    return re.sub(r"'[^']*'(::\w+)?|\b\d+\b", "?", sql)


def queries_for(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


def approve_next_version(participant, personas) -> RiskManagementPlan:
    """One more version: the keyworker writes and submits it, the offender manager approves."""
    keyworker = personas["keyworker"]
    plan = services.start_plan(participant=participant, actor=keyworker)
    number = plan.number
    plan = services.save_plan(
        plan=plan,
        actor=keyworker,
        expected_version=plan.lock_version,
        changes={
            "actions": [*plan.actions, {**ACTION, "action": f"Action added in version {number}"}],
            "contingency_plan": f"Contingency plan, version {number}",
            "expected_days_per_week": 4 - number % 2,
        },
    )
    plan = services.submit_plan(plan=plan, actor=keyworker)
    return services.approve_plan(plan=plan, actor=personas["offender_manager"])


def grow_plan_to(participant, personas, total: int) -> None:
    while participant.risk_plans.count() < total:
        approve_next_version(participant, personas)
    assert participant.risk_plans.count() == total
    assert participant.risk_plans.filter(status=PlanStatus.APPROVED).count() == 1
    assert participant.risk_plans.filter(status=PlanStatus.SUPERSEDED).count() == total - 1


def his_record(participant, personas) -> None:
    """An assessment and an agreed formulation, so every section of the overview renders."""
    services.record_assessment(
        participant=participant,
        actor=personas["offender_manager"],
        assessment=RiskAssessment(
            assessed_on=days_ago(30),
            rosh_public="high",
            rosh_known_adult="very_high",
            rosh_children="low",
            rosh_staff="medium",
            rosh_prisoners="low",
            risk_to_self="medium",
            reoffending="high",
            risk_factors="Alcohol",
            protective_factors="His daughter",
            warning_signs="Missing sessions",
        ),
    )
    formulation = services.start_formulation(
        participant=participant, actor=personas["psychologist"]
    )
    services.make_formulation_current(formulation=formulation, actor=personas["psychologist"])


def approved_plan_url(participant) -> str:
    approved = participant.risk_plans.get(status=PlanStatus.APPROVED)
    return reverse("riskplans:plan_detail", args=[participant.pk, approved.pk])


def overview_url(participant) -> str:
    return reverse("riskplans:overview", args=[participant.pk])


def history_url(participant) -> str:
    return reverse("riskplans:history", args=[participant.pk, "plan"])


def compared_history_url(participant) -> str:
    """The first version ever saved against the approval of the version in force."""
    saved = RiskManagementPlan.history.filter(participant_id=participant.pk)
    first = saved.order_by("history_date").first()
    last = saved.order_by("-history_date").first()
    return f"{history_url(participant)}?a={first.history_id}&b={last.history_id}"


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """Jamal (the world's man) with 2 plan versions; Dean, with the same team, with 50."""
    with django_db_blocker.unblock():
        personas = world["personas"]
        jamal = world["participant"]
        dean = make_participant(personas, world["service"], prison_number="B5678CD")
        for man, versions in ((jamal, SMALL), (dean, LARGE)):
            his_record(man, personas)
            grow_plan_to(man, personas, versions)
    return {**world, "large": dean}


personas, participant, large = from_world("personas", "participant", "large")


PAGE_URLS: dict[str, Callable] = {
    "plan_detail": approved_plan_url,
    "overview": overview_url,
    "history": history_url,
    "history_compared": compared_history_url,
}

PAGES = [
    pytest.param(page, persona, id=f"{page}-{persona}")
    for page in PAGE_URLS
    for persona in ("service_manager", "offender_manager", "colleague")
]


@pytest.mark.parametrize(("page", "persona"), PAGES)
def test_risk_page_costs_the_same_at_2_and_50_plan_versions(
    client_for, personas, participant, large, page, persona, django_assert_max_num_queries
):
    client = client_for(personas[persona])
    url_of = PAGE_URLS[page]

    client.get(url_of(participant))  # warm-up: per-process caches are not data
    small, small_sql = queries_for(client, url_of(participant))

    url = url_of(large)
    with django_assert_max_num_queries(BUDGETS[page]):
        large_count, large_sql = queries_for(client, url)

    extra = Counter(map(shape, large_sql)) - Counter(map(shape, small_sql))
    assert large_count == small, "Queries added by the versions:\n" + "\n".join(extra.elements())
    print(f"{page} as {persona}: {small} queries at {SMALL} versions, {large_count} at {LARGE}")


def test_the_comparison_is_of_the_first_and_latest_saved_versions(
    client_for, personas, participant
):
    """The compared history page really renders a comparison (so its budget measures one)."""
    response = client_for(personas["colleague"]).get(compared_history_url(participant))
    comparison = response.context["comparison"]
    assert comparison is not None
    assert comparison["left"].number == 1
    assert comparison["left"].status == PlanStatus.DRAFT
    assert comparison["right"].number == SMALL
    assert comparison["right"].status == PlanStatus.APPROVED
    # One row a version (its latest saved state), not one a save.
    assert len(response.context["versions"]) == participant.risk_plans.count() == SMALL
    assert RiskManagementPlan.history.filter(participant_id=participant.pk).count() > SMALL
