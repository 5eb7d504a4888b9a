"""Every riskplans form, fuzzed through its view (see tests/fuzzing.py for the properties)."""

import datetime

import pytest
from django.urls import reverse

from riskplans import forms
from riskplans import services as plan_services
from riskplans.models import Formulation, RiskAssessment, RiskManagementPlan
from tests.factories import ParticipantFactory, allocate_team, days_ago
from tests.fuzzing import Field, FormCase, fuzz_form

pytestmark = pytest.mark.django_db


def parts(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))


@pytest.fixture
def world(personas, service, participant):
    """Jamal with a draft plan and a draft formulation; Lee, whose plan (written by his
    keyworker) waits for his offender manager's decision."""
    keyworker, om = personas["keyworker"], personas["offender_manager"]
    draft = plan_services.start_plan(participant=participant, actor=keyworker)
    formulation = plan_services.start_formulation(
        participant=participant, actor=personas["psychologist"]
    )
    lee = ParticipantFactory(service=service, given_name="Lee", family_name="Barnes")
    allocate_team(lee, manager=personas["service_manager"], om=om, keyworker=keyworker)
    submitted = plan_services.start_plan(participant=lee, actor=keyworker)
    plan_services.save_plan(
        plan=submitted, actor=keyworker, expected_version=submitted.lock_version, submit=True,
        changes={"actions": [{"pillar": "supervision", "action": "Weekly contact",
                              "owner": "OM", "due": "Ongoing"}],
                 "contingency_plan": "Ring the on-call manager", "expected_days_per_week": 2},
    )  # fmt: skip
    return {
        **personas,
        "participant": participant,
        "lee": lee,
        "draft": draft,
        "draft_version": draft.lock_version,
        "submitted": submitted,
        "formulation": formulation,
        "formulation_version": formulation.lock_version,
    }


def risk_overview(world) -> str:
    return reverse("riskplans:overview", args=[world["participant"].pk])


class PlanRead:
    """The draft plan read back: its contingency plan and its first action's words."""

    def __init__(self, world):
        plan = RiskManagementPlan.objects.get(pk=world["draft"].pk)
        self.contingency_plan = plan.contingency_plan
        first = plan.actions[0] if plan.actions else {}
        for name in ("action", "owner", "due"):
            setattr(self, f"actions-0-{name}", first.get(name, ""))


def decision_written(values: dict) -> dict[str, int]:
    writes = {
        "riskplans.RiskManagementPlan": 0,
        "riskplans.HistoricalRiskManagementPlan": 1,
        "participants.TimelineEvent": 1,
    }
    if values.get("decision", "return") == "approve":  # his review date is kept on his record
        writes["participants.Participant"] = 0
    return writes


LEVELS = ("low", "medium", "high", "very_high")

CASES = [
    FormCase(
        id="assessment",
        form=forms.AssessmentForm,
        persona="offender_manager",
        url=lambda w: reverse("riskplans:assessment_add", args=[w["participant"].pk]),
        fields=[
            Field("assessed_on", "date", valid=parts(days_ago(3))),
            Field("source_reference", "text", valid="OASys 2026-03", shown=False),
            *[
                Field(name, "choice", valid="medium", choices=("extreme", *LEVELS))
                for name in (
                    "rosh_public",
                    "rosh_known_adult",
                    "rosh_children",
                    "rosh_staff",
                    "rosh_prisoners",
                    "risk_to_self",
                    "reoffending",
                )
            ],
            Field("mappa_category", "choice", valid="2", choices=("", "5")),
            Field("mappa_level", "choice", valid="1", choices=("", "4")),
            Field("risk_factors", "text", valid="Conflict with a former partner"),
            Field("protective_factors", "text", valid="His daughter"),
            Field("warning_signs", "text", valid="Stops answering calls"),
            Field("imminence", "text", valid="Around court dates"),
        ],
        writes={
            "riskplans.RiskAssessment": 1,
            "riskplans.HistoricalRiskAssessment": 1,
            "participants.Participant": 0,
            "participants.TimelineEvent": 1,
        },
        saved=lambda w: RiskAssessment.objects.order_by("-created_at").first(),
        shown_on=risk_overview,
    ),
    FormCase(
        id="plan",
        form=forms.PlanForm,
        persona="keyworker",
        url=lambda w: reverse("riskplans:plan_edit", args=[w["participant"].pk, w["draft"].pk]),
        fields=[
            Field("lock_version", "number", valid="{draft_version}"),
            Field("expected_days_per_week", "choice", valid="3", choices=("5", "0")),
            Field("contingency_plan", "text", valid="Ring the on-call manager"),
            Field("actions-TOTAL_FORMS", "number", valid="2"),
            Field("actions-INITIAL_FORMS", "number", valid="0"),
            Field("actions-0-pillar", "choice", valid="supervision", choices=("", "cake")),
            Field("actions-0-action", "text", valid="Weekly contact"),
            Field("actions-0-owner", "text", valid="Sarah Okafor"),
            Field("actions-0-due", "text", valid="Every Monday"),
            Field("actions-0-DELETE", "bool", valid=""),
        ],
        fixed={"actions-MIN_NUM_FORMS": "0", "actions-MAX_NUM_FORMS": "60"},
        writes={"riskplans.RiskManagementPlan": 0, "riskplans.HistoricalRiskManagementPlan": 1},
        saved=PlanRead,
        shown_on=lambda w: reverse(
            "riskplans:plan_detail", args=[w["participant"].pk, w["draft"].pk]
        ),
    ),
    FormCase(
        id="plan_decision",
        form=forms.DecisionForm,
        persona="offender_manager",
        url=lambda w: reverse("riskplans:plan_decide", args=[w["lee"].pk, w["submitted"].pk]),
        fields=[
            Field("decision", "choice", valid="return", choices=("approve", "veto")),
            Field("review_due_on", "date", valid=("", "", "")),
            # Kept when the plan is returned; an approval keeps no comment (noted, not changed).
            Field(
                "comment",
                "text",
                valid="Add who to call out of hours",
                stored_in="return_comment",
                kept_when=lambda values: values.get("decision", "return") == "return",
            ),
        ],
        writes=decision_written,
        saved=lambda w: RiskManagementPlan.objects.get(pk=w["submitted"].pk),
        shown_on=lambda w: reverse("riskplans:plan_detail", args=[w["lee"].pk, w["submitted"].pk]),
    ),
    FormCase(
        id="formulation",
        form=forms.FormulationForm,
        persona="psychologist",
        url=lambda w: reverse(
            "riskplans:formulation_edit", args=[w["participant"].pk, w["formulation"].pk]
        ),
        fields=[
            Field("lock_version", "number", valid="{formulation_version}"),
            *[
                Field(name, "text", valid=f"What we know: {name}")
                for name in forms.FormulationForm.Meta.fields[:-1]
            ],
            Field("shared_with_him_on", "date", valid=parts(days_ago(1))),
        ],
        writes={"riskplans.Formulation": 0, "riskplans.HistoricalFormulation": 1},
        saved=lambda w: Formulation.objects.get(pk=w["formulation"].pk),
        shown_on=lambda w: reverse(
            "riskplans:formulation_detail", args=[w["participant"].pk, w["formulation"].pk]
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)


# --- Found by fuzzing -------------------------------------------------------------------------


def test_an_action_too_long_is_listed_in_the_error_summary_and_nothing_is_saved(world, client_for):
    case = CASES[1].resolve(world)
    data = case.build({"actions-0-owner": "O" * 151})
    response = client_for(world["keyworker"]).post(case.url(world), data)
    assert response.status_code == 200
    body = response.content.decode()
    summary = body.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert "Action 1, who does it: Who does it must be 150 characters or fewer" in summary
    assert 'href="#id_actions-0-owner"' in summary
    plan = RiskManagementPlan.objects.get(pk=world["draft"].pk)
    assert (plan.actions, plan.lock_version) == ([], world["draft_version"])


def test_a_post_claiming_a_million_action_rows_is_refused_without_building_them(world, client_for):
    case = CASES[1].resolve(world)
    data = case.build({"actions-TOTAL_FORMS": "1000000"})
    response = client_for(world["keyworker"]).post(case.url(world), data)
    assert response.status_code == 200
    assert "Please submit at most 60 forms" in response.content.decode()
    assert len(response.context["actions"].forms) == 60
    assert RiskManagementPlan.objects.get(pk=world["draft"].pk).lock_version == 1
