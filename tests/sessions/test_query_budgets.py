"""Query budgets: key-work pages cost the same number of queries however much is recorded.

A keyworker opens My day many times a day, and a man's Sessions tab and a session's register
are opened before every decision about him, so none of them may read a row at a time. Each
test measures a page with 5 sessions in the database, grows it to 500 sessions (outcomes
recorded, some missing, notes of every visibility with addenda, enforcement decisions; the
measured group session also gains men and notes), measures again, and asserts that the two
counts are equal and within an absolute budget. A query per row would show up as a
difference.
"""

import datetime
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant, Stage
from sessions import services
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
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

SMALL = 5
LARGE = 500
OTHER_MEN = 12

# Absolute budgets: the highest count measured for the page (any persona) plus a margin of 2.
# Measured, the same at 5 and at 500 sessions: My day 9 (keyworker); his Sessions tab 18 (every
# persona); the session 13 (keyworker), 14 (offender manager). Each includes 3 for session,
# user and memberships and 3 for saving the session (SESSION_SAVE_EVERY_REQUEST: savepoint,
# update, release). My day reads today's sessions, their registers (one prefetch) and the
# sessions with outcomes missing; the session reads it, its attendances with their outcome
# corrections, its staff, its notes and their addenda (one prefetch each), and for an offender
# manager which of the men on it are in his team (one query: the rows he may correct). The
# Sessions tab writes one access-log row, reads the compliance policy, his outcomes of the 12
# weeks and of the policy's window together, the expected days, his latest decisions, the page
# of sessions with their corrections and its count, and the notes on them with their addenda:
# not per row. Correcting an outcome: 10 (keyworker), 11 (offender manager: is he in her team);
# the session, his row with its recorder, an access-log row and the earlier corrections.
# The enforcement decision: 11 (offender manager); his record's header, the compliance policy,
# the absences that count with their sessions and recorders (one query), his latest decision.
BUDGETS = {
    "my_day": 11,
    "participant_sessions": 20,
    "session_detail": 16,
    "correct_outcome": 13,
    "enforcement_add": 13,
}


def shape(sql: str) -> str:
    """The query without its literal values, to compare two runs."""
    return re.sub(r"'[^']*'(::\w+)?|\b\d+\b", "?", sql)


def queries_for(client, url: str, **headers) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


def assert_same_cost(client, url: str, grow, budget: int, django_assert_max_num_queries):
    client.get(url)  # warm-up: per-process caches (content types, session)
    small, small_sql = queries_for(client, url)
    grow()
    with django_assert_max_num_queries(budget):
        large, large_sql = queries_for(client, url)
    extra = Counter(map(shape, large_sql)) - Counter(map(shape, small_sql))
    assert large == small, "Queries added by the data:\n" + "\n".join(extra.elements())
    return small, large


# --- The data -----------------------------------------------------------------------------


def today_start() -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))


def earlier_today(fraction: float) -> datetime.datetime:
    """A moment of today that has already passed."""
    start = today_start()
    return start + (timezone.now() - start) * fraction


def ended_length(starts, usual: datetime.timedelta, now) -> datetime.timedelta:
    """The usual length, or (just after midnight, for today's sessions) short enough to have
    ended by now: the pages under test treat ended and running sessions differently."""
    if starts < now < starts + usual:
        return (now - starts) * 0.9
    return usual


class Record:
    """Jamal's record through the services: 5 sessions (the group session an hour ago with
    him and two other men, two past key-work sessions, one earlier today, one next week), notes
    of each visibility with an addendum, outcomes, and enforcement decisions."""

    def __init__(self, participant, personas, service):
        self.jamal = participant
        self.personas = personas
        self.service = service
        keyworker, om = personas["keyworker"], personas["offender_manager"]
        built = ParticipantFactory.build_batch(OTHER_MEN, service=service, stage=Stage.COMMUNITY)
        self.others = Participant.objects.bulk_create(built)
        now = timezone.now()
        self.group = self.session(  # an hour ago, or earlier today when that was yesterday
            SessionType.GROUP,
            max(now - datetime.timedelta(hours=1), earlier_today(0.2)),
            [participant, *self.others[:2]],
        )
        past = [
            self.session(SessionType.KEYWORK, now - datetime.timedelta(days=d, hours=3))
            for d in (3, 10)
        ]
        today = self.session(SessionType.PHONE, earlier_today(0.5))
        self.session(SessionType.KEYWORK, now + datetime.timedelta(days=7))
        assert Session.objects.count() == SMALL
        for session, outcome in zip(
            [self.group, *past, today],
            [Outcome.ATTENDED, Outcome.UNACCEPTABLE_ABSENCE, Outcome.LATE, ""],
            strict=True,
        ):
            if outcome:
                services.record_outcome(
                    attendance=session.attendances.get(participant=participant),
                    outcome=outcome,
                    actor=keyworker,
                )
        for session, visibility in (
            (self.group, Visibility.SHARED),
            (self.group, Visibility.HEALTH),
            (past[0], Visibility.PROBATION),
        ):
            note = services.add_note(
                session=session,
                participant=participant,
                actor=om if visibility == Visibility.PROBATION else keyworker,
                note=SessionNote(
                    summary=f"A {visibility} note on {session.display_title}",
                    narrative="Talked about his housing and his sister.",
                    pathways=["accommodation"],
                    visibility=visibility,
                ),
            )
            services.add_addendum(note=note, actor=note.author, text="He rang later")
        for decision in (
            EnforcementDecision.Decision.FIRST_WARNING,
            EnforcementDecision.Decision.RECALL_CONSIDERED,
        ):
            services.record_enforcement(
                participant=participant,
                actor=om,
                decision=decision,
                decided_on=timezone.localdate(),
            )

    def session(self, session_type, starts_at, participants=None) -> Session:
        length = ended_length(starts_at, datetime.timedelta(minutes=50), timezone.now())
        return services.create_session(
            service=self.service,
            actor=self.personas["keyworker"],
            session_type=session_type,
            title="" if session_type != SessionType.GROUP else "Cooking group",
            starts_at=starts_at,
            ends_at=starts_at + length,
            location_kind="centre",
            participants=participants or [self.jamal],
        )

    def grow(self) -> None:
        """Bulk-created to LARGE sessions: every one with Jamal and, every other one, another
        man; a fifth of them today; a few with outcomes missing; notes on a third."""
        keyworker, colleague, om = (
            self.personas["keyworker"],
            self.personas["colleague"],
            self.personas["offender_manager"],
        )
        now = timezone.now()
        count = LARGE - Session.objects.count()
        sessions = []
        for n in range(count):
            if n % 5 == 0:
                starts = earlier_today((n + 1) / (count + 2))
            else:
                starts = now - datetime.timedelta(days=1 + n % 90, hours=n % 7)
            sessions.append(
                Session(
                    service=self.service,
                    session_type=(SessionType.KEYWORK, SessionType.GROUP, SessionType.PHONE)[n % 3],
                    title="" if n % 3 != 1 else f"Group {n}",
                    starts_at=starts,
                    ends_at=starts + ended_length(starts, datetime.timedelta(minutes=45), now),
                    location_kind="centre",
                    enforceable=n % 4 != 3,
                    created_by=keyworker,
                )
            )
        sessions = Session.objects.bulk_create(sessions)
        Staff = Session.staff.through
        Staff.objects.bulk_create(
            Staff(session_id=s.pk, user_id=(keyworker if n % 6 else colleague).pk)
            for n, s in enumerate(sessions)
        )
        outcomes = list(Outcome.values)
        attendances = []
        for n, session in enumerate(sessions):
            missing = n % 25 == 0
            outcome = "" if missing else outcomes[n % len(outcomes)]
            attendances.append(
                Attendance(
                    session=session,
                    session_starts_at=session.starts_at,
                    participant=self.jamal,
                    outcome=outcome,
                    absence_reason="medical" if outcome == Outcome.ACCEPTABLE_ABSENCE else "",
                    rescheduled_by="service" if outcome == Outcome.RESCHEDULED else "",
                    recorded_by=None if missing else keyworker,
                    recorded_at=None if missing else now,
                )
            )
            if n % 2:
                attendances.append(
                    Attendance(
                        session=session,
                        session_starts_at=session.starts_at,
                        participant=self.others[n % OTHER_MEN],
                        outcome="" if missing else Outcome.ATTENDED,
                        recorded_by=None if missing else colleague,
                        recorded_at=None if missing else now,
                    )
                )
        # The measured group session: every other man too.
        attendances += [
            Attendance(
                session=self.group,
                session_starts_at=self.group.starts_at,
                participant=man,
                outcome=Outcome.ATTENDED,
            )
            for man in self.others[2:]
        ]
        attendances = Attendance.objects.bulk_create(attendances)
        # Outcomes put right: every seventh recorded one, some twice (his Sessions tab, the
        # session's register and the compliance report say when, by whom and what it was).
        OutcomeCorrection.objects.bulk_create(
            OutcomeCorrection(
                attendance=attendance,
                previous_outcome=Outcome.UNACCEPTABLE_ABSENCE,
                outcome=attendance.outcome,
                absence_reason=attendance.absence_reason,
                rescheduled_by=attendance.rescheduled_by,
                reason=f"Marked absent by mistake ({n})",
                corrected_by=om if n % 2 else keyworker,
            )
            for n, attendance in enumerate(attendances)
            for _again in range(1 + n % 2)
            if attendance.outcome and n % 7 == 0
        )
        visibilities = list(Visibility.values)
        notes = [
            SessionNote(
                session=session,
                participant=self.jamal,
                author=om if n % 2 else keyworker,
                summary=f"Note {n}",
                narrative="Housing, money and his daughter.",
                pathways=["accommodation", "finance"],
                visibility=visibilities[n // 3 % len(visibilities)],
                created_at=session.starts_at + datetime.timedelta(hours=1),
            )
            for n, session in enumerate(sessions)
            if n % 3 == 0
        ]
        notes += [
            SessionNote(
                session=self.group,
                participant=man,
                author=keyworker,
                summary=f"Group note on {man.given_name}",
                visibility=visibilities[n % len(visibilities)],
            )
            for n, man in enumerate(self.others)
        ]
        notes = SessionNote.objects.bulk_create(notes)
        NoteAddendum.objects.bulk_create(
            NoteAddendum(note=note, author=colleague, text=f"Addendum {n}")
            for n, note in enumerate(notes)
            if n % 2 == 0
        )
        EnforcementDecision.objects.bulk_create(
            EnforcementDecision(
                participant=self.jamal,
                decision=EnforcementDecision.Decision.values[n % 5],
                reason="After the absences",
                decided_on=timezone.localdate() - datetime.timedelta(days=n),
                decided_by=om,
                absences_counted=n % 4,
            )
            for n in range(30)
        )
        assert Session.objects.count() == LARGE


@pytest.fixture
def record(participant, personas, service):
    return Record(participant, personas, service)


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ("keyworker",))
def test_my_day_costs_the_same_at_5_and_500_sessions(
    client_for, personas, record, persona, django_assert_max_num_queries
):
    client = client_for(personas[persona])
    url = reverse("keywork:my_day")
    context = client.get(url).context
    assert len(context["sessions"]) == 2  # the group session and the phone call
    # Ended with outcomes missing: the phone call, and the group (two men not yet recorded).
    assert len(context["missing"]) == 2

    small, large = assert_same_cost(
        client, url, record.grow, BUDGETS["my_day"], django_assert_max_num_queries
    )
    context = client.get(url).context
    assert len(context["sessions"]) > 50
    assert len(context["missing"]) > 5
    print(f"my day as {persona}: {small} queries at {SMALL} sessions, {large} at {LARGE}")


@pytest.mark.parametrize("persona", ("keyworker", "offender_manager", "service_manager"))
def test_his_sessions_tab_costs_the_same_at_5_and_500_sessions(
    client_for, personas, record, persona, django_assert_max_num_queries
):
    client = client_for(personas[persona])
    url = reverse("keywork:participant_sessions", args=[record.jamal.pk])
    context = client.get(url).context
    assert len(context["attendances"]) == SMALL
    assert len(context["notes"]) == 3
    assert len(context["decisions"]) == 2

    small, large = assert_same_cost(
        client, url, record.grow, BUDGETS["participant_sessions"], django_assert_max_num_queries
    )
    context = client.get(url).context
    # A page of his newest sessions, with the notes on those sessions; the rest on later pages.
    assert len(context["attendances"]) == 25
    assert context["page"].paginator.count > 100
    assert context["notes"] and {note.session_id for note in context["notes"]} <= {
        attendance.session_id for attendance in context["attendances"]
    }
    assert len(context["decisions"]) == 20
    assert len(context["absences"]) > 1
    print(f"sessions tab as {persona}: {small} queries at {SMALL} sessions, {large} at {LARGE}")


@pytest.mark.parametrize("persona", ("keyworker", "offender_manager"))
def test_the_session_costs_the_same_at_5_and_500_sessions(
    client_for, personas, record, persona, django_assert_max_num_queries
):
    client = client_for(personas[persona])
    url = reverse("keywork:session_detail", args=[record.group.pk])
    context = client.get(url).context
    assert len(context["attendances"]) == 3
    assert len(context["notes"]) == 2

    small, large = assert_same_cost(
        client, url, record.grow, BUDGETS["session_detail"], django_assert_max_num_queries
    )
    context = client.get(url).context
    assert len(context["attendances"]) == OTHER_MEN + 1
    assert len(context["notes"]) == OTHER_MEN + 2
    assert any(note.restricted for note in context["notes"])  # the other agency's notes
    print(f"session as {persona}: {small} queries at {SMALL} sessions, {large} at {LARGE}")


@pytest.mark.parametrize("persona", ("keyworker", "offender_manager"))
def test_correcting_an_outcome_costs_the_same_at_5_and_500_sessions(
    client_for, personas, record, persona, django_assert_max_num_queries
):
    """The correction page of his group outcome: the session, his row with who recorded it,
    whether he is in their team (the OM), and the row's earlier corrections in one read."""
    client = client_for(personas[persona])
    row = record.group.attendances.get(participant=record.jamal)
    url = reverse("keywork:correct_outcome", args=[record.group.pk, row.pk])

    def grow():
        record.grow()
        OutcomeCorrection.objects.bulk_create(
            OutcomeCorrection(
                attendance=row,
                previous_outcome=Outcome.UNACCEPTABLE_ABSENCE,
                outcome=Outcome.ATTENDED,
                reason=f"Put right ({n})",
                corrected_by=personas["offender_manager"],
            )
            for n in range(20)
        )

    small, large = assert_same_cost(
        client, url, grow, BUDGETS["correct_outcome"], django_assert_max_num_queries
    )
    assert len(client.get(url).context["corrections"]) == 20
    print(f"correction page as {persona}: {small} queries at {SMALL} sessions, {large} at {LARGE}")


def test_the_enforcement_decision_costs_the_same_at_5_and_500_sessions(
    client_for, personas, record, django_assert_max_num_queries
):
    """The offender manager's decision page lists the absences that prompted it: each with
    its session and who recorded it, in the same one read of the absences."""
    client = client_for(personas["offender_manager"])
    url = reverse("keywork:enforcement_add", args=[record.jamal.pk])
    assert len(client.get(url).context["grounds"].absences) == 1

    small, large = assert_same_cost(
        client, url, record.grow, BUDGETS["enforcement_add"], django_assert_max_num_queries
    )
    assert len(client.get(url).context["grounds"].absences) > 20
    print(f"enforcement decision: {small} queries at {SMALL} sessions, {large} at {LARGE}")
