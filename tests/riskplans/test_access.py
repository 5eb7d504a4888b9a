"""Who may open which page of the risk plans app: every URL against every persona.

The rules (resettle/access.py): anonymous people are sent to sign in; staff of another
service get 404 on any case object (its existence is never revealed); roles without case
work (crisis line, administrator, commissioner) get 403; a colleague of the same service may
read plans, formulations, assessments and their history but not change them; the allocated
team may change them; only his allocated offender manager (or the service manager) decides
on a submitted plan, and only his allocated psychologist (or the service manager) agrees a
formulation.
"""

import uuid
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from django.urls import reverse

from riskplans import services
from riskplans.models import (
    Formulation,
    FormulationStatus,
    PlanStatus,
    RiskAssessment,
    RiskManagementPlan,
)
from tests.access_matrix import PERSONAS, assert_status, persona_cases, sign_in_as
from tests.factories import days_ago
from tests.world import from_world, make_participant

pytestmark = pytest.mark.django_db


# What each kind of page allows. Columns are the kinds; every persona has one row.
#   view    – read pages: risk overview, a plan, a formulation, version history
#   change  – the allocated team's write pages (assessment, plan and formulation drafts)
#   decide  – approving or returning a submitted plan (allocated OM or service manager)
#   agree   – agreeing a draft formulation (a psychologist in his team, or a service manager
#             who is a psychologist: tests/riskplans/test_formulation_agreement.py); the
#             rest of the team pass the view's change check and are refused by the service
KINDS = ("view", "change", "decide", "agree")
EXPECTED = {
    #                  view change decide agree
    "anonymous": (302, 302, 302, 302),
    "offender_manager": (200, 200, 200, 403),
    "keyworker": (200, 200, 403, 403),
    "psychologist": (200, 200, 403, 200),
    "colleague": (200, 403, 403, 403),
    "service_manager": (200, 200, 200, 403),  # not a psychologist
    "crisis_worker": (403, 403, 403, 403),
    "administrator": (403, 403, 403, 403),
    "commissioner": (403, 403, 403, 403),
    "outsider": (404, 404, 404, 404),
    "outsider_manager": (404, 404, 404, 404),
}


def expected_status(persona: str, kind: str) -> int:
    return EXPECTED[persona][KINDS.index(kind)]


class Page(NamedTuple):
    case: str
    name: str
    kind: str
    args: tuple
    # The plan is submitted for the decision; its draft page only opens once it is
    # editable again, so for that page the offender manager first returns it.
    plan_returned: bool = False


# Every GET page in riskplans/urls.py. Args name objects of the record fixture; anything
# else is passed to reverse() as it is.
GET_PAGES = (
    Page("overview", "overview", "view", ("participant",)),
    Page("assessment_add", "assessment_add", "change", ("participant",)),
    Page("plan_start", "plan_start", "change", ("participant",)),
    Page("plan_detail", "plan_detail", "view", ("participant", "submitted_plan")),
    Page("plan_edit", "plan_edit", "change", ("participant", "submitted_plan"), True),
    Page("plan_decide", "plan_decide", "decide", ("participant", "submitted_plan")),
    Page("formulation_start", "formulation_start", "change", ("participant",)),
    Page("formulation_detail", "formulation_detail", "view", ("participant", "draft_formulation")),
    Page("formulation_edit", "formulation_edit", "change", ("participant", "draft_formulation")),
    Page("history_plan", "history", "view", ("participant", "plan")),
    Page("history_formulation", "history", "view", ("participant", "formulation")),
    Page("history_assessment", "history", "view", ("participant", "assessment")),
)
# POST-only URLs and the arguments they are addressed with.
POST_ONLY = {
    "plan_submit": ("participant", "submitted_plan"),
    "formulation_agree": ("participant", "draft_formulation"),
}


def test_the_table_covers_every_url_of_the_app():
    from riskplans.urls import urlpatterns

    covered = {page.name for page in GET_PAGES} | set(POST_ONLY)
    assert covered == {pattern.name for pattern in urlpatterns}


def test_the_history_rows_cover_every_kind_of_history():
    from riskplans.selectors import HISTORY_KINDS

    kinds = {page.args[1] for page in GET_PAGES if page.name == "history"}
    assert kinds == set(HISTORY_KINDS)


# --- The record ---------------------------------------------------------------------------

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}


def draft_plan(participant, author, contingency="Call the on-call manager"):
    plan = services.start_plan(participant=participant, actor=author)
    return services.save_plan(
        plan=plan,
        actor=author,
        expected_version=plan.lock_version,
        changes={"actions": [ACTION], "contingency_plan": contingency},
    )


def submitted_plan(participant, author, contingency="Call the on-call manager"):
    plan = draft_plan(participant, author, contingency)
    return services.submit_plan(plan=plan, actor=author)


def record_assessment(participant, assessor):
    return services.record_assessment(
        participant=participant,
        actor=assessor,
        assessment=RiskAssessment(
            assessed_on=days_ago(20),
            source_reference="OASys completed last month",
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
            protective_factors="His daughter; work at the garden",
            warning_signs="Missing sessions; drinking again",
        ),
    )


def record_of(participant, personas) -> dict:
    """Jamal with a plan his keyworker submitted, a draft formulation and an assessment."""
    return {
        "participant": participant,
        "latest_assessment": record_assessment(participant, personas["offender_manager"]),
        "submitted_plan": submitted_plan(participant, personas["keyworker"]),
        "draft_formulation": services.start_formulation(
            participant=participant, actor=personas["psychologist"]
        ),
    }


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """Built once for the module (tests/world.py). Two of Jamal, the same team allocated to
    each: `participant` has no plan, formulation or assessment yet (for the tests that start
    one), `record` is the other with his plan, formulation and assessment. No test asks for
    both."""
    personas = world["personas"]
    with django_db_blocker.unblock():
        with_plans = make_participant(personas, world["service"], prison_number="A1235BC")
        record = record_of(with_plans, personas)
    return {**world, "record": record}


service, personas, participant, record = from_world("service", "personas", "participant", "record")


def test_no_object_of_the_record_is_named_like_a_kind_of_history(record):
    """url_for passes an arg through only when the record has no object of that name."""
    from riskplans.selectors import HISTORY_KINDS

    assert not set(record) & set(HISTORY_KINDS)


def url_for(record, name: str, args: tuple) -> str:
    values = [record[arg].pk if arg in record else arg for arg in args]
    return reverse(f"riskplans:{name}", args=values)


def return_for_revision(plan, personas):
    return services.return_plan(
        plan=plan, actor=personas["offender_manager"], comment="Add the victim safety work"
    )


@pytest.mark.parametrize(("page", "persona", "expected"), persona_cases(GET_PAGES, expected_status))
def test_each_page_answers_each_persona_as_the_rules_say(
    client, client_for, personas, record, page, persona, expected
):
    if page.plan_returned:
        return_for_revision(record["submitted_plan"], personas)
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.get(url_for(record, page.name, page.args))
    assert_status(response, expected)


def test_a_submitted_plan_is_not_reopened_for_editing(client_for, personas, record):
    """The change right is not enough: a submitted version waits for the decision."""
    plan = record["submitted_plan"]
    response = client_for(personas["keyworker"]).get(
        url_for(record, "plan_edit", ("participant", "submitted_plan"))
    )
    assert response.status_code == 302
    assert response.url == url_for(record, "plan_detail", ("participant", "submitted_plan"))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_an_agreed_formulation_is_not_reopened_for_editing(client_for, personas, record):
    services.make_formulation_current(
        formulation=record["draft_formulation"], actor=personas["psychologist"]
    )
    response = client_for(personas["psychologist"]).get(
        url_for(record, "formulation_edit", ("participant", "draft_formulation"))
    )
    assert response.status_code == 302
    assert response.url == url_for(
        record, "formulation_detail", ("participant", "draft_formulation")
    )


# --- Deciding on a plan -------------------------------------------------------------------


def test_the_decision_form_is_offered_to_the_offender_manager_not_the_author(
    client_for, personas, record
):
    detail = url_for(record, "plan_detail", ("participant", "submitted_plan"))
    decide = url_for(record, "plan_decide", ("participant", "submitted_plan"))
    om_page = client_for(personas["offender_manager"]).get(detail)
    assert om_page.context["may_decide"]
    assert decide in om_page.content.decode()
    author_page = client_for(personas["keyworker"]).get(detail)
    assert not author_page.context["may_decide"]
    assert decide not in author_page.content.decode()


@pytest.fixture
def plan_by_the_offender_manager(participant, personas):
    """A plan his offender manager wrote: someone else must decide on it."""
    return submitted_plan(participant, personas["offender_manager"])


def test_author_cannot_approve_own_plan_through_the_decision_page(
    client_for, personas, participant, plan_by_the_offender_manager
):
    plan = plan_by_the_offender_manager
    url = reverse("riskplans:plan_decide", args=[participant.pk, plan.pk])
    response = client_for(personas["offender_manager"]).post(url, {"decision": "approve"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED


def test_author_is_not_offered_the_decision_page_on_own_plan(
    client_for, personas, participant, plan_by_the_offender_manager
):
    """can_approve_plans says "never the plan's author": the page must not offer the form.

    plan_detail leaves the form out for the author (may_decide), but plan_decide checks only
    the offender manager's allocation and renders the form with may_decide=True; submitting
    it then ends in the service's PermissionDenied.
    """
    plan = plan_by_the_offender_manager
    url = reverse("riskplans:plan_decide", args=[participant.pk, plan.pk])
    response = client_for(personas["offender_manager"]).get(url)
    assert response.status_code == 403


def test_offender_manager_approves_the_keyworkers_plan(client_for, personas, record):
    plan = record["submitted_plan"]
    response = client_for(personas["offender_manager"]).post(
        url_for(record, "plan_decide", ("participant", "submitted_plan")), {"decision": "approve"}
    )
    assert response.status_code == 302
    assert response.url == url_for(record, "plan_detail", ("participant", "submitted_plan"))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED
    assert plan.decided_by == personas["offender_manager"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(p, expected_status(p, "decide")) for p in PERSONAS if expected_status(p, "decide") != 200],
)
def test_no_one_else_posts_a_decision(client, client_for, personas, record, persona, expected):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        url_for(record, "plan_decide", ("participant", "submitted_plan")), {"decision": "approve"}
    )
    assert_status(response, expected)
    record["submitted_plan"].refresh_from_db()
    assert record["submitted_plan"].status == PlanStatus.SUBMITTED


# --- POST-only URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(POST_ONLY))
def test_post_only_urls_refuse_a_get(client_for, personas, record, name):
    response = client_for(personas["service_manager"]).get(url_for(record, name, POST_ONLY[name]))
    assert response.status_code == 405


def change_cases():
    return [(persona, expected_status(persona, "change")) for persona in PERSONAS]


@pytest.mark.parametrize(("persona", "expected"), change_cases())
def test_only_the_team_and_service_manager_start_a_plan(
    client, client_for, personas, participant, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(reverse("riskplans:plan_start", args=[participant.pk]))
    started = list(RiskManagementPlan.objects.filter(participant=participant))
    if expected == 200:  # allowed: a draft, and he is taken to write it
        assert len(started) == 1
        plan = started[0]
        assert plan.status == PlanStatus.DRAFT
        assert plan.author == personas[persona]
        assert response.status_code == 302
        assert response.url == reverse("riskplans:plan_edit", args=[participant.pk, plan.pk])
    else:
        assert_status(response, expected)
        assert started == []


def test_a_second_plan_is_not_started_while_one_is_open(client_for, personas, record):
    response = client_for(personas["keyworker"]).post(
        url_for(record, "plan_start", ("participant",))
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Version 1 is already submitted for approval" in page
    assert url_for(record, "plan_detail", ("participant", "submitted_plan")) in page
    assert RiskManagementPlan.objects.filter(participant=record["participant"]).count() == 1


@pytest.fixture
def plan_in_draft(participant, personas):
    return draft_plan(participant, personas["keyworker"])


@pytest.mark.parametrize(("persona", "expected"), change_cases())
def test_only_the_team_and_service_manager_submit_a_plan(
    client, client_for, personas, participant, plan_in_draft, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        reverse("riskplans:plan_submit", args=[participant.pk, plan_in_draft.pk])
    )
    plan_in_draft.refresh_from_db()
    if expected == 200:  # allowed: submitted, and back to the plan
        assert response.status_code == 302
        assert response.url == reverse(
            "riskplans:plan_detail", args=[participant.pk, plan_in_draft.pk]
        )
        assert plan_in_draft.status == PlanStatus.SUBMITTED
    else:
        assert_status(response, expected)
        assert plan_in_draft.status == PlanStatus.DRAFT


@pytest.mark.parametrize(("persona", "expected"), change_cases())
def test_only_the_team_and_service_manager_start_a_formulation(
    client, client_for, personas, participant, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(reverse("riskplans:formulation_start", args=[participant.pk]))
    started = list(Formulation.objects.filter(participant=participant))
    if expected == 200:
        assert len(started) == 1
        formulation = started[0]
        assert formulation.status == FormulationStatus.DRAFT
        assert response.status_code == 302
        assert response.url == reverse(
            "riskplans:formulation_edit", args=[participant.pk, formulation.pk]
        )
    else:
        assert_status(response, expected)
        assert started == []


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "agree")) for p in PERSONAS]
)
def test_only_a_psychologist_agrees_the_formulation(
    client, client_for, personas, record, persona, expected
):
    formulation = record["draft_formulation"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        url_for(record, "formulation_agree", ("participant", "draft_formulation"))
    )
    formulation.refresh_from_db()
    if expected == 200:  # allowed: agreed, and back to the formulation
        assert response.status_code == 302
        assert response.url == url_for(
            record, "formulation_detail", ("participant", "draft_formulation")
        )
        assert formulation.status == FormulationStatus.CURRENT
    else:
        # The offender manager and keyworker pass the view's change check; the service
        # then refuses (PermissionDenied), which is a 403 like the view's own refusals.
        assert_status(response, expected)
        assert formulation.status == FormulationStatus.DRAFT


def test_only_the_psychologist_is_offered_the_agree_button(client_for, personas, record):
    detail = url_for(record, "formulation_detail", ("participant", "draft_formulation"))
    agree = url_for(record, "formulation_agree", ("participant", "draft_formulation"))
    assert agree in client_for(personas["psychologist"]).get(detail).content.decode()
    for persona in ("keyworker", "offender_manager", "colleague"):
        assert agree not in client_for(personas[persona]).get(detail).content.decode(), persona


# --- Unknown records ----------------------------------------------------------------------

OBJECT_ARGS = ("submitted_plan", "draft_formulation")
ALL_URLS = [pytest.param(page.name, page.args, id=page.case) for page in GET_PAGES] + [
    pytest.param(name, args, id=name) for name, args in POST_ONLY.items()
]


def request_as_manager(client_for, personas, name: str, url: str):
    browser = client_for(personas["service_manager"])
    return browser.post(url) if name in POST_ONLY else browser.get(url)


@pytest.mark.parametrize(
    ("name", "args"),
    [param for param in ALL_URLS if set(param.values[1]) & set(OBJECT_ARGS)],
)
def test_a_made_up_plan_or_formulation_is_not_found(client_for, personas, record, name, args):
    made_up = {**record, **{arg: SimpleNamespace(pk=uuid.uuid4()) for arg in OBJECT_ARGS}}
    response = request_as_manager(client_for, personas, name, url_for(made_up, name, args))
    assert_status(response, 404)


@pytest.mark.parametrize(("name", "args"), ALL_URLS)
def test_a_made_up_participant_is_not_found(client_for, personas, record, name, args):
    made_up = {**record, "participant": SimpleNamespace(pk=uuid.uuid4())}
    response = request_as_manager(client_for, personas, name, url_for(made_up, name, args))
    assert_status(response, 404)


@pytest.mark.parametrize("kind", ["plans", "contact", "Plan", "timeline"])
def test_a_history_of_an_unknown_kind_is_not_found(client_for, personas, participant, kind):
    url = reverse("riskplans:history", args=[participant.pk, kind])
    assert_status(client_for(personas["service_manager"]).get(url), 404)


@pytest.fixture
def another_mans_record(personas, service):
    """Another participant of the same service, his team the same as Jamal's."""
    from tests.factories import ParticipantFactory, allocate_team

    other = allocate_team(
        ParticipantFactory(service=service, given_name="Liam", family_name="Doherty"),
        manager=personas["service_manager"],
        om=personas["offender_manager"],
        keyworker=personas["keyworker"],
        psychologist=personas["psychologist"],
    )
    return {
        "submitted_plan": submitted_plan(other, personas["keyworker"]),
        "draft_formulation": services.start_formulation(
            participant=other, actor=personas["psychologist"]
        ),
    }


@pytest.mark.parametrize(
    ("name", "args"),
    [param for param in ALL_URLS if set(param.values[1]) & set(OBJECT_ARGS)],
)
def test_another_mans_plan_or_formulation_is_not_found_through_jamals_record(
    client_for, personas, record, another_mans_record, name, args
):
    mixed = {**record, **another_mans_record}
    response = request_as_manager(client_for, personas, name, url_for(mixed, name, args))
    assert response.status_code == 404
    for obj in another_mans_record.values():
        obj.refresh_from_db()
    assert another_mans_record["submitted_plan"].status == PlanStatus.SUBMITTED
    assert another_mans_record["draft_formulation"].status == FormulationStatus.DRAFT


# --- A new formulation version, asked first (issue 27) ------------------------------------


def agreed_formulation(participant, personas):
    draft = services.start_formulation(participant=participant, actor=personas["psychologist"])
    draft = services.save_formulation(
        formulation=draft,
        actor=personas["psychologist"],
        expected_version=draft.lock_version,
        changes={"exits": "Naming the pattern early", "shared_with_him_on": days_ago(3)},
    )
    return services.make_formulation_current(formulation=draft, actor=personas["psychologist"])


def test_asking_to_start_a_new_formulation_version_creates_nothing(
    client_for, personas, participant
):
    agreed = agreed_formulation(participant, personas)
    url = reverse("riskplans:formulation_start", args=[participant.pk])
    response = client_for(personas["keyworker"]).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Start version 2 of his formulation" in page
    assert f"starts as a copy of version {agreed.number} (agreed on" in page
    assert 'method="post"' in page and f'action="{url}"' in page
    assert list(Formulation.objects.filter(participant=participant)) == [agreed]


def test_starting_a_new_formulation_version_copies_the_agreed_one_into_one_draft(
    client_for, personas, participant
):
    agreed = agreed_formulation(participant, personas)
    browser = client_for(personas["keyworker"])
    response = browser.post(reverse("riskplans:formulation_start", args=[participant.pk]))
    drafts = list(Formulation.objects.filter(participant=participant, status="draft"))
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.number == 2 and draft.author == personas["keyworker"]
    assert draft.exits == agreed.exits == "Naming the pattern early"
    assert draft.shared_with_him_on is None  # shared is about that version, not this one
    assert response.url == reverse("riskplans:formulation_edit", args=[participant.pk, draft.pk])
    agreed.refresh_from_db()
    assert agreed.status == FormulationStatus.CURRENT

    # Again, with the draft open: none is started, and the page links to the open one.
    for ask in (browser.get, browser.post):
        response = ask(reverse("riskplans:formulation_start", args=[participant.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Version 2 is already a draft" in page
        assert reverse("riskplans:formulation_detail", args=[participant.pk, draft.pk]) in page
    assert Formulation.objects.filter(participant=participant).count() == 2


def test_the_overview_asks_before_starting_a_formulation(client_for, personas, participant):
    page = (
        client_for(personas["keyworker"])
        .get(reverse("riskplans:overview", args=[participant.pk]))
        .content.decode()
    )
    start = reverse("riskplans:formulation_start", args=[participant.pk])
    assert f'href="{start}"' in page and f'action="{start}"' not in page
