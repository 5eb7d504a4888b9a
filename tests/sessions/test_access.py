"""Who may open which page of key-work (sessions): every URL against every persona.

The rules (resettle/access.py, resettle/accounts/roles.py): anonymous people are sent to sign
in; every case role of the service (offender manager, keyworkers, psychologist, service
manager) may open My day, create a session, open a session of the service, write a note on it
and open a participant's Sessions tab; staff of another service get 404 on the service's
sessions, notes and participants (their existence is never revealed) and open their own lists;
the crisis-line worker, administrators and commissioners see no case data (403).

Notes: only the author changes a note (within the edit window); anyone else who may read it is
sent to add an addendum instead. A note restricted to one agency is refused (403) to staff of
the other: the health-only note of the record is refused to the offender manager (probation).
Enforcement and recall decisions are the allocated offender manager's or the service
manager's.
"""

import datetime
import uuid
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import (
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    Outcome,
    RecallDecision,
    SessionNote,
    SessionType,
    Visibility,
)
from tests.access_matrix import PERSONAS, assert_status, persona_cases, sign_in_as
from tests.factories import ParticipantFactory
from tests.world import from_world

pytestmark = pytest.mark.django_db


# What each kind of page allows. Columns are the kinds; every persona has one row.
#   list      – pages that list or create (My day, a new session): the outsiders open them
#               for their own service
#   obj       – a page about one of the service's sessions or participants (session, register,
#               an outcome, a note on the session, his Sessions tab)
#   note_edit – changing the health-only note: its author (within the window); others who may
#               read it are redirected (302) to the addendum page; probation staff 403
#   note_read – an addendum to the health-only note, or marking its risk concern seen: health
#               staff of the service (the service manager's agency is health); probation 403
#   enforce   – enforcement and recall decisions: the allocated OM and the service manager
#   correct   – correcting a recorded outcome: whoever recorded it, the same day (here his
#               keyworker, today), his allocated OM and the service manager
KINDS = ("list", "obj", "note_edit", "note_read", "enforce", "manager", "correct")
EXPECTED = {
    #                  list  obj  note_edit note_read enforce manager correct
    "anonymous": (302, 302, 302, 302, 302, 302, 302),
    "offender_manager": (200, 200, 403, 403, 200, 403, 200),
    "keyworker": (200, 200, 200, 200, 403, 403, 200),
    "psychologist": (200, 200, 302, 200, 403, 403, 403),
    "colleague": (200, 200, 302, 200, 403, 403, 403),
    "service_manager": (200, 200, 302, 200, 200, 200, 200),
    "crisis_worker": (403, 403, 403, 403, 403, 403, 403),
    "administrator": (403, 403, 403, 403, 403, 403, 403),
    "commissioner": (403, 403, 403, 403, 403, 403, 403),
    "outsider": (200, 404, 404, 404, 404, 403, 404),
    "outsider_manager": (200, 404, 404, 404, 404, 200, 404),  # his own service's thresholds
}


def expected_status(persona: str, kind: str) -> int:
    return EXPECTED[persona][KINDS.index(kind)]


class Page(NamedTuple):
    case: str
    name: str
    kind: str
    args: tuple = ()


# Every GET page in sessions/urls.py. Args name objects of the record fixture.
GET_PAGES = (
    Page("my_day", "my_day", "list"),
    Page("session_add", "session_add", "list"),
    Page("session_detail", "session_detail", "obj", ("session",)),
    Page("session_edit", "session_edit", "obj", ("session",)),
    Page("compliance_policy", "compliance_policy", "manager"),
    Page("note_add", "note_add", "obj", ("session", "participant")),
    Page("note_edit", "note_edit", "note_edit", ("note",)),
    Page("note_addendum", "note_addendum", "note_read", ("note",)),
    Page("participant_sessions", "participant_sessions", "obj", ("participant",)),
    Page("enforcement_add", "enforcement_add", "enforce", ("participant",)),
    Page("recall_add", "recall_add", "enforce", ("participant", "decision")),
    Page("correct_outcome", "correct_outcome", "correct", ("recorded_session", "recorded")),
)
# POST-only URLs, the arguments they are addressed with, and the kind of right they need.
POST_ONLY = {
    "register": (("session",), "obj"),
    "record_outcome": (("session", "attendance"), "obj"),
    # The concern is addressed to his offender manager (or the service manager): marking it
    # seen reveals nothing of a restricted note, so agency does not matter here.
    "risk_concern_seen": (("note",), "enforce"),
}


def test_the_table_covers_every_url_of_the_app():
    from sessions.urls import urlpatterns

    covered = {page.name for page in GET_PAGES} | set(POST_ONLY)
    assert covered == {pattern.name for pattern in urlpatterns}


def test_every_persona_has_a_row_and_every_row_every_kind():
    assert set(EXPECTED) == set(PERSONAS)
    assert all(len(row) == len(KINDS) for row in EXPECTED.values())


# --- The record ---------------------------------------------------------------------------


def group_session(service, actor, participants, *, hours_ago: int = 1, staff=None):
    now = timezone.localtime()
    starts = now - datetime.timedelta(hours=hours_ago)
    if hours_ago <= 1 and starts.date() != now.date():  # just after midnight: keep it today
        starts = now - datetime.timedelta(seconds=min(30, now.second + now.minute * 60))
    return services.create_session(
        service=service,
        actor=actor,
        session_type=SessionType.GROUP,
        title="Cooking group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        location_kind="centre",
        staff=staff or [actor],
        participants=participants,
    )


def record_of(participant, personas, service) -> dict:
    """A group session with Jamal that started an hour ago (staff: his keyworker), her
    health-only note on it with a risk concern, and the OM's decision to consider recall."""
    keyworker = personas["keyworker"]
    session = group_session(service, keyworker, [participant])
    note = services.add_note(
        session=session,
        participant=participant,
        actor=keyworker,
        note=SessionNote(
            summary="Talked about his drinking and his sister",
            narrative="Says he has been sleeping badly since the row with his landlord.",
            risk_concern="Mentioned seeing his former partner in town",
            visibility=Visibility.HEALTH,
            risk_concern_shared="He may be breaching his non-contact condition",
        ),
    )
    decision = services.record_enforcement(
        participant=participant,
        actor=personas["offender_manager"],
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED,
        decided_on=timezone.localdate(),
        reason="Missed three sessions and seen near the exclusion zone",
    )
    # Key-work an hour ago (run by his psychologist, so nobody else's day changes): his
    # keyworker recorded him late today, an outcome she, his OM and the manager may correct.
    recorded_session = group_session(
        service, keyworker, [participant], staff=[personas["psychologist"]]
    )
    recorded = services.record_outcome(
        attendance=recorded_session.attendances.get(), outcome=Outcome.LATE, actor=keyworker
    )
    return {
        "participant": participant,
        "session": session,
        "attendance": session.attendances.get(participant=participant),
        "note": note,
        "decision": decision,
        "recorded_session": recorded_session,
        "recorded": recorded,
    }


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """The people, Jamal and his record, built once for the module (tests/world.py)."""
    with django_db_blocker.unblock():
        record = record_of(world["participant"], world["personas"], world["service"])
    return {**world, "record": record}


service, other_service, personas, participant, record = from_world(
    "service", "other_service", "personas", "participant", "record"
)


def url_for(record, name: str, args: tuple) -> str:
    return reverse(f"keywork:{name}", args=[record[arg].pk for arg in args])


@pytest.mark.parametrize(("page", "persona", "expected"), persona_cases(GET_PAGES, expected_status))
def test_each_page_answers_each_persona_as_the_rules_say(
    client, client_for, personas, record, page, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    if page.kind == "correct" and persona == "keyworker":
        # Hers to correct on the day she recorded it only (a run that passes midnight).
        recorded_on = timezone.localdate(
            Attendance.objects.get(pk=record["recorded"].pk).recorded_at
        )
        expected = 200 if recorded_on == timezone.localdate() else 403
    response = browser.get(url_for(record, page.name, page.args))
    if page.name == "note_edit" and persona != "anonymous" and expected == 302:
        # Not her note: sent to add an addendum, not to sign in.
        assert response.status_code == 302
        assert response.url == url_for(record, "note_addendum", ("note",))
        return
    assert_status(response, expected)


# --- What the pages show ------------------------------------------------------------------

OUTSIDERS = ("outsider", "outsider_manager")


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("name", ["my_day", "session_add"])
def test_the_outsiders_lists_say_nothing_of_jamal_or_his_session(
    client_for, personas, record, persona, name
):
    response = client_for(personas[persona]).get(reverse(f"keywork:{name}"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Jamal" not in body and "Okoro" not in body
    assert str(record["session"].pk) not in body


def test_the_keyworkers_day_lists_the_session(client_for, personas, record):
    response = client_for(personas["keyworker"]).get(reverse("keywork:my_day"))
    assert [s.pk for s in response.context["sessions"]] == [record["session"].pk]
    assert "Jamal Okoro" in response.content.decode()


@pytest.mark.parametrize("persona", ["offender_manager", "keyworker", "service_manager"])
def test_the_session_shows_the_health_only_note_only_to_health_staff(
    client_for, personas, record, persona
):
    response = client_for(personas[persona]).get(url_for(record, "session_detail", ("session",)))
    assert response.status_code == 200
    body = response.content.decode()
    (note,) = response.context["notes"]
    readable = persona != "offender_manager"
    assert note.restricted is not readable
    assert ("Talked about his drinking" in body) is readable
    assert ("former partner" in body) is readable


# --- POST-only URLs -----------------------------------------------------------------------


def post_url(record, name: str) -> str:
    return url_for(record, name, POST_ONLY[name][0])


@pytest.mark.parametrize("name", list(POST_ONLY))
def test_post_only_urls_refuse_a_get(client_for, personas, record, name):
    response = client_for(personas["service_manager"]).get(post_url(record, name))
    assert response.status_code == 405


def outcome_of(record) -> Attendance:
    return Attendance.objects.get(pk=record["attendance"].pk)


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "obj")) for p in PERSONAS]
)
def test_the_team_takes_the_register(client, client_for, personas, record, persona, expected):
    attendance = record["attendance"]
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        post_url(record, "register"), {f"a{attendance.pk}_outcome": Outcome.ATTENDED}
    )
    if expected == 200:  # allowed: recorded by him or her, and back to the session
        assert response.status_code == 302
        assert response.url == url_for(record, "session_detail", ("session",))
        recorded = outcome_of(record)
        assert recorded.outcome == Outcome.ATTENDED
        assert recorded.recorded_by == personas[persona]
    else:
        assert_status(response, expected)
        assert outcome_of(record).outcome == ""


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "obj")) for p in PERSONAS]
)
def test_the_team_records_one_outcome(client, client_for, personas, record, persona, expected):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(post_url(record, "record_outcome"), {"outcome": Outcome.LATE})
    if expected == 200:  # allowed: recorded, and back to My day
        assert response.status_code == 302
        assert response.url == reverse("keywork:my_day")
        recorded = outcome_of(record)
        assert recorded.outcome == Outcome.LATE
        assert recorded.recorded_by == personas[persona]
        assert record["participant"].timeline_events.filter(title__contains="late").exists()
    else:
        assert_status(response, expected)
        assert outcome_of(record).outcome == ""


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "enforce")) for p in PERSONAS]
)
def test_the_offender_manager_marks_the_risk_concern_seen(
    client, client_for, personas, record, persona, expected
):
    note = record["note"]
    browser = sign_in_as(client, client_for, personas, persona)
    # What the page showed them beside "Mark as seen": the concern to health staff, what the
    # OM needs to know to probation.
    readable = persona == "service_manager"
    shown = SessionNote.fingerprint(note.concern_for(readable))
    response = browser.post(post_url(record, "risk_concern_seen"), {"shown": shown})
    note.refresh_from_db()
    if expected == 200:
        assert response.status_code == 302
        assert response.url == reverse("core:home")
        assert note.risk_concern_seen_at is not None
        assert note.risk_concern_seen_by == personas[persona]
    else:
        assert_status(response, expected)
        assert note.risk_concern_seen_at is None


# --- Writes through the GET pages ---------------------------------------------------------

ADDENDUM = {"text": "He rang later: he has an appointment with his GP on Monday"}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "note_read")) for p in PERSONAS]
)
def test_only_health_staff_of_the_service_add_an_addendum_to_the_health_only_note(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_for(record, "note_addendum", ("note",)), ADDENDUM)
    addenda = NoteAddendum.objects.filter(note=record["note"])
    if expected == 200:
        assert response.status_code == 302
        assert response.url == url_for(record, "session_detail", ("session",))
        assert [(a.author, a.text) for a in addenda] == [(personas[persona], ADDENDUM["text"])]
    else:
        assert_status(response, expected)
        assert not addenda.exists()


NOTE_CHANGE = {
    "summary": "Talked about his drinking, his sister and his GP",
    "narrative": "",
    "risk_concern": "",
    "visibility": Visibility.HEALTH,
}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "note_edit")) for p in PERSONAS]
)
def test_only_the_author_changes_her_note(client, client_for, personas, record, persona, expected):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_for(record, "note_edit", ("note",)), NOTE_CHANGE)
    note = SessionNote.objects.get(pk=record["note"].pk)
    if expected == 200:
        assert response.status_code == 302
        assert response.url == url_for(record, "session_detail", ("session",))
        assert note.summary == NOTE_CHANGE["summary"]
        return
    if persona != "anonymous" and expected == 302:
        assert response.url == url_for(record, "note_addendum", ("note",))
    else:
        assert_status(response, expected)
    assert note.summary == "Talked about his drinking and his sister"


def test_the_author_cannot_change_her_note_after_the_window(client_for, personas, record):
    SessionNote.objects.filter(pk=record["note"].pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=SessionNote.EDIT_WINDOW_MINUTES + 1)
    )
    response = client_for(personas["keyworker"]).post(
        url_for(record, "note_edit", ("note",)), NOTE_CHANGE
    )
    assert response.status_code == 302
    assert response.url == url_for(record, "note_addendum", ("note",))
    assert SessionNote.objects.get(pk=record["note"].pk).summary.endswith("his sister")


NEW_NOTE = {"summary": "Short check-in after the group", "visibility": Visibility.SHARED}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "obj")) for p in PERSONAS]
)
def test_the_team_writes_a_note_on_the_session(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_for(record, "note_add", ("session", "participant")), NEW_NOTE)
    written = SessionNote.objects.filter(summary=NEW_NOTE["summary"])
    if expected == 200:
        assert response.status_code == 302
        assert [n.author for n in written] == [personas[persona]]
    else:
        assert_status(response, expected)
        assert not written.exists()


ENFORCEMENT = {
    "decision": EnforcementDecision.Decision.FIRST_WARNING,
    "reason": "",
}


def date_fields(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "enforce")) for p in PERSONAS]
)
def test_only_the_om_and_the_manager_record_an_enforcement_decision(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        url_for(record, "enforcement_add", ("participant",)),
        {**ENFORCEMENT, **date_fields("decided_on", timezone.localdate())},
    )
    warnings = EnforcementDecision.objects.filter(decision=ENFORCEMENT["decision"])
    if expected == 200:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response.url == url_for(record, "participant_sessions", ("participant",))
        assert [w.decided_by for w in warnings] == [personas[persona]]
    else:
        assert_status(response, expected)
        assert not warnings.exists()


RECALL = {
    "why": RecallDecision.Why.CONTACT,
    "alternatives_tried": [RecallDecision.Alternative.WARNING],
    "senior_manager_rationale": "Contact lost for a week; one more chance with more contact",
    "outcome": RecallDecision.Outcome.NO_RECALL,
}


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "enforce")) for p in PERSONAS]
)
def test_only_the_om_and_the_manager_record_the_recall_decision(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        url_for(record, "recall_add", ("participant", "decision")),
        {**RECALL, **date_fields("decided_on", timezone.localdate())},
    )
    decisions = RecallDecision.objects.filter(enforcement=record["decision"])
    if expected == 200:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert response.url == url_for(record, "participant_sessions", ("participant",))
        assert [d.decided_by for d in decisions] == [personas[persona]]
    else:
        assert_status(response, expected)
        assert not decisions.exists()


# --- Outcomes: another service's session, and a second outcome ----------------------------


@pytest.fixture
def man_of_another_service(other_service):
    return ParticipantFactory(service=other_service, given_name="Liam", family_name="Doherty")


@pytest.fixture
def other_services_session(personas, other_service, man_of_another_service):
    return group_session(other_service, personas["outsider"], [man_of_another_service])


@pytest.mark.parametrize("persona", ["keyworker", "offender_manager", "service_manager"])
def test_an_outcome_for_a_man_of_another_services_session_is_not_found(
    client_for, personas, record, other_services_session, persona
):
    theirs = other_services_session.attendances.get()
    browser = client_for(personas[persona])
    for session_pk in (other_services_session.pk, record["session"].pk):
        url = reverse("keywork:record_outcome", args=[session_pk, theirs.pk])
        response = browser.post(url, {"outcome": Outcome.UNACCEPTABLE_ABSENCE})
        assert response.status_code == 404
        assert "Doherty" not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.outcome == ""


def test_an_outcome_is_not_recorded_twice(client_for, personas, record):
    browser = client_for(personas["keyworker"])
    url = post_url(record, "record_outcome")
    assert browser.post(url, {"outcome": Outcome.ATTENDED}).status_code == 302
    response = browser.post(url, {"outcome": Outcome.UNACCEPTABLE_ABSENCE})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("already recorded for Jamal Okoro" in m for m in said), said
    recorded = outcome_of(record)
    assert recorded.outcome == Outcome.ATTENDED
    assert recorded.recorded_by == personas["keyworker"]
    jamal = record["participant"]
    assert not jamal.timeline_events.filter(title__contains="unacceptable").exists()


# --- Unknown records ----------------------------------------------------------------------

OBJECT_ARGS = ("participant", "session", "note", "decision", "recorded_session")
OBJECT_URLS = [
    pytest.param(page.name, page.args, id=page.case)
    for page in GET_PAGES
    if set(page.args) & set(OBJECT_ARGS)
] + [
    pytest.param(name, args, id=name)
    for name, (args, _kind) in POST_ONLY.items()
    if set(args) & set(OBJECT_ARGS)
]


@pytest.mark.parametrize(("name", "args"), OBJECT_URLS)
def test_a_made_up_session_note_or_participant_is_not_found(
    client_for, personas, record, name, args
):
    made_up = {**record, **{arg: SimpleNamespace(pk=uuid.uuid4()) for arg in OBJECT_ARGS}}
    browser = client_for(personas["service_manager"])
    url = url_for(made_up, name, args)
    response = browser.post(url, {}) if name in POST_ONLY else browser.get(url)
    assert_status(response, 404)


def test_a_made_up_attendance_is_not_found(client_for, personas, record):
    url = reverse("keywork:record_outcome", args=[record["session"].pk, 10**9])
    response = client_for(personas["keyworker"]).post(url, {"outcome": Outcome.ATTENDED})
    assert_status(response, 404)
    url = reverse("keywork:correct_outcome", args=[record["recorded_session"].pk, 10**9])
    assert_status(client_for(personas["service_manager"]).get(url), 404)


def test_an_attendance_of_another_session_is_not_corrected_through_this_one(
    client_for, personas, record
):
    """The row must be of the session in the address: another session's row is not found."""
    url = reverse("keywork:correct_outcome", args=[record["session"].pk, record["recorded"].pk])
    assert_status(client_for(personas["service_manager"]).get(url), 404)
