"""An exclusion applies to every risk page about him (issue 18, point 3).

Tom (a keyworker) and Karen (a second service manager) have been excluded from Jamal's
record by Joanne, the service manager. Every risk URL about Jamal, GET and POST, answers
"You are excluded from this record" (403, logged) and a POST changes nothing; his submitted
plan is never in Karen's "Plans waiting for your decision", and she may not approve it by any
route. Daniel, an offender manager of the service not in Jamal's team, takes break-glass
access: one rule then lets him see the plan in his list and approve it on its page, until an
exclusion ends his access. Priya, a colleague who is not excluded, still opens every page.

The world is built once for the module; each case runs in its own savepoint.
"""

from typing import NamedTuple

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import get_resolver, reverse

from participants import services as participant_services
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog
from riskplans import services
from riskplans.models import (
    Formulation,
    FormulationStatus,
    PlanStatus,
    RiskAssessment,
    RiskManagementPlan,
)
from tests.factories import (
    ServiceFactory,
    accepted_participant,
    allocate_team,
    days_ago,
    staff_member,
)

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}
IN_HIS_PLAN = "Ring the on-call manager JAMAL-PLAN-31c9"
PANEL_ROW = "Jamal Okoro: risk management plan version 1"


class World(NamedTuple):
    people: dict
    jamal: object
    plan: RiskManagementPlan  # submitted by his keyworker, waiting for a decision
    formulation: Formulation  # a draft
    assessment: RiskAssessment


def build_world() -> World:
    service = ServiceFactory(name="Resettle Merseyside")
    people = {
        "offender_manager": staff_member(Role.OFFENDER_MANAGER, service, full_name="Sarah Okafor"),
        "keyworker": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Aisha Rahman"),
        "psychologist": staff_member(Role.PSYCHOLOGIST, service, full_name="Helen Marsh"),
        "service_manager": staff_member(Role.SERVICE_MANAGER, service, full_name="Joanne Kirkby"),
        "excluded_keyworker": staff_member(
            Role.HEALTH_KEYWORKER, service, full_name="Tom Gallagher"
        ),
        "excluded_manager": staff_member(Role.SERVICE_MANAGER, service, full_name="Karen Dodds"),
        "colleague": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Priya Shah"),
        "break_glass_om": staff_member(Role.OFFENDER_MANAGER, service, full_name="Daniel Price"),
    }
    manager, keyworker = people["service_manager"], people["keyworker"]
    jamal = accepted_participant(
        service=service, manager=manager, given_name="Jamal", family_name="Okoro"
    )
    allocate_team(
        jamal,
        manager=manager,
        om=people["offender_manager"],
        keyworker=keyworker,
        psychologist=people["psychologist"],
    )
    assessment = services.record_assessment(
        participant=jamal,
        actor=keyworker,
        assessment=RiskAssessment(
            assessed_on=days_ago(10),
            rosh_public="high",
            rosh_known_adult="medium",
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
    plan = services.start_plan(participant=jamal, actor=keyworker)
    plan = services.save_plan(
        plan=plan,
        actor=keyworker,
        expected_version=plan.lock_version,
        changes={"actions": [ACTION], "contingency_plan": IN_HIS_PLAN},
    )
    plan = services.submit_plan(plan=plan, actor=keyworker)
    formulation = services.start_formulation(participant=jamal, actor=people["psychologist"])
    for who in ("excluded_keyworker", "excluded_manager"):
        participant_services.exclude_staff(
            participant=jamal, staff=people[who], reason="Knows his family", actor=manager
        )
    return World(people, jamal, plan, formulation, assessment)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def state(world) -> dict:
    """Everything a write about Jamal's risk records could change."""
    return {
        "plans": sorted(
            RiskManagementPlan.objects.values_list("pk", "status", "lock_version", "decided_by")
        ),
        "formulations": sorted(
            Formulation.objects.values_list("pk", "status", "lock_version", "agreed_by")
        ),
        "assessments": RiskAssessment.objects.count(),
        "contributors": sorted(
            RiskManagementPlan.contributors.through.objects.values_list("user_id", flat=True)
        ),
    }


# --- Every URL of riskplans/urls.py ------------------------------------------------------


class Case(NamedTuple):
    name: str
    args: tuple  # attributes of the world, or literal strings after "="
    post: dict
    post_only: bool = False


EDITED_PLAN = {
    "lock_version": 3,
    "contingency_plan": "Changed by someone excluded",
    "expected_days_per_week": 2,
    "actions-TOTAL_FORMS": 0,
    "actions-INITIAL_FORMS": 0,
    "submit": "1",
}
CASES = (
    Case("overview", ("jamal",), {}),
    Case("assessment_add", ("jamal",), {"rosh_public": "low", "risk_factors": "x"}),
    Case("plan_start", ("jamal",), {}),
    Case("plan_detail", ("jamal", "plan"), {}),
    Case("plan_edit", ("jamal", "plan"), EDITED_PLAN),
    Case("plan_submit", ("jamal", "plan"), {}, post_only=True),
    Case("plan_decide", ("jamal", "plan"), {"decision": "approve"}),
    Case("formulation_start", ("jamal",), {}),
    Case("formulation_detail", ("jamal", "formulation"), {}),
    Case("formulation_edit", ("jamal", "formulation"), {"lock_version": 1, "exits": "x"}),
    Case("formulation_agree", ("jamal", "formulation"), {}, post_only=True),
    Case("history", ("jamal", "=plan"), {}),
    Case("history", ("jamal", "=formulation"), {}),
    Case("history", ("jamal", "=assessment"), {}),
)
EXCLUDED = ("excluded_keyworker", "excluded_manager")


def url(world, case: Case) -> str:
    args = [a[1:] if a.startswith("=") else getattr(world, a).pk for a in case.args]
    return reverse(f"riskplans:{case.name}", args=args)


def test_every_url_of_the_app_has_a_case():
    resolver = get_resolver()
    names = {
        name.split(":", 1)[1]
        for name in _names(resolver.url_patterns)
        if name.startswith("riskplans:")
    }
    assert names == {case.name for case in CASES}


def _names(patterns, namespace=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _names(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.mark.parametrize("who", EXCLUDED)
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join([c.name, *c.args[1:]]))
def test_an_excluded_person_is_refused_every_page_and_changes_nothing(db, world, client, who, case):
    client.force_login(world.people[who])
    target = url(world, case)
    before = state(world)
    refused = AccessLog.objects.filter(user=world.people[who], allowed=False).count()

    get = client.get(target)
    if case.post_only:
        assert get.status_code == 405  # nothing about him is read
    else:
        assert get.status_code == 403
        assert "You are excluded from this record" in get.content.decode()
        assert IN_HIS_PLAN not in get.content.decode()

    post = client.post(target, case.post)
    assert post.status_code == 403
    assert "You are excluded from this record" in post.content.decode()
    assert state(world) == before
    logged = AccessLog.objects.filter(
        user=world.people[who], participant_id=world.jamal.pk, allowed=False
    ).count()
    assert logged >= refused + (1 if case.post_only else 2)


@pytest.mark.parametrize("case", [c for c in CASES if not c.post_only], ids=lambda c: c.name)
def test_a_colleague_who_is_not_excluded_still_opens_them(db, world, client, case):
    client.force_login(world.people["colleague"])
    writes = ("assessment_add", "plan_start", "plan_edit", "formulation_start", "formulation_edit")
    expected = 403 if case.name in writes else 200
    expected = 403 if case.name == "plan_decide" else expected
    response = client.get(url(world, case))
    assert response.status_code == expected
    assert "You are excluded" not in response.content.decode()


# --- Plans waiting for a decision --------------------------------------------------------


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("core:home")).content.decode()


def test_an_excluded_manager_never_sees_his_plan_waiting_nor_decides_on_it(db, world, client):
    karen = world.people["excluded_manager"]
    assert PANEL_ROW not in home(client, karen)
    assert PANEL_ROW in home(client, world.people["service_manager"])
    with pytest.raises(PermissionDenied, match="excluded"):
        services.approve_plan(plan=world.plan, actor=karen)
    with pytest.raises(PermissionDenied, match="excluded"):
        services.return_plan(plan=world.plan, actor=karen, comment="No")
    world.plan.refresh_from_db()
    assert world.plan.status == PlanStatus.SUBMITTED


def test_break_glass_gives_the_offender_manager_the_list_and_the_decision(db, world, client):
    daniel = world.people["break_glass_om"]
    assert PANEL_ROW not in home(client, daniel)  # not in his team
    participant_services.grant_temporary_access(
        participant=world.jamal, actor=daniel, reason="Covering Sarah's caseload today"
    )
    assert PANEL_ROW in home(client, daniel)
    detail = reverse("riskplans:plan_detail", args=[world.jamal.pk, world.plan.pk])
    assert "Your decision" in client.get(detail).content.decode()
    response = client.post(
        reverse("riskplans:plan_decide", args=[world.jamal.pk, world.plan.pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 302
    plan = RiskManagementPlan.objects.get(pk=world.plan.pk)
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == daniel


def test_an_exclusion_ends_break_glass_and_the_plan_leaves_his_list(db, world, client):
    daniel = world.people["break_glass_om"]
    participant_services.grant_temporary_access(
        participant=world.jamal, actor=daniel, reason="Covering Sarah's caseload today"
    )
    participant_services.exclude_staff(
        participant=world.jamal,
        staff=daniel,
        reason="Lives on his street",
        actor=world.people["service_manager"],
    )
    assert PANEL_ROW not in home(client, daniel)
    response = client.post(
        reverse("riskplans:plan_decide", args=[world.jamal.pk, world.plan.pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 403
    assert "You are excluded from this record" in response.content.decode()
    assert RiskManagementPlan.objects.get(pk=world.plan.pk).status == PlanStatus.SUBMITTED
    assert Formulation.objects.get(pk=world.formulation.pk).status == FormulationStatus.DRAFT
