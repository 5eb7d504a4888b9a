import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from participants.models import StageChange
from riskplans import services
from riskplans.models import PlanStatus, RiskAssessment
from tests.factories import ParticipantFactory, days_ago
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, personas, participant = from_world("service", "personas", "participant")

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}


def submitted_plan(participant, author, contingency="Call the on-call manager"):
    plan = services.start_plan(participant=participant, actor=author)
    plan = services.save_plan(
        plan=plan, actor=author, expected_version=plan.lock_version,
        changes={"actions": [ACTION], "contingency_plan": contingency},
    )  # fmt: skip
    return services.submit_plan(plan=plan, actor=author)


def test_approval_by_the_allocated_offender_manager(participant, personas):
    plan = submitted_plan(participant, personas["keyworker"])
    approved = services.approve_plan(plan=plan, actor=personas["offender_manager"])
    assert approved.status == PlanStatus.APPROVED
    assert approved.review_due_on == services.add_months(timezone.localdate(), 3)
    participant.refresh_from_db()
    assert participant.plan_review_due_on == approved.review_due_on


def test_author_cannot_approve_own_plan(participant, personas):
    plan = submitted_plan(participant, personas["offender_manager"])
    with pytest.raises(PermissionDenied, match="someone else must approve"):
        services.approve_plan(plan=plan, actor=personas["offender_manager"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("persona", ["keyworker", "psychologist", "colleague", "outsider_manager"])
def test_wrong_role_cannot_approve(participant, personas, persona):
    plan = submitted_plan(participant, personas["offender_manager"])
    with pytest.raises(PermissionDenied):
        services.approve_plan(plan=plan, actor=personas[persona])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_an_unallocated_offender_manager_cannot_approve(participant, personas, service):
    from resettle.accounts.roles import Role
    from tests.factories import staff_member

    other_om = staff_member(Role.OFFENDER_MANAGER, service, full_name="Daniel Price")
    plan = submitted_plan(participant, personas["keyworker"])
    with pytest.raises(PermissionDenied):
        services.approve_plan(plan=plan, actor=other_om)


def test_service_manager_may_approve(participant, personas):
    plan = submitted_plan(participant, personas["keyworker"])
    services.approve_plan(plan=plan, actor=personas["service_manager"])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED


def test_plan_of_another_service_is_not_found(client_for, personas, participant):
    plan = submitted_plan(participant, personas["keyworker"])
    url = reverse("riskplans:plan_decide", args=[participant.pk, plan.pk])
    assert client_for(personas["outsider_manager"]).get(url).status_code == 404


def test_approving_the_next_version_supersedes_the_last(participant, personas):
    first = services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]), actor=personas["offender_manager"]
    )
    second = services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"], "Updated contingency"),
        actor=personas["offender_manager"],
    )
    first.refresh_from_db()
    assert first.status == PlanStatus.SUPERSEDED
    assert second.status == PlanStatus.APPROVED
    assert second.number == 2
    assert second.actions == [ACTION]  # carried over from the version in force


def test_returned_plan_needs_a_comment_then_can_be_revised_and_resubmitted(participant, personas):
    plan = submitted_plan(participant, personas["keyworker"])
    with pytest.raises(ValidationError, match="Say what needs to change"):
        services.return_plan(plan=plan, actor=personas["offender_manager"], comment=" ")
    plan = services.return_plan(
        plan=plan, actor=personas["offender_manager"], comment="Add victim work"
    )
    assert plan.status == PlanStatus.RETURNED
    plan = services.save_plan(
        plan=plan, actor=personas["keyworker"], expected_version=plan.lock_version,
        changes={"contingency_plan": "Revised"},
    )  # fmt: skip
    plan = services.submit_plan(plan=plan, actor=personas["keyworker"])
    assert plan.status == PlanStatus.SUBMITTED
    assert plan.return_comment == ""


def test_an_incomplete_plan_cannot_be_submitted(participant, personas):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    with pytest.raises(ValidationError, match="at least one action and the contingency plan"):
        services.submit_plan(plan=plan, actor=personas["keyworker"])


def test_only_one_version_in_progress_at_a_time(participant, personas):
    services.start_plan(participant=participant, actor=personas["keyworker"])
    with pytest.raises(ValidationError, match="already draft"):
        services.start_plan(participant=participant, actor=personas["offender_manager"])


def test_second_save_of_the_same_version_is_refused_naming_who_saved(participant, personas):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    opened_version = plan.lock_version
    services.save_plan(
        plan=plan, actor=personas["keyworker"], expected_version=opened_version,
        changes={"contingency_plan": "First"},
    )  # fmt: skip
    with pytest.raises(services.StaleEdit) as refused:
        services.save_plan(
            plan=plan, actor=personas["offender_manager"], expected_version=opened_version,
            changes={"contingency_plan": "Second"},
        )  # fmt: skip
    assert refused.value.who == personas["keyworker"].full_name
    plan.refresh_from_db()
    assert plan.contingency_plan == "First"


def test_lost_update_in_the_browser_form_shows_what_was_typed(client_for, personas, participant):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    url = reverse("riskplans:plan_edit", args=[participant.pk, plan.pk])
    base = {
        "expected_days_per_week": "4",
        "actions-TOTAL_FORMS": "1", "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "60",
        "actions-0-pillar": "supervision", "actions-0-action": "Weekly meeting",
        "actions-0-owner": "OM", "actions-0-due": "Weekly",
    }  # fmt: skip
    opened = str(plan.lock_version)
    client_for(personas["keyworker"]).post(
        url, {**base, "lock_version": opened, "contingency_plan": "Keyworker's words"}
    )
    response = client_for(personas["offender_manager"]).post(
        url, {**base, "lock_version": opened, "contingency_plan": "OM's words typed meanwhile"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"{personas['keyworker'].full_name} saved changes" in body
    assert "OM&#x27;s words typed meanwhile" in body
    assert reverse("riskplans:plan_detail", args=[participant.pk, plan.pk]) in body
    plan.refresh_from_db()
    assert plan.contingency_plan == "Keyworker's words"


def test_history_records_the_acting_user(participant, personas):
    plan = submitted_plan(participant, personas["keyworker"])
    services.approve_plan(plan=plan, actor=personas["offender_manager"])
    authors = list(
        plan.history.order_by("history_date").values_list("history_user__full_name", flat=True)
    )
    assert authors[0] == personas["keyworker"].full_name
    assert authors[-1] == personas["offender_manager"].full_name


def test_recall_brings_the_review_forward(participant, personas):
    services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]), actor=personas["offender_manager"]
    )
    participant_services.change_stage(
        participant=participant, actor=personas["offender_manager"],
        kind=StageChange.Kind.RELEASED, effective_on=days_ago(20),
    )  # fmt: skip
    participant_services.change_stage(
        participant=participant, actor=personas["offender_manager"],
        kind=StageChange.Kind.RECALLED, effective_on=days_ago(1), recall_type="standard",
        reason="Arrested",
    )  # fmt: skip
    plan = participant.risk_plans.get(status=PlanStatus.APPROVED)
    assert plan.review_due_on == timezone.localdate() + datetime.timedelta(days=14)
    assert plan.review_reason == "Brought forward after recall"
    participant.refresh_from_db()
    assert participant.plan_review_due_on == plan.review_due_on


def test_change_of_address_brings_the_review_forward(participant, personas):
    services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]), actor=personas["offender_manager"]
    )
    participant.refresh_from_db()
    participant_services.update_participant(
        participant=participant, actor=personas["keyworker"],
        expected_version=participant.version, changes={"current_accommodation": "Hostel, L8"},
    )  # fmt: skip
    plan = participant.risk_plans.get(status=PlanStatus.APPROVED)
    assert plan.review_reason == "Brought forward after change of address"


def test_a_review_already_sooner_is_left_alone(participant, personas):
    plan = services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]),
        actor=personas["offender_manager"],
        review_due_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    services.bring_review_forward(participant=participant, actor=personas["keyworker"], reason="x")
    plan.refresh_from_db()
    assert plan.review_due_on == timezone.localdate() + datetime.timedelta(days=3)


def test_review_date_must_be_in_the_future(participant, personas):
    plan = submitted_plan(participant, personas["keyworker"])
    with pytest.raises(ValidationError):
        services.approve_plan(
            plan=plan, actor=personas["offender_manager"], review_due_on=days_ago(1)
        )


def test_overdue_reviews_show_on_caseload_and_home(client_for, personas, participant, service):
    plan = services.approve_plan(
        plan=submitted_plan(participant, personas["keyworker"]), actor=personas["offender_manager"]
    )
    type(plan).objects.filter(pk=plan.pk).update(review_due_on=days_ago(3))
    services.sync_participant_summary(participant)
    ParticipantFactory(service=service, family_name="Doherty")
    client = client_for(personas["offender_manager"])
    caseload = client.get(
        reverse("participants:caseload"), {"review_overdue": "on"}
    ).content.decode()
    assert participant.family_name.upper() in caseload
    assert "DOHERTY" not in caseload
    home = client.get(reverse("core:home")).content.decode()
    assert "Plan reviews overdue" in home


def test_submitted_plans_wait_on_the_offender_managers_home_page(client_for, personas, participant):
    submitted_plan(participant, personas["keyworker"])
    home = client_for(personas["offender_manager"]).get(reverse("core:home")).content.decode()
    assert "Plans waiting for your decision" in home
    keyworker_home = client_for(personas["keyworker"]).get(reverse("core:home")).content.decode()
    assert "Plans waiting for your decision" not in keyworker_home


def test_assessment_sets_badges_and_refuses_half_mappa(client_for, personas, participant):
    url = reverse("riskplans:assessment_add", args=[participant.pk])
    today = timezone.localdate()
    data = {
        "assessed_on_day": today.day, "assessed_on_month": today.month, "assessed_on_year": today.year,
        "source_reference": "OASys", "rosh_public": "high", "rosh_known_adult": "very_high",
        "rosh_children": "low", "rosh_staff": "medium", "rosh_prisoners": "low",
        "risk_to_self": "medium", "reoffending": "high", "mappa_category": "2", "mappa_level": "",
        "risk_factors": "Alcohol", "protective_factors": "Daughter", "warning_signs": "Isolation",
        "imminence": "",
    }  # fmt: skip
    client = client_for(personas["offender_manager"])
    response = client.post(url, data)
    assert "Give both the MAPPA category and level" in response.content.decode()
    assert not RiskAssessment.objects.exists()
    data["mappa_level"] = "2"
    assert client.post(url, data).status_code == 302
    participant.refresh_from_db()
    assert participant.highest_rosh == "very_high"
    page = client.get(reverse("participants:overview", args=[participant.pk])).content.decode()
    assert "RoSH very high" in page
    assert "MAPPA 2/2" in page


def test_assessment_in_the_future_is_refused(client_for, personas, participant):
    url = reverse("riskplans:assessment_add", args=[participant.pk])
    future = days_ago(-2)
    response = client_for(personas["offender_manager"]).post(
        url,
        {"assessed_on_day": future.day, "assessed_on_month": future.month,
         "assessed_on_year": future.year},
    )  # fmt: skip
    assert "must be today or in the past" in response.content.decode()
    assert not RiskAssessment.objects.exists()


def test_formulation_is_agreed_by_the_psychologist_only(participant, personas):
    formulation = services.start_formulation(participant=participant, actor=personas["keyworker"])
    with pytest.raises(PermissionDenied):
        services.make_formulation_current(formulation=formulation, actor=personas["keyworker"])
    services.make_formulation_current(formulation=formulation, actor=personas["psychologist"])
    formulation.refresh_from_db()
    assert formulation.status == "current"
    second = services.start_formulation(participant=participant, actor=personas["psychologist"])
    assert second.number == 2
    services.make_formulation_current(formulation=second, actor=personas["psychologist"])
    formulation.refresh_from_db()
    assert formulation.status == "superseded"


def test_formulation_shared_date_cannot_be_in_the_future(participant, personas):
    formulation = services.start_formulation(
        participant=participant, actor=personas["psychologist"]
    )
    with pytest.raises(ValidationError):
        services.save_formulation(
            formulation=formulation, actor=personas["psychologist"],
            expected_version=formulation.lock_version,
            changes={"shared_with_him_on": days_ago(-1)},
        )  # fmt: skip


def test_comparison_marks_changed_fields(client_for, personas, participant):
    plan = submitted_plan(participant, personas["keyworker"], contingency="Old words")
    services.approve_plan(plan=plan, actor=personas["offender_manager"])
    versions = list(plan.history.order_by("history_date"))
    url = reverse("riskplans:history", args=[participant.pk, "plan"])
    response = client_for(personas["colleague"]).get(
        url, {"a": versions[0].history_id, "b": versions[-1].history_id}
    )
    rows = {row["label"]: row for row in response.context["comparison"]["rows"]}
    assert rows["Status"]["changed"]
    assert rows["Status"]["old"] == "Draft"
    assert rows["Status"]["new"] == "Approved"
    assert rows["Contingency plan"]["old"] == ""
    assert rows["Contingency plan"]["new"] == "Old words"
    assert not rows["Expected days a week"]["changed"]


def test_versions_are_listed_a_page_at_a_time_each_with_what_changed(
    client_for, personas, participant, monkeypatch
):
    from riskplans import selectors

    monkeypatch.setattr(selectors, "VERSIONS_PAGE_SIZE", 2)
    plans = []
    for number in range(1, 4):
        plan = submitted_plan(participant, personas["keyworker"], contingency=f"Wording {number}")
        plans.append(services.approve_plan(plan=plan, actor=personas["offender_manager"]))
    latest = {p.pk: p.history.order_by("-history_date", "-history_id").first() for p in plans}
    client = client_for(personas["colleague"])
    url = reverse("riskplans:history", args=[participant.pk, "plan"])
    first = client.get(url)
    body = first.content.decode()
    assert "3 versions, newest first (1 to 2 shown)" in body
    assert [v.number for v in first.context["versions"]] == [3, 2]
    # The oldest version on page 1 still links to what changed since the one on page 2.
    oldest_shown, before_it = latest[plans[1].pk], latest[plans[0].pk]
    link = f"?a={before_it.history_id}&amp;b={oldest_shown.history_id}"
    assert link in body
    compared = client.get(url, {"a": before_it.history_id, "b": oldest_shown.history_id})
    rows = {row["label"]: row for row in compared.context["comparison"]["rows"]}
    assert (rows["Contingency plan"]["old"], rows["Contingency plan"]["new"]) == (
        "Wording 1",
        "Wording 2",
    )
    second = client.get(url, {"page": 2}).content.decode()
    assert "3 to 3 shown" in second
    # The very first version has nothing before it to compare with.
    assert f'b={latest[plans[0].pk].history_id}"' not in second


@pytest.mark.parametrize(
    "query",
    [{"a": "1", "b": "x"}, {"a": "99999999", "b": "99999998"}, {"a": "1" * 40, "b": "2"}],
)
def test_a_comparison_of_versions_that_are_not_his_shows_none(
    client_for, personas, participant, query
):
    other = ParticipantFactory(service=participant.service)
    theirs = services.start_plan(participant=other, actor=personas["service_manager"])
    mine = services.start_plan(participant=participant, actor=personas["keyworker"])
    url = reverse("riskplans:history", args=[participant.pk, "plan"])
    client = client_for(personas["colleague"])
    for params in (
        query,
        {"a": mine.history.get().history_id, "b": theirs.history.get().history_id},
    ):
        response = client.get(url, params)
        assert response.status_code == 200
        assert response.context["comparison"] is None


def test_saving_the_draft_keeps_the_actions_not_touched(client_for, personas, participant):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    plan = services.save_plan(
        plan=plan, actor=personas["keyworker"], expected_version=plan.lock_version,
        changes={"actions": [ACTION], "contingency_plan": "First"},
    )  # fmt: skip
    url = reverse("riskplans:plan_edit", args=[participant.pk, plan.pk])
    form = client_for(personas["keyworker"]).get(url).context["actions"]
    data = {
        "lock_version": plan.lock_version, "expected_days_per_week": "3",
        "contingency_plan": "Changed only this",
        "actions-TOTAL_FORMS": str(form.total_form_count()), "actions-INITIAL_FORMS": "1",
        "actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "60",
        **{f"actions-0-{k}": v for k, v in ACTION.items()},
    }  # fmt: skip
    for index in range(1, form.total_form_count()):
        data.update({f"actions-{index}-{k}": "" for k in ACTION})
    assert client_for(personas["keyworker"]).post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.actions == [ACTION]
    assert plan.contingency_plan == "Changed only this"


def test_save_and_submit_is_all_or_nothing(participant, personas):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    with pytest.raises(ValidationError, match="at least one action"):
        services.save_plan(
            plan=plan, actor=personas["keyworker"], expected_version=plan.lock_version,
            changes={"contingency_plan": "Typed"}, submit=True,
        )  # fmt: skip
    plan.refresh_from_db()
    assert plan.contingency_plan == ""
    assert plan.status == PlanStatus.DRAFT
