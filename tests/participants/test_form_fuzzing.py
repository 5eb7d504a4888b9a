"""Every participants form, fuzzed through its view (see tests/fuzzing.py for the properties)."""

import datetime

import pytest
from django.urls import reverse

from participants import forms
from participants.identifiers import normalise
from participants.models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Pathway,
    Referral,
    ReleasePlan,
    RetentionDecision,
    StageChange,
)
from participants.services import save_licence
from tests.factories import ParticipantFactory, ReferralFactory, days_ago
from tests.factories.reports import move
from tests.factories.retention import ended_participant, past_the_period
from tests.fuzzing import Field, FormCase, fuzz_form, fuzz_query

pytestmark = pytest.mark.django_db


def parts(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))


def url(name: str, *keys: str, **kwargs):
    return lambda world: reverse(f"participants:{name}", args=[world[k].pk for k in keys], **kwargs)


def overview(world) -> str:
    return reverse("participants:overview", args=[world["participant"].pk])


def identifier(value: str | None) -> str:
    return normalise(value)


def identifier_or_none(value: str | None) -> str | None:
    return normalise(value) or None


def with_history(*labels: str, grown: int = 1, **more: int) -> dict[str, int]:
    """Each model gains `grown` rows and its history as many; `more` adds other tables."""
    writes = {}
    for label in labels:
        app, model = label.split(".")
        writes[label] = grown
        writes[f"{app}.Historical{model}"] = grown
    return writes | {k.replace("__", "."): v for k, v in more.items()}


TIMELINE = {"participants__TimelineEvent": 1}


@pytest.fixture
def world(personas, service, other_service, participant):
    """Jamal in custody with a licence on file, a referral waiting for a decision, and a man
    of another service (whose ids are typed where only this service's belong)."""
    manager = personas["service_manager"]
    save_licence(
        participant=participant,
        actor=personas["offender_manager"],
        licence=Licence(starts_on=days_ago(30), ends_on=days_ago(-700)),
    )
    referral = ReferralFactory(
        service=service, created_by=manager, received_on=days_ago(20), prison_number="C3456DE"
    )
    in_community = ParticipantFactory(service=service, given_name="Lee", family_name="Barnes")
    from tests.factories import allocate_team

    allocate_team(in_community, manager=manager, om=personas["offender_manager"])
    move(in_community, personas["offender_manager"], StageChange.Kind.RELEASED, days_ago(60))
    stranger = ParticipantFactory(service=other_service)
    past_retention = ended_participant(
        service=service, manager=manager, ended_on=past_the_period(), family_name="Ashworth"
    )
    participant.refresh_from_db()
    return {
        **personas,
        "participant_version": participant.version,
        "participant": participant,
        "referral": referral,
        "in_community": in_community,
        "stranger": stranger,
        "past_retention": past_retention,
        "personas": personas,
        "service": service,
        "other_service": other_service,
    }


def latest(model, **filters):
    return lambda world: model.objects.filter(**filters).order_by("-pk").first()


def the_referral(world):
    return Referral.objects.get(pk=world["referral"].pk)


def the_participant(world):
    return type(world["participant"]).objects.get(pk=world["participant"].pk)


def referral_page(world) -> str:
    return reverse("participants:referral_detail", args=[world["referral"].pk])


def newest_referral_page(world) -> str:
    newest = Referral.objects.order_by("-created_at").first()
    return reverse("participants:referral_detail", args=[newest.pk])


def timeline(world) -> str:
    return reverse("participants:timeline", args=[world["participant"].pk])


PATHWAY_FIELDS = [
    field
    for pathway in Pathway
    for field in (
        Field(f"{pathway.value}_level", "choice", valid="low", choices=("none", "extreme")),
        Field(f"{pathway.value}_notes", "text", valid="", stored_in=pathway.value),
    )
]


def needs_written(values: dict) -> dict[str, int]:
    """Each need is created, then saved with its level and notes (two history rows each);
    a level other than the starting "no need" is also a timeline event."""
    levels = [values.get(f"{p.value}_level", "low") for p in Pathway]
    events = sum(level != "none" for level in levels)
    writes = {"participants.PathwayNeed": 8, "participants.HistoricalPathwayNeed": 16}
    return writes | ({"participants.TimelineEvent": events} if events else {})


class NeedsOf:
    """Jamal's needs read back as one record: attribute = pathway, value = its notes."""

    def __init__(self, participant):
        self.__dict__.update({n.pathway: n.notes for n in participant.pathway_needs.all()})


CASES = [
    FormCase(
        id="referral",
        form=forms.ReferralForm,
        persona="offender_manager",
        url=lambda w: reverse("participants:referral_create"),
        fields=[
            Field("service", "id", valid="{service}", choices=("{other_service}",)),
            Field("received_on", "date", valid=parts(days_ago(3))),
            Field("source", "choice", valid="prison", choices=("other", "nhs")),
            Field("given_name", "text", valid="Kofi"),
            Field("family_name", "text", valid="Mensah"),
            Field("date_of_birth", "date", valid=("4", "7", "1990")),
            Field("prison_number", "ident", valid="B2345CD", stored_as=identifier),
            Field("crn", "ident", valid="", stored_as=identifier),
            Field("pnc_number", "ident", valid="", stored_as=identifier),
            Field("nhs_number", "ident", valid="", stored_as=identifier),
            Field("current_prison", "text", valid="HMP Altcourse"),
            Field("expected_release_date", "date", valid=parts(days_ago(-90))),
            Field("sentence_type", "choice", valid="life", choices=("determinate", "death")),
            Field("sentence_length_months", "number", valid=""),
            Field("index_offence", "choice", valid="robbery", choices=("theft",)),
            Field("screened_into_opd", "bool", valid="on"),
        ],
        writes=with_history("participants.Referral"),
        saved=lambda w: Referral.objects.order_by("-created_at").first(),
        shown_on=newest_referral_page,
    ),
    FormCase(
        id="referral_decline",
        form=forms.DeclineForm,
        persona="service_manager",
        url=url("referral_decline", "referral"),
        fields=[
            Field("decided_on", "date", valid=parts(days_ago(1))),
            Field("category", "choice", valid="criteria", choices=("whim",)),
            Field("reason", "text", valid="Outside the criteria", stored_in="decision_reason"),
        ],
        writes={"participants.Referral": 0, "participants.HistoricalReferral": 1},
        saved=the_referral,
        shown_on=referral_page,
    ),
    FormCase(
        id="referral_withdraw",
        form=forms.DecisionForm,
        persona="service_manager",
        url=url("referral_withdraw", "referral"),
        fields=[
            Field("decided_on", "date", valid=parts(days_ago(1))),
            Field("reason", "text", valid="He moved area", stored_in="decision_reason"),
        ],
        writes={"participants.Referral": 0, "participants.HistoricalReferral": 1},
        saved=the_referral,
        shown_on=referral_page,
    ),
    FormCase(
        id="referral_accept",
        form=forms.AcceptForm,
        persona="service_manager",
        url=url("referral_accept", "referral"),
        fields=[
            Field("decided_on", "date", valid=parts(days_ago(1))),
            Field("offer", "choice", valid="waiting", choices=("in_reach", "maybe")),
        ],
        writes=with_history(
            "participants.Participant",
            "participants.StageChange",
            participants__Referral=0,
            participants__HistoricalReferral=1,
            **TIMELINE,
        ),
    ),
    FormCase(
        id="participant_details",
        form=forms.ParticipantDetailsForm,
        persona="keyworker",
        url=url("edit_details", "participant"),
        fields=[
            Field("given_name", "text", valid="Jamal"),
            Field("family_name", "text", valid="Okoro"),
            Field("preferred_name", "text", valid="Jay"),
            Field("date_of_birth", "date", valid=("15", "6", "1985")),
            Field("prison_number", "ident", valid="A1234BC", stored_as=identifier_or_none),
            Field("crn", "ident", valid="X654321", stored_as=identifier_or_none),
            Field("pnc_number", "ident", valid="", stored_as=identifier_or_none),
            Field("nhs_number", "ident", valid="9434765919", stored_as=identifier_or_none),
            Field("phone", "text", valid="07700 900123"),
            Field("gp_practice", "text", valid="Princes Park Health Centre"),
            Field("current_accommodation", "text", valid="HMP Liverpool"),
            Field("version", "number", valid="{participant_version}"),
        ],
        writes={"participants.Participant": 0, "participants.HistoricalParticipant": 1},
        saved=the_participant,
        shown_on=overview,
    ),
    FormCase(
        id="contact",
        form=forms.ContactForm,
        persona="keyworker",
        url=url("contact_add", "participant"),
        fields=[
            Field("name", "text", valid="Grace Okoro"),
            Field("relationship", "text", valid="Mother"),
            Field("phone", "text", valid="0151 496 0000"),
            Field("is_next_of_kin", "bool", valid="on"),
            Field("notes", "text", valid="Call after 6pm"),
        ],
        writes=with_history("participants.Contact"),
        saved=latest(Contact),
        shown_on=overview,
    ),
    FormCase(
        id="goal",
        form=forms.GoalForm,
        persona="keyworker",
        url=url("goal_add", "participant"),
        fields=[
            Field("in_his_words", "text", valid="Get my own flat"),
            Field("progress", "choice", valid="under_way", choices=("done", "achieved")),
            Field("progress_note", "text", valid="Viewing on Friday"),
        ],
        writes=with_history("participants.Goal", **TIMELINE),
        saved=latest(Goal),
        shown_on=overview,
    ),
    FormCase(
        id="stage_released",
        form=forms.StageChangeForm,
        persona="offender_manager",
        url=lambda w: reverse(
            "participants:change_stage", args=[w["participant"].pk, StageChange.Kind.RELEASED]
        ),
        fields=[
            Field("effective_on", "date", valid=parts(days_ago(1))),
            Field("reason", "text", valid="Released on licence"),
        ],
        writes=with_history(
            "participants.StageChange",
            participants__Participant=0,
            participants__HistoricalParticipant=1,
            **TIMELINE,
        ),
        saved=latest(StageChange, kind=StageChange.Kind.RELEASED),
        shown_on=timeline,
    ),
    FormCase(
        id="stage_recalled",
        form=forms.StageChangeForm,
        persona="offender_manager",
        url=lambda w: reverse(
            "participants:change_stage", args=[w["in_community"].pk, StageChange.Kind.RECALLED]
        ),
        fields=[
            Field("effective_on", "date", valid=parts(days_ago(1))),
            Field("recall_type", "choice", valid="standard", choices=("fixed_term", "forever")),
            Field("reason", "text", valid="Breached his curfew"),
        ],
        writes=with_history(
            "participants.StageChange",
            participants__Participant=0,
            participants__HistoricalParticipant=1,
            **TIMELINE,
        ),
        saved=latest(StageChange, kind=StageChange.Kind.RECALLED),
        shown_on=lambda w: reverse("participants:timeline", args=[w["in_community"].pk]),
    ),
    FormCase(
        id="stage_ended",
        form=forms.StageChangeForm,
        persona="offender_manager",
        url=lambda w: reverse(
            "participants:change_stage", args=[w["participant"].pk, StageChange.Kind.ENDED]
        ),
        fields=[
            Field("effective_on", "date", valid=parts(days_ago(1))),
            Field("ending", "choice", valid="transferred", choices=("escaped",)),
            Field("reason", "text", valid="Moved to Wales"),
        ],
        writes=with_history(
            "participants.StageChange",
            participants__Participant=0,
            participants__HistoricalParticipant=1,
            **TIMELINE,
        ),
        saved=latest(StageChange, kind=StageChange.Kind.ENDED),
        shown_on=timeline,
    ),
    FormCase(
        id="release_plan",
        form=forms.ReleasePlanForm,
        persona="keyworker",
        url=url("release_plan", "participant"),
        fields=[
            Field("planned_release_date", "date", valid=parts(days_ago(-30))),
            Field("collected_by", "text", valid="Aisha, 8am at the gate"),
            Field("collection_done", "bool", valid="on"),
            Field("first_night", "text", valid="Ashfield Approved Premises"),
            Field("first_night_done", "bool", valid=""),
            Field("benefits", "text", valid="Universal Credit claim started"),
            Field("benefits_done", "bool", valid=""),
            Field("gp", "text", valid="Princes Park"),
            Field("gp_done", "bool", valid=""),
            Field("first_appointments", "text", valid="Probation Monday 10:00"),
            Field("first_appointments_done", "bool", valid="on"),
        ],
        writes=with_history("participants.ReleasePlan"),
        saved=latest(ReleasePlan),
        shown_on=overview,
    ),
    FormCase(
        id="licence",
        form=forms.LicenceForm,
        persona="offender_manager",
        url=url("licence", "participant"),
        fields=[
            Field("starts_on", "date", valid=parts(days_ago(30))),
            Field("ends_on", "date", valid=parts(days_ago(-365))),
            Field("sentence_expiry_on", "date", valid=parts(days_ago(-730))),
            Field("standard_conditions", "bool", valid="on"),
        ],
        writes={"participants.Licence": 0, "participants.HistoricalLicence": 1},
    ),
    FormCase(
        id="licence_condition",
        form=forms.LicenceConditionForm,
        persona="offender_manager",
        url=url("condition_add", "participant"),
        fields=[
            Field("category", "choice", valid="curfew", choices=("other", "house_arrest")),
            Field("text", "text", valid="Stay at his address 7pm to 7am"),
            Field("starts_on", "date", valid=parts(days_ago(10))),
            Field("ends_on", "date", valid=("", "", "")),
        ],
        writes=with_history("participants.LicenceCondition", **TIMELINE),
        saved=latest(LicenceCondition),
        shown_on=overview,
    ),
    FormCase(
        id="allocation",
        form=forms.TeamAllocationForm,
        persona="service_manager",
        url=url("allocate", "participant"),
        fields=[
            Field(
                "offender_manager",
                "id",
                valid="{offender_manager}",
                choices=("{keyworker}", "{service_manager}"),
            ),
            Field("health_keyworker", "id", valid="{colleague}", choices=("{outsider}",)),
            Field("psychologist", "id", valid="{psychologist}", choices=("{crisis_worker}",)),
            Field("started_on", "date", valid=parts(days_ago(1))),
        ],
        # Tom replaces Aisha: her allocation ends (a second history row), the permission moves.
        writes={
            "participants.Allocation": 1,
            "participants.HistoricalAllocation": 2,
            "participants.TimelineEvent": 1,
        },
    ),
    FormCase(
        id="pathway_needs",
        form=forms.PathwayNeedsForm,
        persona="keyworker",
        url=url("pathway_needs", "participant"),
        fields=PATHWAY_FIELDS,
        writes=needs_written,
        saved=lambda w: NeedsOf(w["participant"]),
        shown_on=overview,
    ),
    FormCase(
        id="outcome_snapshot",
        form=forms.OutcomeSnapshotForm,
        persona="keyworker",
        url=url("outcome_add", "participant"),
        fields=[
            Field("point", "choice", valid="quarter", choices=("someday",)),
            Field("taken_on", "date", valid=parts(days_ago(2))),
            Field("accommodation", "choice", valid="settled", choices=("castle",)),
            Field("occupation", "choice", valid="training", choices=("astronaut",)),
            Field("notes", "text", valid="Settled at his sister's", shown=False),
        ],
        writes=with_history("participants.OutcomeSnapshot", **TIMELINE),
        saved=latest(OutcomeSnapshot),
    ),
    FormCase(
        id="exclusion",
        form=forms.ExclusionForm,
        persona="service_manager",
        url=url("record_access", "participant"),
        fields=[
            Field("staff", "id", valid="{colleague}", choices=("{outsider}", "{keyworker}")),
            Field("reason", "text", valid="Knows his family"),
        ],
        writes=with_history("participants.Exclusion"),
        saved=lambda w: w["participant"].exclusions.order_by("-pk").first(),
        shown_on=url("record_access", "participant"),
    ),
    FormCase(
        id="temporary_access",
        form=forms.TemporaryAccessForm,
        persona="colleague",
        url=url("temporary_access", "participant"),
        fields=[
            Field("reason", "text", valid="Covering Aisha's caseload"),
            Field("hours", "choice", valid="24", choices=("1000", "-4", "4")),
        ],
        writes=with_history("participants.TemporaryAccess", **TIMELINE),
        saved=lambda w: w["participant"].temporary_access.order_by("-granted_at").first(),
        shown_on=url("record_access", "participant"),
        shown_by="service_manager",
    ),
]


def retention_page(world) -> str:
    return reverse("participants:retention_decisions")


CASES += [
    FormCase(
        id="retention_decision",
        form=forms.RetentionDecisionForm,
        persona="service_manager",
        url=url("retention_review", "past_retention"),
        fields=[
            Field("decision", "choice", valid="keep", choices=("delete", "shred")),
            Field("keep_reason", "text", valid="Civil claim pending", stored_in="reason"),
            Field("next_review_on", "date", valid=parts(days_ago(-365))),
            Field("delete_reason", "text", valid="", kept_when=lambda values: False),
        ],
        writes={"participants.RetentionDecision": 1, "participants.HistoricalRetentionDecision": 1},
        saved=lambda w: RetentionDecision.objects.order_by("-decided_at").first(),
        shown_on=retention_page,
        next_step=lambda response: b"cannot be brought back" in response.content,
    ),
    FormCase(
        id="retention_delete",
        form=forms.RetentionDeleteForm,
        persona="service_manager",
        url=url("retention_delete", "past_retention"),
        fields=[
            Field("reason", "text", valid="No reason to keep it any longer"),
            Field("confirm", "bool", valid="on"),
        ],
        # He goes, with his history; the decision stays.
        writes={
            "participants.Participant": -1,
            "participants.HistoricalParticipant": -2,
            "participants.Referral": -1,
            "participants.HistoricalReferral": -2,
            "participants.StageChange": -2,
            "participants.HistoricalStageChange": -2,
            "participants.TimelineEvent": -2,
            "participants.RetentionDecision": 1,
            "participants.HistoricalRetentionDecision": 1,
        },
        saved=lambda w: RetentionDecision.objects.order_by("-decided_at").first(),
        shown_on=retention_page,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)


def test_no_typed_search_or_filter_breaks_the_caseload(world, client_for):
    fuzz_query(
        reverse("participants:caseload"),
        [
            Field("q", "text", valid="Okoro"),
            Field("stage", "choice", valid="in_reach", choices=("ended", "jail")),
            Field(
                "keyworker",
                "id",
                valid=str(world["keyworker"].pk),
                choices=(str(world["outsider"].pk),),
            ),
            Field("risk", "choice", valid="high", choices=("extreme",)),
            Field("review_overdue", "bool", valid="on"),
            Field("sort", "choice", valid="name", choices=("-name", "stage", "id; DROP")),
            Field("page", "number", valid="1"),
        ],
        client_for(world["keyworker"]),
    )
