"""Someone excluded from a man's record is refused everything that names him, on every URL.

The URL conf is walked, not listed by hand: every URL of the project has a row in ROUTES
saying whether its object names Jamal ("his": refused, 403 "You are excluded" or 404, the
refusal in the access log, and a POST changes nothing anywhere in the database), whether it is
a page that may list him among others ("shows": it answers, and neither his name nor any of
his records' words are on it), or whether it names no man ("none"). A new URL without a row
fails `test_every_url_has_an_exclusion_row`.

Two people are excluded from Jamal's record: Tom, a keyworker of the service who runs the
group Jamal attends, and Dana, a second service manager of the service. The world is built
once per person; each test walks every route.
"""

import datetime
import pprint
from collections.abc import Callable
from typing import NamedTuple

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisline import services as crisis_services
from crisisline.models import CallerType, CrisisCall, Urgency
from participants import services as participant_services
from participants.models import Contact, Exclusion, Goal, Licence, LicenceCondition
from reports import services as report_services
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog
from riskplans import services as plan_services
from sessions import services as session_services
from sessions.models import EnforcementDecision, SessionNote, SessionType, Visibility
from tests.core.test_url_matrix import url_names
from tests.factories import ParticipantFactory, staff_member
from tests.fuzzing import changed_tables, snapshot

pytestmark = pytest.mark.django_db

# Words only Jamal's records hold: none may reach someone excluded from him.
HIS_WORDS = (
    "Okoro",
    "MARKER-NOTE-SUMMARY",
    "MARKER-RISK-CONCERN",
    "MARKER-ADDENDUM",
    "MARKER-CALL",
    "MARKER-CONTINGENCY",
)


class Route(NamedTuple):
    kind: str  # "his", "shows" or "none"
    args: Callable[[dict], list] | None = None
    query: str = ""
    post: Callable[[dict], dict] | None = None  # data for a POST that would change his record


def his(args=None, post=None, query=""):
    return Route("his", args or (lambda w: [w["jamal"].pk]), query, post)


def shows(args=None, query=""):
    return Route("shows", args, query)


NONE = Route("none")


def jamal_and(key: str):
    return lambda w: [w["jamal"].pk, w[key].pk]


ROUTES: dict[str, Route] = {
    # Core and accounts: no man is named.
    "core:home": shows(),
    "core:healthz": NONE,
    "core:sign_in_redirect": NONE,
    **dict.fromkeys(
        (
            "accounts:login",
            "accounts:logout",
            "accounts:two_factor_setup",
            "accounts:two_factor_verify",
            "accounts:set_up",
            "accounts:stay_signed_in",
            "accounts:staff_list",
            "accounts:staff_add",
            "accounts:account_log",
            "accounts:staff_detail",
            "accounts:staff_work_phone",
            "accounts:membership_add",
            "accounts:membership_remove",
            "accounts:account_action",
        ),
        NONE,
    ),
    # Participants.
    "participants:caseload": shows(query="?q=A1234BC"),
    "participants:my_caseload": shows(),
    "participants:referral_list": shows(),
    "participants:referral_create": NONE,
    "participants:referral_detail": his(lambda w: [w["referral"].pk]),
    "participants:referral_assess": his(lambda w: [w["referral"].pk], post=lambda w: {}),
    "participants:referral_accept": his(lambda w: [w["referral"].pk]),
    "participants:referral_decline": his(
        lambda w: [w["referral"].pk], post=lambda w: {"reason": "x", "category": "other"}
    ),
    "participants:referral_withdraw": his(lambda w: [w["referral"].pk], post=lambda w: {}),
    "participants:retention_list": shows(),
    "participants:retention_decisions": shows(),
    "participants:retention_review": his(),
    "participants:retention_delete": his(post=lambda w: {"confirm": "on"}),
    "participants:retention_referral_review": his(lambda w: [w["referral"].pk]),
    "participants:retention_referral_delete": his(
        lambda w: [w["referral"].pk], post=lambda w: {"confirm": "on"}
    ),
    "participants:overview": his(),
    "participants:timeline": his(),
    "participants:history": his(),
    "participants:edit_details": his(
        post=lambda w: {"given_name": "Changed", "family_name": "Okoro", "version": 1}
    ),
    "participants:contact_add": his(
        post=lambda w: {"name": "Someone", "relationship": "Friend", "phone": "0151 000 0000"}
    ),
    "participants:contact_edit": his(
        jamal_and("contact"), post=lambda w: {"name": "Changed", "relationship": "Friend"}
    ),
    "participants:contact_remove": his(jamal_and("contact"), post=lambda w: {}),
    "participants:goal_add": his(post=lambda w: {"in_his_words": "A new goal"}),
    "participants:goal_edit": his(
        jamal_and("goal"), post=lambda w: {"in_his_words": "Changed", "progress": "started"}
    ),
    "participants:change_stage": his(
        lambda w: [w["jamal"].pk, "recalled"],
        post=lambda w: {"effective_on": timezone.localdate().isoformat(), "reason": "x"},
    ),
    "participants:release_plan": his(post=lambda w: {"collected_by": "Changed"}),
    "participants:licence": his(
        post=lambda w: {"starts_on": "2026-01-01", "ends_on": "2028-01-01"}
    ),
    "participants:condition_add": his(
        post=lambda w: {"category": "curfew", "text": "x", "starts_on": "2026-01-01"}
    ),
    "participants:condition_edit": his(
        jamal_and("condition"),
        post=lambda w: {"category": "curfew", "text": "Changed", "starts_on": "2026-01-01"},
    ),
    "participants:allocate": his(post=lambda w: {}),
    "participants:pathway_needs": his(post=lambda w: {}),
    "participants:outcome_add": his(post=lambda w: {}),
    "participants:record_access": his(post=lambda w: {"staff": w["lee"].pk, "reason": "x"}),
    "participants:exclusion_lift": his(jamal_and("tom_exclusion"), post=lambda w: {}),
    "participants:temporary_access_end": his(jamal_and("grant"), post=lambda w: {}),
    "participants:temporary_access": his(post=lambda w: {"reason": "Covering", "hours": 24}),
    # Risk and plans.
    "riskplans:overview": his(),
    "riskplans:assessment_add": his(post=lambda w: {"assessed_on": "2026-11-01"}),
    "riskplans:plan_start": his(post=lambda w: {}),
    "riskplans:plan_detail": his(jamal_and("plan")),
    "riskplans:plan_edit": his(jamal_and("plan"), post=lambda w: {"contingency_plan": "Changed"}),
    "riskplans:plan_submit": his(jamal_and("plan"), post=lambda w: {}),
    "riskplans:plan_decide": his(
        jamal_and("plan"), post=lambda w: {"decision": "approve", "comment": "Fine"}
    ),
    "riskplans:formulation_start": his(post=lambda w: {}),
    "riskplans:formulation_detail": his(jamal_and("formulation")),
    "riskplans:formulation_edit": his(
        jamal_and("formulation"), post=lambda w: {"presenting_problems": "Changed"}
    ),
    "riskplans:formulation_agree": his(jamal_and("formulation"), post=lambda w: {}),
    "riskplans:history": his(lambda w: [w["jamal"].pk, "plan"]),
    # Crisis line.
    "crisisline:search": shows(query="?q=A1234BC"),
    "crisisline:summary": his(),
    "crisisline:call_list": shows(),
    "crisisline:call_add": shows(),
    "crisisline:call_detail": his(lambda w: [w["call"].pk]),
    "crisisline:call_link": his(lambda w: [w["call"].pk], post=lambda w: {"participant": ""}),
    "crisisline:call_acknowledge": his(
        lambda w: [w["call"].pk], post=lambda w: {"note": "Seen by the day team"}
    ),
    "crisisline:handover": shows(),
    "crisisline:bank_holidays": NONE,
    "crisisline:bank_holiday_remove": NONE,
    "crisisline:closure_days": NONE,
    "crisisline:closure_day_remove": NONE,
    "crisisline:participant_calls": his(),
    # Key-work: the group session names Jamal and Sam; the excluded may open it (they run
    # it) but Jamal's row says nothing of him.
    "keywork:my_day": shows(),
    "keywork:session_add": shows(),
    "keywork:compliance_policy": NONE,
    "keywork:session_detail": shows(lambda w: [w["session"].pk]),
    "keywork:session_edit": shows(lambda w: [w["session"].pk]),
    "keywork:register": Route(
        "shows",
        lambda w: [w["session"].pk],
        post=lambda w: {f"a{w['attendance'].pk}_outcome": "unacceptable_absence"},
    ),
    "keywork:record_outcome": his(
        lambda w: [w["session"].pk, w["attendance"].pk],
        post=lambda w: {"outcome": "unacceptable_absence"},
    ),
    "keywork:correct_outcome": his(
        lambda w: [w["recorded_session"].pk, w["recorded"].pk],
        post=lambda w: {
            "outcome": "unacceptable_absence",
            "reason": "Marked late by mistake: he never came",
        },
    ),
    "keywork:note_add": his(
        lambda w: [w["session"].pk, w["jamal"].pk],
        post=lambda w: {
            "summary": "A new note",
            "narrative": "x",
            "visibility": "shared",
            "risk_concern": "A new concern",
        },
    ),
    "keywork:note_edit": his(
        lambda w: [w["note"].pk],
        post=lambda w: {"summary": "Changed", "narrative": "x", "visibility": "shared"},
    ),
    "keywork:note_addendum": his(lambda w: [w["note"].pk], post=lambda w: {"text": "Added"}),
    "keywork:risk_concern_seen": his(lambda w: [w["note"].pk], post=lambda w: {}),
    "keywork:participant_sessions": his(),
    "keywork:enforcement_add": his(
        post=lambda w: {
            "decision": "warning",
            "decided_on": timezone.localdate().isoformat(),
            "reason": "x",
        }
    ),
    "keywork:recall_add": his(jamal_and("decision"), post=lambda w: {"outcome": "no_recall"}),
    # Reports: the compliance report is about Jamal.
    "reports:list": shows(),
    "reports:compliance_new": shows(),
    "reports:commissioner_new": NONE,
    "reports:national_new": NONE,
    "reports:detail": his(lambda w: [w["report"].pk]),
    "reports:progress": his(lambda w: [w["report"].pk]),
    "reports:download": his(lambda w: [w["report"].pk]),
    "reports:retry": his(lambda w: [w["report"].pk], post=lambda w: {}),
    "reports:approve": his(lambda w: [w["report"].pk], post=lambda w: {}),
    "reports:produce_again": his(lambda w: [w["report"].pk], post=lambda w: {}),
}


def test_every_url_has_an_exclusion_row():
    names = {name for name in url_names() if not name.startswith("admin:")}
    assert names - set(ROUTES) == set(), "add a row to ROUTES for each new URL"


# --- The world ------------------------------------------------------------------------------


def build_world(personas, participant, service) -> dict:
    keyworker, manager = personas["keyworker"], personas["service_manager"]
    om, tom = personas["offender_manager"], personas["colleague"]
    dana = staff_member(Role.SERVICE_MANAGER, service, full_name="Dana Whitley")
    lee = staff_member(Role.HEALTH_KEYWORKER, service, full_name="Lee Barton")
    sam = ParticipantFactory(service=service, given_name="Sam", family_name="Whitfield")
    jamal = participant
    now = timezone.localtime()
    starts = now - datetime.timedelta(hours=3)
    session = session_services.create_session(
        service=service,
        actor=keyworker,
        session_type=SessionType.GROUP,
        title="Cooking group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location_kind="centre",
        staff=[keyworker, tom, dana],
        participants=[jamal, sam],
    )
    note = session_services.add_note(
        session=session,
        participant=jamal,
        actor=keyworker,
        note=SessionNote(
            summary="MARKER-NOTE-SUMMARY",
            narrative="Talked about his week.",
            risk_concern="MARKER-RISK-CONCERN",
            visibility=Visibility.SHARED,
        ),
    )
    session_services.add_addendum(note=note, actor=keyworker, text="MARKER-ADDENDUM")
    # His key-work this morning, recorded late by his keyworker: an outcome to correct.
    recorded_session = session_services.create_session(
        service=service,
        actor=keyworker,
        session_type=SessionType.KEYWORK,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=[jamal],
    )
    recorded = session_services.record_outcome(
        attendance=recorded_session.attendances.get(), outcome="late", actor=keyworker
    )
    decision = session_services.record_enforcement(
        participant=jamal,
        actor=om,
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED,
        decided_on=timezone.localdate(),
        reason="Missed sessions",
    )
    plan = plan_services.start_plan(participant=jamal, actor=keyworker)
    plan = plan_services.save_plan(
        plan=plan,
        actor=keyworker,
        expected_version=plan.lock_version,
        changes={
            "actions": [{"pillar": "supervision", "action": "Weekly", "owner": "OM", "due": "W"}],
            "contingency_plan": "MARKER-CONTINGENCY",
        },
    )
    plan = plan_services.submit_plan(plan=plan, actor=keyworker)
    formulation = plan_services.start_formulation(participant=jamal, actor=personas["psychologist"])
    started = timezone.now() - datetime.timedelta(hours=2)
    call = crisis_services.log_call(
        call=CrisisCall(
            service=service,
            participant=jamal,
            started_at=started,
            ended_at=started + datetime.timedelta(minutes=20),
            caller_type=CallerType.PARTICIPANT,
            presenting_issue="MARKER-CALL",
            urgency=Urgency.URGENT,
            follow_up_required=True,
            narrative="MARKER-CALL",
        ),
        actor=personas["crisis_worker"],
    )
    report, _sent = report_services.request_compliance_report(
        actor=om,
        participant=jamal,
        start=timezone.localdate() - datetime.timedelta(days=60),
        end=timezone.localdate(),
    )
    contact = Contact.objects.create(participant=jamal, name="His sister", relationship="Sister")
    goal = Goal.objects.create(participant=jamal, in_his_words="Get a flat")
    licence = Licence.objects.create(
        participant=jamal, starts_on=datetime.date(2026, 1, 5), ends_on=datetime.date(2028, 1, 5)
    )
    condition = LicenceCondition.objects.create(
        licence=licence, category="curfew", text="Home by 9pm", starts_on=licence.starts_on
    )
    grant = participant_services.grant_temporary_access(
        participant=jamal, actor=lee, reason="Covering Aisha this week"
    )
    tom_exclusion = participant_services.exclude_staff(
        participant=jamal, staff=tom, reason="Knows his family", actor=manager
    )
    participant_services.exclude_staff(
        participant=jamal, staff=dana, reason="Lives on his street", actor=manager
    )
    return {
        "jamal": jamal,
        "sam": sam,
        "referral": jamal.referral,
        "session": session,
        "attendance": session.attendances.get(participant=jamal),
        "recorded_session": recorded_session,
        "recorded": recorded,
        "note": note,
        "decision": decision,
        "plan": plan,
        "formulation": formulation,
        "call": call,
        "report": report,
        "contact": contact,
        "goal": goal,
        "condition": condition,
        "grant": grant,
        "tom_exclusion": tom_exclusion,
        "lee": lee,
        "tom": tom,
        "dana": dana,
    }


def url_of(name: str, route: Route, world: dict) -> str:
    args = route.args(world) if route.args else []
    return reverse(name, args=args) + route.query


def words_of_his_in(body: str) -> list[str]:
    return [word for word in HIS_WORDS if word in body]


@pytest.fixture
def world(personas, participant, service):
    return build_world(personas, participant, service)


@pytest.mark.parametrize("who", ["tom", "dana"])
def test_an_excluded_person_is_refused_everything_that_names_him(client, world, who):
    person = world[who]
    client.force_login(person)
    leaks, not_refused, unlogged, changed = [], [], [], []
    for name, route in ROUTES.items():
        if route.kind == "none":
            continue
        url = url_of(name, route, world)
        response = client.get(url)
        body = response.content.decode(errors="replace")
        if route.kind == "his":
            # 403 "You are excluded" (logged); or 404; or 403 for a page their role never opens.
            excluded = response.status_code == 403 and "excluded from this record" in body
            if response.status_code not in (403, 404, 405):
                not_refused.append((name, response.status_code))
            if (
                excluded
                and not AccessLog.objects.filter(
                    user=person, participant_id=world["jamal"].pk, allowed=False, page=url
                ).exists()
            ):
                unlogged.append(name)
        if words_of_his_in(body) and response.status_code != 405:
            leaks.append((name, response.status_code, words_of_his_in(body)))
        if route.post is not None:
            before = snapshot()
            response = client.post(url, route.post(world))
            difference = changed_tables(before, snapshot())
            if difference:
                changed.append((name, response.status_code, difference))
    found = {
        "pages about him that answered": not_refused,
        "pages that showed his name or his records": leaks,
        "refusals missing from the access log": unlogged,
        "posts that changed the records": changed,
    }
    if any(found.values()):
        pytest.fail(pprint.pformat({key: value for key, value in found.items() if value}))


def test_a_colleague_who_is_not_excluded_still_sees_him(client, world, personas):
    """The same pages answer someone who is not excluded: the test above is not passing
    because the pages refuse everyone."""
    client.force_login(personas["service_manager"])
    refused = []
    for name, route in ROUTES.items():
        if route.kind != "his" or name.startswith(("participants:retention", "reports:approve")):
            continue
        response = client.get(url_of(name, route, world))
        if response.status_code in (403, 404):
            refused.append((name, response.status_code))
    # Retention pages are for records past the period; approving is for commissioner
    # reports. Everything else about him opens for his service manager.
    assert refused == []
    body = client.get(reverse("keywork:session_detail", args=[world["session"].pk])).content
    assert b"Okoro" in body and b"Whitfield" in body


def test_the_excluded_see_the_session_they_run_without_him(client, world):
    client.force_login(world["tom"])
    response = client.get(reverse("keywork:session_detail", args=[world["session"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Whitfield" in body  # the other man on the register
    assert "excluded from" in body  # his row says only that there is someone they may not see
    assert words_of_his_in(body) == []


def test_exclusions_are_in_force(world):
    assert Exclusion.objects.active().filter(participant=world["jamal"]).count() == 2
