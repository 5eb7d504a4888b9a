"""An exclusion applies to everything in key-work that names him (issue 18, point 3).

Tom, a keyworker of the service who runs the Tuesday cooking group, has been excluded from
Jamal's record by the service manager. He may still open the group's session, but Jamal's row
reads "a participant you are excluded from" (no name, notes or outcome control), and every
page or write about Jamal alone is refused with "You are excluded from this record", changes
nothing, and reaches the access log. Priya, a keyworker of the same service who is not excluded
(and not in Jamal's team either), still sees and does all of it: no over-blocking.

The world is built once for the module (one transaction, rolled back at the end); each case
runs in its own savepoint.
"""

import datetime
from typing import NamedTuple

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from participants.models import Exclusion, Stage
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog
from sessions import selectors, services
from sessions.access import EXCLUDED_LABEL
from sessions.models import (
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    Outcome,
    OutcomeCorrection,
    Session,
    SessionNote,
    SessionType,
    Visibility,
)
from tests.factories import (
    ParticipantFactory,
    ServiceFactory,
    accepted_participant,
    allocate_team,
    staff_member,
)

SECRET = "JAMAL-SENTINEL-7f3a"  # in each of his notes, concerns and addenda
BEN_NOTE = "Ben talked about his allotment"


def starts_earlier_today(hours: float = 1) -> datetime.datetime:
    """A moment of today that has passed (just after midnight, a few seconds ago)."""
    now = timezone.localtime()
    starts = now - datetime.timedelta(hours=hours)
    if starts.date() != now.date():
        starts = now - datetime.timedelta(seconds=min(30, now.second + now.minute * 60))
    return starts


def group(service, staff, men, starts, *, title="Cooking group", hours=2) -> Session:
    return services.create_session(
        service=service,
        actor=staff[0],
        session_type=SessionType.GROUP,
        title=title,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=hours),
        location_kind="centre",
        staff=staff,
        participants=men,
    )


class World(NamedTuple):
    service: object
    people: dict
    jamal: object
    ben: object
    group: Session  # today, started, Jamal and Ben, outcomes missing (Tom and Aisha run it)
    only_jamal: Session  # yesterday, Jamal alone, outcome missing (Tom runs it)
    only_jamal_today: Session  # today, Jamal alone (Tom runs it)
    note: SessionNote  # Aisha's shared note about Jamal on the group, with a risk concern
    ben_note: SessionNote
    jamal_attendance: Attendance
    ben_attendance: Attendance
    decision: EnforcementDecision


def build_world() -> World:
    service = ServiceFactory(name="Resettle Merseyside")
    people = {
        "offender_manager": staff_member(Role.OFFENDER_MANAGER, service, full_name="Sarah Okafor"),
        "keyworker": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Aisha Rahman"),
        "excluded": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Tom Gallagher"),
        "colleague": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Priya Shah"),
        "service_manager": staff_member(Role.SERVICE_MANAGER, service, full_name="Joanne Kirkby"),
    }
    manager = people["service_manager"]
    jamal = accepted_participant(
        service=service, manager=manager, given_name="Jamal", family_name="Okoro"
    )
    ben = accepted_participant(
        service=service, manager=manager, given_name="Ben", family_name="Whitfield"
    )
    for man in (jamal, ben):
        allocate_team(
            man, manager=manager, om=people["offender_manager"], keyworker=people["keyworker"]
        )
    # Released: in the community, where his absences call for decisions.
    type(jamal).objects.filter(pk__in=[jamal.pk, ben.pk]).update(stage=Stage.COMMUNITY)
    jamal.refresh_from_db()
    ben.refresh_from_db()
    tom, aisha = people["excluded"], people["keyworker"]
    session = group(service, [tom, aisha], [jamal, ben], starts_earlier_today())
    yesterday = timezone.localtime() - datetime.timedelta(days=1, hours=1)
    only_jamal = group(service, [tom], [jamal], yesterday, title="Jamal's key-work", hours=1)
    only_jamal_today = group(
        service, [tom], [jamal], starts_earlier_today(), title="Jamal's phone call", hours=3
    )
    note = services.add_note(
        session=session,
        participant=jamal,
        actor=aisha,
        note=SessionNote(
            summary=f"Talked about his sister {SECRET}",
            narrative=f"Sleeping badly {SECRET}",
            risk_concern=f"Seen near his former partner's house {SECRET}",
            visibility=Visibility.SHARED,
        ),
    )
    services.add_addendum(note=note, actor=aisha, text=f"He rang later {SECRET}")
    ben_note = services.add_note(
        session=session,
        participant=ben,
        actor=aisha,
        note=SessionNote(summary=BEN_NOTE, visibility=Visibility.SHARED),
    )
    decision = services.record_enforcement(
        participant=jamal,
        actor=people["offender_manager"],
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED,
        decided_on=timezone.localdate(),
        reason="Missed three sessions",
    )
    participant_services.exclude_staff(
        participant=jamal, staff=tom, reason="Went to school with his brother", actor=manager
    )
    return World(
        service=service,
        people=people,
        jamal=jamal,
        ben=ben,
        group=session,
        only_jamal=only_jamal,
        only_jamal_today=only_jamal_today,
        note=note,
        ben_note=ben_note,
        jamal_attendance=session.attendances.get(participant=jamal),
        ben_attendance=session.attendances.get(participant=ben),
        decision=decision,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def tom(db, world, client):
    client.force_login(world.people["excluded"])
    return client


def refusals(world) -> int:
    return AccessLog.objects.filter(
        user=world.people["excluded"], participant_id=world.jamal.pk, allowed=False
    ).count()


def state(world) -> dict:
    """Everything a write about Jamal could change."""
    session = Session.objects.get(pk=world.group.pk)
    return {
        "outcomes": sorted(
            Attendance.objects.filter(participant=world.jamal).values_list("pk", "outcome")
        ),
        "ben_outcome": Attendance.objects.get(pk=world.ben_attendance.pk).outcome,
        "notes": SessionNote.objects.count(),
        "note": SessionNote.objects.filter(pk=world.note.pk).values().get(),
        "addenda": NoteAddendum.objects.count(),
        "session": (session.starts_at, session.ends_at, session.location_kind, session.enforceable),
        "sessions": Session.objects.count(),
        "decisions": EnforcementDecision.objects.count(),
        "corrections": OutcomeCorrection.objects.count(),
    }


# --- Every URL of the app that names a man ------------------------------------------------


class Case(NamedTuple):
    name: str  # the URL's name in sessions/urls.py
    args: tuple  # attributes of the world
    data: dict | None = None  # POSTed when given, else a GET


def date_fields(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


TODAY = timezone.localdate()
NOTE = {"summary": f"A new note {SECRET}", "visibility": Visibility.SHARED, "risk_concern": "x"}
SESSION_CHANGE = {
    **date_fields("date", TODAY),
    "start_time": "09:00",
    "end_time": "10:00",
    "location_kind": "remote",
}

# Pages and writes about Jamal alone (or a session naming him that they would change):
# refused, "You are excluded from this record", logged, nothing changed.
REFUSED = (
    Case("session_edit", ("group",)),
    Case("session_edit", ("group",), SESSION_CHANGE),
    Case("record_outcome", ("group", "jamal_attendance"), {"outcome": "unacceptable_absence"}),
    Case("correct_outcome", ("group", "jamal_attendance")),
    Case(
        "correct_outcome",
        ("group", "jamal_attendance"),
        {"outcome": "unacceptable_absence", "reason": f"Never came {SECRET}"},
    ),
    Case("note_add", ("group", "jamal")),
    Case("note_add", ("group", "jamal"), NOTE),
    Case("note_edit", ("note",)),
    Case("note_edit", ("note",), {**NOTE, "narrative": ""}),
    Case("note_addendum", ("note",)),
    Case("note_addendum", ("note",), {"text": f"An addendum {SECRET}"}),
    Case("risk_concern_seen", ("note",), {}),
    Case("participant_sessions", ("jamal",)),
    Case("enforcement_add", ("jamal",)),
    Case(
        "enforcement_add",
        ("jamal",),
        {"decision": "first_warning", "reason": "", **date_fields("decided_on", TODAY)},
    ),
    Case("recall_add", ("jamal", "decision")),
)
# Pages that show him among others: he is left out or his row is hidden.
HIDING = ("my_day", "session_add", "session_detail", "register")
# Names no man: the service's compliance thresholds.
NAMES_NO_MAN = ("compliance_policy",)


def url(world, case: Case) -> str:
    return reverse(f"keywork:{case.name}", args=[getattr(world, arg).pk for arg in case.args])


def test_every_url_of_the_app_has_a_case():
    from sessions.urls import urlpatterns

    covered = {case.name for case in REFUSED} | set(HIDING) | set(NAMES_NO_MAN)
    assert covered == {pattern.name for pattern in urlpatterns}


@pytest.mark.parametrize(
    "case", REFUSED, ids=lambda c: f"{c.name}-{'post' if c.data is not None else 'get'}"
)
def test_the_excluded_keyworker_is_refused_logged_and_changes_nothing(tom, world, case):
    before, logged = state(world), refusals(world)
    address = url(world, case)
    response = tom.get(address) if case.data is None else tom.post(address, case.data)
    assert response.status_code == 403, response.content.decode()[:300]
    body = response.content.decode()
    assert "You are excluded from this record" in body
    assert "Okoro" not in body and SECRET not in body
    assert state(world) == before
    assert refusals(world) == logged + 1


def test_the_register_naming_him_is_refused_whole_and_logged(tom, world):
    before, logged = state(world), refusals(world)
    response = tom.post(
        reverse("keywork:register", args=[world.group.pk]),
        {
            f"a{world.jamal_attendance.pk}_outcome": Outcome.UNACCEPTABLE_ABSENCE,
            f"a{world.ben_attendance.pk}_outcome": Outcome.ATTENDED,
        },
    )
    assert response.status_code == 403
    assert "You are excluded from this record" in response.content.decode()
    assert state(world) == before  # nothing for him, nor for Ben
    assert refusals(world) == logged + 1


def test_the_register_without_him_records_the_others(tom, world):
    response = tom.post(
        reverse("keywork:register", args=[world.group.pk]),
        {f"a{world.ben_attendance.pk}_outcome": Outcome.ATTENDED},
    )
    assert response.status_code == 302
    assert Attendance.objects.get(pk=world.ben_attendance.pk).outcome == Outcome.ATTENDED
    assert Attendance.objects.get(pk=world.jamal_attendance.pk).outcome == ""


def test_the_group_session_hides_his_row_and_his_notes(tom, world):
    response = tom.get(reverse("keywork:session_detail", args=[world.group.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Jamal" not in body and "Okoro" not in body and SECRET not in body
    assert EXCLUDED_LABEL.capitalize() in body
    assert "Ben Whitfield" in body and BEN_NOTE in body
    # No outcome control, register input, note link or profile link for him.
    assert f"a{world.jamal_attendance.pk}_" not in body
    assert f"a{world.ben_attendance.pk}_outcome" in body
    assert str(world.jamal.pk) not in body
    assert [note.pk for note in response.context["notes"]] == [world.ben_note.pk]
    # Changing a session that names him is refused, so it is not offered.
    assert reverse("keywork:session_edit", args=[world.group.pk]) not in body


def test_my_day_and_the_home_page_leave_him_out(tom, world):
    body = tom.get(reverse("keywork:my_day")).content.decode()
    context_sessions = tom.get(reverse("keywork:my_day")).context["sessions"]
    assert "Okoro" not in body and "Jamal" not in body
    assert "Ben Whitfield" in body
    assert [s.pk for s in context_sessions] == [world.group.pk]  # not the call only with him
    assert [a.participant_id for a in context_sessions[0].attendances.all()] == [world.ben.pk]
    assert (
        reverse("keywork:record_outcome", args=[world.group.pk, world.jamal_attendance.pk])
        not in body
    )
    # Outcomes missing: the group (Ben's is missing too), not the session only about him.
    missing = selectors.outcomes_missing(world.people["excluded"])
    assert world.only_jamal not in missing
    home = tom.get(reverse("core:home")).content.decode()
    assert "Okoro" not in home and "Jamal" not in home
    assert "(1 expected)" in home  # the group counts Ben only


def test_the_services_refuse_a_session_or_series_that_would_add_him(tom, world):
    excluded = world.people["excluded"]
    before = Session.objects.count()
    starts = timezone.now() + datetime.timedelta(days=2)
    common = {
        "service": world.service,
        "actor": excluded,
        "session_type": SessionType.GROUP,
        "location_kind": "centre",
        "participants": [world.jamal, world.ben],
    }
    with pytest.raises(PermissionDenied):
        services.create_session(
            starts_at=starts, ends_at=starts + datetime.timedelta(hours=1), **common
        )
    with pytest.raises(PermissionDenied):
        services.create_series(
            weekdays=[0, 2],
            first_day=TODAY,
            last_day=TODAY + datetime.timedelta(days=21),
            start_time=datetime.time(10),
            end_time=datetime.time(11),
            **common,
        )
    assert Session.objects.count() == before


def test_the_new_session_form_neither_offers_nor_takes_him(tom, world):
    page = tom.get(reverse("keywork:session_add"))
    assert "Okoro" not in page.content.decode()
    before = Session.objects.count()
    response = tom.post(
        reverse("keywork:session_add"),
        {
            "session_type": SessionType.GROUP,
            **date_fields("date", TODAY + datetime.timedelta(days=3)),
            "start_time": "10:00",
            "end_time": "11:00",
            "location_kind": "centre",
            "participants": [str(world.jamal.pk), str(world.ben.pk)],
            "repeat": "on",
            "weekdays": ["1"],
            **date_fields("last_day", TODAY + datetime.timedelta(days=30)),
        },
    )
    assert response.status_code == 200  # the form refuses the choice
    assert Session.objects.count() == before


def test_his_offender_manager_excluded_sees_no_concern_or_prompt_about_him(db, world, client):
    """Should an exclusion ever sit beside an allocation, the home panels still leave him out."""
    om = world.people["offender_manager"]
    services.add_note(
        session=world.group,
        participant=world.ben,
        actor=world.people["keyworker"],
        note=SessionNote(summary="Ben", risk_concern="Ben's concern", visibility="shared"),
    )
    for attendance in (world.jamal_attendance, world.ben_attendance):
        services.record_outcome(
            attendance=attendance, outcome=Outcome.UNACCEPTABLE_ABSENCE, actor=om
        )
    assert {n.participant_id for n in selectors.risk_concerns_for(om)} == {
        world.jamal.pk,
        world.ben.pk,
    }
    Exclusion.objects.create(
        participant=world.jamal, staff=om, reason="Test", created_by=world.people["service_manager"]
    )
    assert {n.participant_id for n in selectors.risk_concerns_for(om)} == {world.ben.pk}
    assert world.jamal.pk not in {p.pk for p, _ in selectors.enforcement_prompts_for(om)}
    client.force_login(om)
    home = client.get(reverse("core:home")).content.decode()
    assert "Okoro" not in home and SECRET not in home


# --- No over-blocking: a colleague who is not excluded ---------------------------------


def test_a_colleague_who_is_not_excluded_sees_and_does_all_of_it(db, world, client):
    priya = world.people["colleague"]
    client.force_login(priya)
    page = client.get(reverse("keywork:session_detail", args=[world.group.pk]))
    body = page.content.decode()
    assert "Jamal Okoro" in body and SECRET in body and EXCLUDED_LABEL.capitalize() not in body
    assert f"a{world.jamal_attendance.pk}_outcome" in body
    assert len(page.context["notes"]) == 2
    for case in (
        Case("session_edit", ("group",)),
        Case("note_add", ("group", "jamal")),
        Case("note_addendum", ("note",)),
        Case("participant_sessions", ("jamal",)),
    ):
        assert client.get(url(world, case)).status_code == 200, case
    assert client.get(url(world, Case("note_edit", ("note",)))).status_code == 302  # to addendum
    client.post(url(world, Case("note_add", ("group", "jamal"))), NOTE)
    client.post(url(world, Case("note_addendum", ("note",))), {"text": "Priya's addendum"})
    response = client.post(
        reverse("keywork:register", args=[world.group.pk]),
        {f"a{world.jamal_attendance.pk}_outcome": Outcome.ATTENDED},
    )
    assert response.status_code == 302
    assert Attendance.objects.get(pk=world.jamal_attendance.pk).outcome == Outcome.ATTENDED
    assert SessionNote.objects.filter(participant=world.jamal, author=priya).exists()
    assert NoteAddendum.objects.filter(note=world.note, author=priya).exists()
    assert not AccessLog.objects.filter(user=priya, allowed=False).exists()
    my_day = client.get(reverse("keywork:my_day"))
    assert my_day.status_code == 200


def test_the_offender_manager_still_records_about_him(db, world, client):
    client.force_login(world.people["offender_manager"])
    for case in REFUSED:
        if case.data is None:
            response = client.get(url(world, case))
            assert response.status_code in (200, 302), case
            assert "You are excluded" not in response.content.decode(), case


# --- Cost -----------------------------------------------------------------------------


def test_the_session_page_reads_his_exclusions_once_not_per_row(tom, world):
    address = reverse("keywork:session_detail", args=[world.group.pk])
    tom.get(address)  # warm-up

    def cost() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert tom.get(address).status_code == 200
        return len(captured)

    small = cost()
    others = ParticipantFactory.create_batch(6, service=world.service, stage=Stage.COMMUNITY)
    for man in others:
        services.add_participant_to_session(
            session=world.group, participant=man, actor=world.people["keyworker"]
        )
    extra = others[0]
    participant_services.exclude_staff(
        participant=extra,
        staff=world.people["excluded"],
        reason="His neighbour",
        actor=world.people["service_manager"],
    )
    assert cost() == small
    body = tom.get(address).content.decode()
    assert body.count('data-testid="excluded-row"') == 2
