"""Two people saving, approving or changing around the same risk plan at the same moment."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from resettle.accounts.roles import Role
from riskplans import services
from riskplans.models import PlanStatus, RiskManagementPlan
from tests.concurrency import Gate, Race, signed_in
from tests.riskplans.test_plans import submitted_plan

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_flush")]

PLAN_FORM = {
    "expected_days_per_week": "4",
    "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
    "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "60",
    "actions-0-pillar": "supervision", "actions-0-action": "Weekly meeting",
    "actions-0-owner": "OM", "actions-0-due": "Weekly",
}  # fmt: skip


def test_two_saves_of_the_same_plan_at_once_one_wins_the_other_is_told(
    monkeypatch, personas, participant
):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    opened = plan.lock_version
    first_has_lock = Gate(monkeypatch, services, "_locked_plan", thread="first", after=True)

    def save(actor, text):
        return lambda: services.save_plan(
            plan=plan, actor=actor, expected_version=opened, changes={"contingency_plan": text}
        )

    with Race(
        first=save(personas["keyworker"], "Keyworker's words"),
        second=first_has_lock.then(save(personas["offender_manager"], "OM's words")),
    ) as saving:
        saving.wait_at(first_has_lock)
        saving.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert saving["first"].ok
    refused = saving["second"].error
    assert isinstance(refused, services.StaleEdit)
    assert refused.who == personas["keyworker"].full_name
    plan.refresh_from_db()
    assert plan.contingency_plan == "Keyworker's words"
    assert plan.lock_version == opened + 1


def test_two_people_saving_the_plan_in_the_browser_at_once(monkeypatch, personas, participant):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    url = reverse("riskplans:plan_edit", args=[participant.pk, plan.pk])
    opened = str(plan.lock_version)
    aisha, sarah = signed_in(personas["keyworker"]), signed_in(personas["offender_manager"])
    first_has_lock = Gate(monkeypatch, services, "_locked_plan", thread="first", after=True)

    def post(client, text):
        return lambda: client.post(
            url, {**PLAN_FORM, "lock_version": opened, "contingency_plan": text}
        )

    with Race(
        first=post(aisha, "Keyworker's words"),
        second=first_has_lock.then(post(sarah, "OM's words typed meanwhile")),
    ) as saving:
        saving.wait_at(first_has_lock)
        saving.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert saving["first"].value.status_code == 302
    refused = saving["second"].value
    body = refused.content.decode()
    assert refused.status_code == 200
    assert f"{personas['keyworker'].full_name} saved changes to this at" in body
    assert "after you opened it" in body
    assert "OM&#x27;s words typed meanwhile" in body  # what she typed is shown back
    plan.refresh_from_db()
    assert plan.contingency_plan == "Keyworker's words"


def test_two_approvals_of_the_same_plan_at_once_approve_it_once(monkeypatch, personas, participant):
    plan = submitted_plan(participant, personas["keyworker"])
    first_has_lock = Gate(monkeypatch, services, "_locked_plan", thread="first", after=True)

    with Race(
        first=lambda: services.approve_plan(plan=plan, actor=personas["offender_manager"]),
        second=first_has_lock.then(
            lambda: services.approve_plan(plan=plan, actor=personas["service_manager"])
        ),
    ) as approving:
        approving.wait_at(first_has_lock)
        approving.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert approving["first"].ok
    assert isinstance(approving["second"].error, ValidationError)
    assert "Only a submitted plan can be approved" in approving["second"].error.messages[0]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == personas["offender_manager"]
    assert plan.history.filter(status=PlanStatus.APPROVED).count() == 1


def test_approval_racing_a_change_of_address_neither_fails_and_the_review_comes_forward(
    monkeypatch, personas, participant
):
    """Approving v2 supersedes v1 while a change of address brings v1's review forward.

    Each used to hold one row the other needed (deadlock: one of them failed with an error),
    and a review brought forward on the plan being superseded was lost.
    """
    services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]), actor=personas["offender_manager"]
    )
    second = submitted_plan(participant, personas["keyworker"], "Updated contingency")
    participant.refresh_from_db()
    approving_now = Gate(monkeypatch, services, "sync_participant_summary", thread="approve")

    with Race(
        approve=lambda: services.approve_plan(plan=second, actor=personas["offender_manager"]),
        move=approving_now.then(
            lambda: participant_services.update_participant(
                participant=participant,
                actor=personas["keyworker"],
                expected_version=participant.version,
                changes={"current_accommodation": "Hostel, L8"},
            )
        ),
    ) as both:
        both.wait_at(approving_now)
        both.wait_until_blocked_or_done("move")
        approving_now.open()

    assert both.errors() == []
    second.refresh_from_db()
    assert second.status == PlanStatus.APPROVED
    assert second.review_due_on == timezone.localdate() + datetime.timedelta(
        days=services.SOONER_REVIEW_DAYS
    )
    assert second.review_reason == "Brought forward after change of address"
    assert (
        RiskManagementPlan.objects.filter(participant=participant, status=PlanStatus.APPROVED).get()
        == second
    )


def test_plan_save_by_the_outgoing_keyworker_after_reallocation_is_refused(
    monkeypatch, personas, participant
):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    url = reverse("riskplans:plan_edit", args=[participant.pk, plan.pk])
    aisha = signed_in(personas["keyworker"])
    checked_access = Gate(monkeypatch, services, "save_plan", thread="edit")
    form = {**PLAN_FORM, "lock_version": str(plan.lock_version), "contingency_plan": "Late words"}

    with Race(edit=lambda: aisha.post(url, form)) as editing:
        editing.wait_at(checked_access)
        participant_services.allocate(
            participant=participant, role=Role.HEALTH_KEYWORKER, staff=personas["colleague"],
            actor=personas["service_manager"], started_on=timezone.localdate(),
        )  # fmt: skip
        checked_access.open()

    response = editing["edit"].value
    assert response.status_code == 200
    assert "You can no longer change Jamal Okoro&#x27;s record" in response.content.decode()
    plan.refresh_from_db()
    assert plan.contingency_plan == ""


def test_approval_by_an_offender_manager_reallocated_meanwhile_is_refused(
    monkeypatch, personas, participant, service
):
    from tests.factories import staff_member

    plan = submitted_plan(participant, personas["keyworker"])
    new_om = staff_member(Role.OFFENDER_MANAGER, service, full_name="Dev Patel")
    checked_access = Gate(monkeypatch, services, "approve_plan", thread="approve")

    with Race(
        approve=lambda: services.approve_plan(plan=plan, actor=personas["offender_manager"])
    ) as approving:
        approving.wait_at(checked_access)
        participant_services.allocate(
            participant=participant, role=Role.OFFENDER_MANAGER, staff=new_om,
            actor=personas["service_manager"], started_on=timezone.localdate(),
        )  # fmt: skip
        checked_access.open()

    assert isinstance(approving["approve"].error, PermissionDenied)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
