"""Four eyes by content: no one approves or returns a plan version they wrote any of.

Everyone who saved content of a version (started it, or saved a change to its actions,
contingency plan or expected days) is one of its authors; approving, returning and
submitting change only its status.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from riskplans import services
from riskplans.models import PlanStatus, RiskManagementPlan

pytestmark = pytest.mark.django_db

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}
REWRITTEN = {
    "actions": [
        {"pillar": "monitoring", "action": "Curfew checks", "owner": "OM", "due": "Nightly"}
    ],
    "contingency_plan": "Rewritten by the offender manager",
    "expected_days_per_week": 2,
}


def save(plan, actor, **changes):
    return services.save_plan(
        plan=plan, actor=actor, expected_version=plan.lock_version, changes=changes
    )


def submitted_by(participant, author):
    plan = services.start_plan(participant=participant, actor=author)
    plan = save(plan, author, actions=[ACTION], contingency_plan="Call the on-call manager")
    return services.submit_plan(plan=plan, actor=author)


def walked_round(participant, personas):
    """The walk-round of issue 18: the keyworker starts and submits; the offender manager
    returns it, rewrites every field and submits it again."""
    om = personas["offender_manager"]
    plan = submitted_by(participant, personas["keyworker"])
    plan = services.return_plan(plan=plan, actor=om, comment="I will redo it")
    plan = save(plan, om, **REWRITTEN)
    return services.submit_plan(plan=plan, actor=om)


def decide_url(plan):
    return reverse("riskplans:plan_decide", args=[plan.participant_id, plan.pk])


def detail_url(plan):
    return reverse("riskplans:plan_detail", args=[plan.participant_id, plan.pk])


def test_the_walk_round_is_refused_with_a_clear_message(participant, personas, client_for):
    plan = walked_round(participant, personas)
    om = personas["offender_manager"]

    with pytest.raises(PermissionDenied, match="You wrote or changed this version"):
        services.approve_plan(plan=plan, actor=om)

    response = client_for(om).post(decide_url(plan), {"decision": "approve"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot approve or return this version" in page
    assert "You wrote or changed this version, so someone else must approve or return it" in page
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.decided_by == om  # still only the return he made before rewriting it

    # Someone who wrote none of it decides.
    services.approve_plan(plan=plan, actor=personas["service_manager"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_a_contributor_cannot_return_the_version_either(participant, personas, client_for):
    plan = walked_round(participant, personas)
    om = personas["offender_manager"]
    with pytest.raises(PermissionDenied, match="You wrote or changed this version"):
        services.return_plan(plan=plan, actor=om, comment="Not good enough")
    response = client_for(om).post(
        decide_url(plan), {"decision": "return", "comment": "Not good enough"}
    )
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_a_manager_who_changed_the_draft_cannot_decide_on_it(participant, personas):
    manager = personas["service_manager"]
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    plan = save(plan, personas["keyworker"], actions=[ACTION], contingency_plan="First words")
    plan = save(plan, manager, contingency_plan="The manager's words")
    plan = services.submit_plan(plan=plan, actor=personas["keyworker"])
    for decide in (
        lambda: services.approve_plan(plan=plan, actor=manager),
        lambda: services.return_plan(plan=plan, actor=manager, comment="Redo"),
    ):
        with pytest.raises(PermissionDenied, match="You wrote or changed this version"):
            decide()
    # The offender manager wrote none of it, so he may.
    services.approve_plan(plan=plan, actor=personas["offender_manager"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_an_offender_manager_who_wrote_none_of_it_decides(participant, personas, client_for):
    plan = submitted_by(participant, personas["keyworker"])
    om = personas["offender_manager"]
    page = client_for(om).get(detail_url(plan)).content.decode()
    assert "Your decision" in page
    response = client_for(om).post(decide_url(plan), {"decision": "approve"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == om


def test_returning_a_version_does_not_make_you_its_author(participant, personas):
    om = personas["offender_manager"]
    plan = submitted_by(participant, personas["keyworker"])
    plan = services.return_plan(plan=plan, actor=om, comment="Add victim work")
    plan = save(plan, personas["keyworker"], contingency_plan="With victim work")
    plan = services.submit_plan(plan=plan, actor=personas["keyworker"])
    assert set(plan.contributors.all()) == {personas["keyworker"]}
    services.approve_plan(plan=plan, actor=om)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_saving_without_changing_what_it_says_does_not_make_you_an_author(participant, personas):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    plan = save(plan, personas["keyworker"], actions=[ACTION], contingency_plan="Words")
    plan = save(plan, personas["offender_manager"], actions=[ACTION], contingency_plan="Words")
    assert set(plan.contributors.all()) == {personas["keyworker"]}


def test_the_plan_page_lists_everyone_who_wrote_it(participant, personas, client_for):
    plan = walked_round(participant, personas)
    page = client_for(personas["colleague"]).get(detail_url(plan)).content.decode()
    assert "Written by Aisha Rahman and Sarah Okafor" in page
    own = client_for(personas["offender_manager"]).get(detail_url(plan)).content.decode()
    assert "You wrote or changed this version" in own
    assert "Your decision" not in own


def test_a_version_you_wrote_is_not_waiting_for_your_decision(participant, personas, client_for):
    walked_round(participant, personas)
    home = reverse("core:home")
    om_home = client_for(personas["offender_manager"]).get(home).content.decode()
    assert "Jamal Okoro: risk management plan version 1" not in om_home
    manager_home = client_for(personas["service_manager"]).get(home).content.decode()
    assert "Jamal Okoro: risk management plan version 1" in manager_home


# --- The migration that fills contributors for existing plans -------------------------------

migration = importlib.import_module("riskplans.migrations.0004_contributors_and_agreement")


def row(user, contingency="A", actions=(), days=4):
    return {
        "history_user_id": user,
        "actions": list(actions),
        "contingency_plan": contingency,
        "expected_days_per_week": days,
    }


def test_the_fill_counts_the_author_and_every_save_that_changed_the_content():
    rows = [
        row("kw"),  # started
        row("kw", "B"),  # wrote
        row("om", "B"),  # submitted / returned: status only
        row("om", "C", days=2),  # rewrote
        row("sm", "C", days=2),  # approved
        row(None, "D"),  # a change with no known user (a script) adds no one
    ]
    assert migration.contributors_from_history("kw", rows) == {"kw", "om"}
    assert migration.contributors_from_history("author", []) == {"author"}


def test_the_fill_reads_existing_plans_history(participant, personas):
    plan = walked_round(participant, personas)
    plan.contributors.clear()  # as a plan saved before the column existed
    migration.fill_contributors(django_apps, None)
    plan = RiskManagementPlan.objects.get(pk=plan.pk)
    assert set(plan.contributors.all()) == {personas["keyworker"], personas["offender_manager"]}
