"""Appointments, attendance outcomes, notes and enforcement decisions.

Atomic, actor explicit, timeline written in the same transaction. A recall decided here
moves the participant's stage through the participants services.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from simple_history.utils import bulk_create_with_history

from participants import services as participant_services
from participants.access import may_recall
from participants.models import Participant, Stage, StageChange
from participants.timeline import may_read, record_event
from resettle.access import access_for
from resettle.accounts.models import Service, User
from resettle.audit import records_actor
from resettle.core.validators import BRIEF_TEXT, SHORT_TEXT

from .access import CORRECTION_REFUSED, may_correct_outcome, refuse_if_excluded
from .models import (
    AbsenceReason,
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    Outcome,
    OutcomeCorrection,
    RecallDecision,
    RescheduledBy,
    Session,
    SessionNote,
    SessionSeries,
    Visibility,
    in_the_community,
)

MAX_SERIES_WEEKS = 26
ACTIVE_STAGES = (Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON)


def refuses_excluded(men: Callable[[dict], Iterable]) -> Callable:
    """Decorator for a service that names men (`men(kwargs)`: their ids): refused when the
    actor is excluded from any of them. Checked before the service's transaction opens, so the
    refusal's access-log row is kept; no query for an actor excluded from no one."""

    def decorator(service: Callable) -> Callable:
        @wraps(service)
        def wrapper(**kwargs):
            actor = kwargs.get("actor")
            if actor is not None and access_for(actor).has_exclusions:
                refuse_if_excluded(actor, men(kwargs))
            return service(**kwargs)

        return wrapper

    return decorator


def _pks(people) -> list:
    return [getattr(person, "pk", person) for person in people]


def _check_people(service: Service, participants, staff) -> None:
    strangers = [p for p in participants if p.service_id != service.pk]
    if strangers:
        raise ValidationError(
            {"participants": f"{strangers[0].full_name} is not a participant of {service}"}
        )
    outsiders = [s for s in staff if not s.memberships.filter(service=service).exists()]
    if outsiders:
        raise ValidationError({"staff": f"{outsiders[0]} does not work in {service}"})


@refuses_excluded(lambda kw: _pks(kw.get("participants", ())))
@records_actor
@transaction.atomic
def create_session(
    *,
    service: Service,
    actor: User,
    session_type: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    location_kind: str,
    location_detail: str = "",
    enforceable: bool = True,
    title: str = "",
    staff=(),
    participants=(),
    series: SessionSeries | None = None,
) -> Session:
    if ends_at <= starts_at:
        raise ValidationError({"end_time": "The session must end after it starts"})
    if not participants:
        raise ValidationError({"participants": "Choose at least one participant"})
    _check_people(service, participants, staff)
    session = Session.objects.create(
        service=service,
        series=series,
        session_type=session_type,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        location_kind=location_kind,
        location_detail=location_detail,
        enforceable=enforceable,
        created_by=actor,
    )
    session.staff.set(list(staff) or [actor])
    # With a history row each, so the first outcome recorded shows as a change from none.
    bulk_create_with_history(
        [
            Attendance(session=session, participant=participant, session_starts_at=starts_at)
            for participant in participants
        ],
        Attendance,
        default_user=actor,
    )
    return session


@refuses_excluded(lambda kw: _pks(kw.get("participants", ())))
@records_actor
@transaction.atomic
def create_series(
    *,
    service: Service,
    actor: User,
    weekdays: list[int],
    first_day: datetime.date,
    last_day: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    **session_fields,
) -> SessionSeries:
    """A weekly timetable: one session on each chosen weekday between two dates."""
    if not weekdays:
        raise ValidationError({"weekdays": "Choose the days of the week"})
    if len(weekdays) > 4:
        raise ValidationError(
            {"weekdays": "Attendance is up to 4 days a week: choose 4 days or fewer"}
        )
    if last_day < first_day:
        raise ValidationError({"last_day": "The last date must be on or after the first date"})
    if (last_day - first_day).days > MAX_SERIES_WEEKS * 7:
        raise ValidationError({"last_day": f"A series can run for up to {MAX_SERIES_WEEKS} weeks"})
    if end_time <= start_time:
        raise ValidationError({"end_time": "The session must end after it starts"})
    series = SessionSeries.objects.create(
        service=service,
        title=session_fields.get("title") or "Weekly session",
        weekdays=sorted(weekdays),
        created_by=actor,
    )
    made = 0
    # Counted in days from the first: stepping a date past the last (31 12 9999) overflows.
    for offset in range((last_day - first_day).days + 1):
        day = first_day + datetime.timedelta(days=offset)
        if day.weekday() in weekdays:
            create_session(
                service=service,
                actor=actor,
                starts_at=timezone.make_aware(datetime.datetime.combine(day, start_time)),
                ends_at=timezone.make_aware(datetime.datetime.combine(day, end_time)),
                series=series,
                **session_fields,
            )
            made += 1
    if not made:
        raise ValidationError({"weekdays": "None of the chosen days fall between those dates"})
    return series


@refuses_excluded(
    lambda kw: Attendance.objects.filter(session=kw["session"]).values_list(
        "participant_id", flat=True
    )
)
@records_actor
@transaction.atomic
def change_session(
    *,
    session: Session,
    actor: User,
    starts_at,
    ends_at,
    location_kind,
    location_detail,
    enforceable,
) -> Session:
    """Change one session only (one of a series stays one of it; the others are untouched)."""
    if ends_at <= starts_at:
        raise ValidationError({"end_time": "The session must end after it starts"})
    session = _lock_session(session.pk)
    if session.attendances.exclude(outcome="").exists() and starts_at > timezone.now():
        raise ValidationError(
            "Outcomes are recorded for this session: it cannot move into the future"
        )
    session.starts_at, session.ends_at = starts_at, ends_at
    session.location_kind, session.location_detail = location_kind, location_detail
    session.enforceable = enforceable
    session.save()
    session.attendances.update(session_starts_at=starts_at)
    return session


def _lock_session(session_id) -> Session:
    """The session row, locked first by whatever records outcomes or moves the session: they
    happen one after another (an outcome never lands on a session just moved to the future),
    and, always taken first, this lock cannot be part of a deadlock."""
    return Session.objects.select_for_update(no_key=True).get(pk=session_id)


def _check_outcome(
    session: Session, outcome: str, absence_reason: str, rescheduled_by: str
) -> None:
    if outcome not in Outcome.values or outcome == Outcome.CANCELLED_RECALLED:
        # "Cancelled: recalled to custody" is set by a recall (apply_recall), never chosen.
        raise ValidationError({"outcome": "Choose an outcome"})
    if session.starts_at > timezone.now():
        raise ValidationError(
            "This session has not started yet: an outcome can only be recorded once it has",
            code="future",
        )
    if outcome == Outcome.ACCEPTABLE_ABSENCE and not absence_reason:
        raise ValidationError({"absence_reason": "Give the reason the absence is acceptable"})
    if outcome == Outcome.RESCHEDULED and rescheduled_by not in RescheduledBy.values:
        raise ValidationError({"rescheduled_by": "Say who asked for the session to be moved"})


def _record(
    attendance: Attendance, *, session: Session, outcome, absence_reason, rescheduled_by, actor
) -> Attendance:
    """One man's outcome; the caller holds the session's lock (`_lock_session`)."""
    locked = Attendance.objects.select_related("participant").get(pk=attendance.pk)
    locked.session = session
    _check_outcome(session, outcome, absence_reason, rescheduled_by)
    if locked.outcome:
        by = f" (by {locked.recorded_by})" if locked.recorded_by else ""
        raise ValidationError(
            f"An outcome is already recorded for {locked.participant.full_name}: "
            f"{locked.get_outcome_display().lower()}{by}",
            code="duplicate",
        )
    locked.outcome = outcome
    locked.absence_reason = absence_reason if outcome == Outcome.ACCEPTABLE_ABSENCE else ""
    locked.rescheduled_by = rescheduled_by if outcome == Outcome.RESCHEDULED else ""
    locked.recorded_by = actor
    locked.recorded_at = timezone.now()
    locked.save()
    record_event(
        participant=locked.participant,
        category="session",
        title=f"{locked.session.display_title}: {locked.get_outcome_display().lower()}",
        detail=locked.get_absence_reason_display() if locked.absence_reason else "",
        actor=actor,
        occurred_at=locked.session.starts_at,
        link=reverse("keywork:session_detail", args=[locked.session_id]),
    )
    return locked


@refuses_excluded(lambda kw: [kw["attendance"].participant_id])
@records_actor
@transaction.atomic
def record_outcome(
    *,
    attendance: Attendance,
    outcome: str,
    actor: User,
    absence_reason: str = "",
    rescheduled_by: str = "",
) -> Attendance:
    return _record(
        attendance,
        session=_lock_session(attendance.session_id),
        outcome=outcome,
        absence_reason=absence_reason,
        rescheduled_by=rescheduled_by,
        actor=actor,
    )


@refuses_excluded(
    lambda kw: Attendance.objects.filter(
        session=kw["session"], pk__in=[pk for pk, row in kw["outcomes"].items() if row[0]]
    ).values_list("participant_id", flat=True)
)
@records_actor
@transaction.atomic
def record_register(
    *, session: Session, actor: User, outcomes: dict[int, tuple[str, str, str]]
) -> int:
    """A group register: every man's outcome in one go, or none at all."""
    session = _lock_session(session.pk)
    expected = {a.pk: a for a in session.attendances.all()}
    unknown = set(outcomes) - set(expected)
    if unknown:
        raise ValidationError(
            "The register lists someone not expected at this session", code="unknown"
        )
    recorded = 0
    for attendance_id, (outcome, reason, rescheduled_by) in outcomes.items():
        if not outcome:
            continue
        _record(
            expected[attendance_id],
            session=session,
            outcome=outcome,
            absence_reason=reason,
            rescheduled_by=rescheduled_by,
            actor=actor,
        )
        recorded += 1
    return recorded


@refuses_excluded(lambda kw: [kw["attendance"].participant_id])
@records_actor
@transaction.atomic
def correct_outcome(
    *,
    attendance: Attendance,
    actor: User,
    outcome: str,
    reason: str,
    absence_reason: str = "",
    rescheduled_by: str = "",
) -> OutcomeCorrection:
    """Put a recorded outcome right, with the reason: whoever recorded it, on the same day, or
    his offender manager or a service manager at any time (`access.may_correct_outcome`).

    The correction is kept (OutcomeCorrection, never changed), the attendance's history row
    shows the outcome before and after, and his timeline says what it was and is now. Nothing
    about compliance is stored: every figure and prompt is worked from the outcomes as they
    are now (compliance.py), so they follow the correction at once.
    """
    session = _lock_session(attendance.session_id)
    locked = (
        Attendance.objects.select_for_update(of=("self",), no_key=True)
        .select_related("participant", "recorded_by")
        .get(pk=attendance.pk)
    )
    locked.session = session
    if not locked.outcome:
        raise ValidationError(
            "No outcome is recorded yet: record it on the session page", code="nothing"
        )
    if not may_correct_outcome(actor, locked):
        raise ValidationError(CORRECTION_REFUSED, code="not_allowed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for the correction"})
    if len(reason) > SHORT_TEXT:
        raise ValidationError({"reason": f"The reason must be {SHORT_TEXT:,} characters or fewer"})
    _check_outcome(session, outcome, absence_reason, rescheduled_by)
    if outcome == Outcome.ACCEPTABLE_ABSENCE and absence_reason not in AbsenceReason.values:
        raise ValidationError({"absence_reason": "Give the reason the absence is acceptable"})
    absence_reason = absence_reason if outcome == Outcome.ACCEPTABLE_ABSENCE else ""
    rescheduled_by = rescheduled_by if outcome == Outcome.RESCHEDULED else ""
    if (outcome, absence_reason, rescheduled_by) == (
        locked.outcome,
        locked.absence_reason,
        locked.rescheduled_by,
    ):
        raise ValidationError(
            {"outcome": "That is the outcome already recorded: choose the correct one"}
        )
    correction = OutcomeCorrection.objects.create(
        attendance=locked,
        previous_outcome=locked.outcome,
        previous_absence_reason=locked.absence_reason,
        previous_rescheduled_by=locked.rescheduled_by,
        previous_recorded_by=locked.recorded_by,
        outcome=outcome,
        absence_reason=absence_reason,
        rescheduled_by=rescheduled_by,
        reason=reason,
        corrected_by=actor,
    )
    locked.outcome = outcome
    locked.absence_reason = absence_reason
    locked.rescheduled_by = rescheduled_by
    # Who first recorded it, and when, stay as they were: the correction says who changed it.
    locked._change_reason = Truncator(f"Outcome corrected: {reason}").chars(100)
    locked.save()
    record_event(
        participant=locked.participant,
        category="session",
        title=f"Outcome corrected: was {correction.was}, now {correction.now}",
        detail=(
            f"{session.display_title}, "
            f"{date_format(timezone.localtime(session.starts_at), 'j M Y')} — {reason}"
        ),
        actor=actor,
        link=reverse("keywork:session_detail", args=[session.pk]),
    )
    return correction


@refuses_excluded(lambda kw: [kw["participant"].pk])
@records_actor
@transaction.atomic
def add_participant_to_session(
    *, session: Session, participant: Participant, actor: User
) -> Attendance:
    _check_people(session.service, [participant], [])
    try:
        with transaction.atomic():
            return Attendance.objects.create(session=session, participant=participant)
    except IntegrityError as error:
        raise ValidationError(f"{participant.full_name} is already on this session") from error


# --- Notes --------------------------------------------------------------------------------


def _note_event(note: SessionNote, actor, title: str) -> None:
    record_event(
        participant=note.participant,
        category="note",
        title=title,
        detail=note.summary,
        visibility=note.visibility,
        actor=actor,
        occurred_at=note.session.starts_at,
        link=reverse("keywork:session_detail", args=[note.session_id]),
    )


def _concern_event(note: SessionNote, actor) -> None:
    """A concern his offender manager may not read is on everyone's timeline all the same,
    in the words shared for it; others, with the note's own visibility."""
    if not note.concern_hidden_from_om:
        _note_event(note, actor, "Risk concern raised")
        return
    record_event(
        participant=note.participant,
        category="note",
        title=f"Risk concern raised (in a {note.kept_to} note)",
        detail=f"What the offender manager needs to know: {note.risk_concern_shared}",
        actor=actor,
        occurred_at=note.session.starts_at,
        link=reverse("keywork:session_detail", args=[note.session_id]),
    )


def _or_list(words: list[str]) -> str:
    return " or ".join(f"“{word}”" for word in words)


def _check_note(note: SessionNote, actor: User, service_id: int) -> None:
    """The two rules of a note's sharing. Nobody gives a note a visibility that shuts their
    own agency out (she could not read her own note). A risk concern his offender manager may
    not read says, in a few words everyone in his team may read, what the OM needs to know;
    a concern the OM may read needs no such summary, so none is kept."""
    allowed = Visibility.open_to(access_for(actor).agency_in(service_id))
    if note.visibility not in allowed:
        raise ValidationError(
            {
                "visibility": f"You could not read a note marked “{note.get_visibility_display()}”:"
                f" choose {_or_list([Visibility(v).label for v in allowed])}"
            },
            code="own_agency",
        )
    if not note.concern_hidden_from_om:
        note.risk_concern_shared = ""
        return
    note.risk_concern_shared = note.risk_concern_shared.strip()
    if not note.risk_concern_shared:
        raise ValidationError(
            {
                "risk_concern_shared": "Say what the offender manager needs to know: this note "
                "is not shared with probation, so he cannot read the risk concern itself"
            },
            code="shared_summary",
        )
    if len(note.risk_concern_shared) > BRIEF_TEXT:
        raise ValidationError(
            {
                "risk_concern_shared": f"What the offender manager needs to know must be "
                f"{BRIEF_TEXT:,} characters or fewer"
            },
            code="max_length",
        )


@refuses_excluded(lambda kw: [kw["participant"].pk])
@records_actor
@transaction.atomic
def add_note(
    *, session: Session, participant: Participant, actor: User, note: SessionNote
) -> SessionNote:
    if not session.attendances.filter(participant=participant).exists():
        raise ValidationError("He is not on this session", code="not_on_session")
    _check_note(note, actor, session.service_id)
    note.session = session
    note.participant = participant
    note.author = actor
    note.save()
    _note_event(note, actor, f"Note: {session.display_title}")
    if note.risk_concern:
        _concern_event(note, actor)
    return note


@refuses_excluded(lambda kw: [kw["note"].participant_id])
@records_actor
@transaction.atomic
def edit_note(*, note: SessionNote, actor: User, changes: dict) -> SessionNote:
    locked = SessionNote.objects.select_for_update().get(pk=note.pk)
    if not locked.editable_by(actor):
        raise ValidationError(
            f"Notes can be changed by their author for {SessionNote.EDIT_WINDOW_MINUTES} minutes. "
            "Add an addendum instead",
            code="locked",
        )
    raised_concern = bool(changes.get("risk_concern")) and not locked.risk_concern
    for field, value in changes.items():
        setattr(locked, field, value)
    _check_note(locked, actor, locked.session.service_id)
    locked.save()
    if raised_concern:
        _concern_event(locked, actor)
    return locked


@refuses_excluded(lambda kw: [kw["note"].participant_id])
@records_actor
@transaction.atomic
def add_addendum(*, note: SessionNote, actor: User, text: str) -> NoteAddendum:
    if not text.strip():
        raise ValidationError({"text": "Write the addendum"})
    return NoteAddendum.objects.create(note=note, author=actor, text=text.strip())


@refuses_excluded(lambda kw: [kw["note"].participant_id])
@records_actor
@transaction.atomic
def mark_risk_concern_seen(*, note: SessionNote, actor: User, shown: str) -> SessionNote:
    """His offender manager (or the service manager) has read the concern: `shown` is the
    fingerprint of the text the page showed beside "Mark as seen" (`SessionNote.fingerprint`),
    so nobody marks seen a concern they were not shown, or one changed since.

    Someone who may not read the note is shown what the OM needs to know. A concern from
    before that summary was asked for has none: the page says whom to ask, and marking it seen
    is accepted (refusing would leave it on his home page for good, as nobody can add the
    summary after the note's edit window), with the timeline saying it was seen without one.
    """
    locked = SessionNote.objects.select_for_update().select_related("participant").get(pk=note.pk)
    if not locked.risk_concern:
        raise ValidationError("This note raises no risk concern", code="no_concern")
    readable = may_read(actor, locked.participant, locked.visibility)
    text = locked.concern_for(readable)
    if shown != SessionNote.fingerprint(text):
        raise ValidationError(
            "The risk concern has changed since the page was shown, or was not shown: "
            "read it, then mark it as seen",
            code="not_shown",
        )
    locked.risk_concern_seen_at = timezone.now()
    locked.risk_concern_seen_by = actor
    locked.save()
    title = "Risk concern seen by his offender manager"
    if not text:
        title += f", with no shared summary to read (its writer: {locked.author})"
    record_event(participant=locked.participant, category="note", title=title, actor=actor)
    return locked


# --- Enforcement --------------------------------------------------------------------------


@records_actor
@transaction.atomic
def record_enforcement(
    *,
    participant: Participant,
    actor: User,
    decision: str,
    decided_on: datetime.date,
    reason: str = "",
) -> EnforcementDecision:
    from .compliance import policy_for, unacceptable_absences_in_window

    participant = participant_services.lock_for_change(
        participant=participant, actor=actor, may=may_recall
    )
    if decision not in EnforcementDecision.CHOSEN:
        # "Recalled to custody" is recorded by the recall itself (apply_recall).
        raise ValidationError({"decision": "Choose a decision"})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The decision date must be today or in the past"})
    if decision == EnforcementDecision.Decision.NO_FURTHER_ACTION and not reason.strip():
        raise ValidationError({"reason": "Give the reason for no further action"})
    policy = policy_for(participant)
    counted = len(unacceptable_absences_in_window(participant, decided_on, policy.window_months))
    enforcement = EnforcementDecision.objects.create(
        participant=participant,
        decision=decision,
        reason=reason.strip(),
        decided_on=decided_on,
        decided_by=actor,
        absences_counted=counted,
    )
    record_event(
        participant=participant,
        category="enforcement",
        title=f"Enforcement: {enforcement.get_decision_display().lower()}",
        detail=enforcement.reason,
        actor=actor,
        link=reverse("keywork:participant_sessions", args=[participant.pk]),
    )
    return enforcement


@records_actor
@transaction.atomic
def record_recall_decision(
    *,
    enforcement: EnforcementDecision,
    actor: User,
    why: str,
    alternatives_tried: list[str],
    senior_manager_rationale: str,
    outcome: str,
    decided_on: datetime.date,
) -> RecallDecision:
    participant_services.lock_for_change(
        participant=enforcement.participant, actor=actor, may=may_recall
    )
    if enforcement.decision != EnforcementDecision.Decision.RECALL_CONSIDERED:
        raise ValidationError(
            "A recall decision follows a decision to consider recall", code="not_recall"
        )
    if RecallDecision.objects.filter(enforcement=enforcement).exists():
        raise ValidationError("The recall decision is already recorded", code="duplicate")
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The decision date must be today or in the past"})
    if not senior_manager_rationale.strip():
        raise ValidationError({"senior_manager_rationale": "Give the senior manager's rationale"})
    decision = RecallDecision.objects.create(
        enforcement=enforcement,
        why=why,
        alternatives_tried=alternatives_tried,
        senior_manager_rationale=senior_manager_rationale.strip(),
        outcome=outcome,
        decided_on=decided_on,
        decided_by=actor,
    )
    if outcome in (RecallDecision.Outcome.STANDARD, RecallDecision.Outcome.FIXED_TERM):
        participant_services.change_stage(
            participant=enforcement.participant,
            actor=actor,
            kind=StageChange.Kind.RECALLED,
            effective_on=decided_on,
            recall_type=outcome,
            reason=senior_manager_rationale.strip(),
        )
    else:
        record_event(
            participant=enforcement.participant,
            category="enforcement",
            title="Recall considered: no recall",
            detail=decision.senior_manager_rationale,
            actor=actor,
        )
    return decision


# --- A recall in his week -----------------------------------------------------------------


@dataclass(frozen=True)
class RecallEffects:
    """What a recall did to his week: the attendances it cancelled and the decision, if any,
    that closed his open enforcement prompt."""

    cancelled: list[Attendance]
    closing_decision: EnforcementDecision | None


def follow_stage_change(*, change: StageChange, actor: User) -> None:
    """Registered with participants.events.on_stage_change: every move between stages is
    announced from inside change_stage's transaction, whatever path made it."""
    if change.kind == StageChange.Kind.RECALLED:
        apply_recall(change=change, actor=actor)


@records_actor
@transaction.atomic
def apply_recall(*, change: StageChange, actor: User) -> RecallEffects:
    """The one home of what a recall does to his week, however it was recorded (a recall
    decision or a stage move), called from inside change_stage's transaction:

    - From the start of the recall's effective date he is in custody. Each community session
      of his (in_the_community) from then on with no outcome recorded gets the outcome
      "Cancelled: recalled to custody": a one-to-one session is thereby cancelled; in a group
      only his place is, the others keep theirs. Outcomes already recorded stay as recorded
      (a mistaken one is corrected, not overwritten), and so does everything before the date;
      in-reach and prison sessions go on.
    - An open enforcement prompt is closed with the recall as his offender manager's decision.

    Re-release recreates nothing: the expectation counts again from the re-release date
    (participants/clock.py), against the plan in force, and new sessions are booked as usual.
    """
    from .compliance import day_bounds, enforcement_prompt

    participant = change.participant
    since, _ = day_bounds(change.effective_on, change.effective_on)
    his = Attendance.objects.filter(
        in_the_community("session__"), participant=participant, session_starts_at__gte=since
    )
    # Session rows first, as every writer of outcomes takes them (_lock_session): an outcome
    # recorded meanwhile on one of these sessions is then either seen here or refused there.
    session_ids = list(his.filter(outcome="").values_list("session_id", flat=True))
    list(
        Session.objects.select_for_update(no_key=True)
        .filter(pk__in=session_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    cancelled = list(his.filter(outcome="").select_related("session").order_by("session_starts_at"))
    for attendance in cancelled:
        attendance.outcome = Outcome.CANCELLED_RECALLED
        attendance.absence_reason = attendance.rescheduled_by = ""
        attendance.recorded_by = actor
        attendance.recorded_at = now
        attendance.save()  # one by one: each with its history row
    what = f"{change.get_recall_type_display()} from {_day(change.effective_on)}"
    if cancelled:
        one_to_one = sum(1 for a in cancelled if not a.session.is_group)
        record_event(
            participant=participant,
            category="session",
            title=(
                f"{len(cancelled)} community session{'s' if len(cancelled) != 1 else ''} "
                "cancelled: recalled to custody"
            ),
            detail=(
                f"{what}: {_count(one_to_one, 'one-to-one session')} cancelled; his place in "
                f"{_count(len(cancelled) - one_to_one, 'group session')} cancelled"
            ),
            actor=actor,
            link=reverse("keywork:participant_sessions", args=[participant.pk]),
        )
    closing = None
    prompt = enforcement_prompt(participant, today=timezone.localdate())
    if prompt is not None:
        closing = EnforcementDecision.objects.create(
            participant=participant,
            decision=EnforcementDecision.Decision.RECALLED,
            reason=f"{what}. {change.reason}".strip(),
            decided_on=change.effective_on,
            decided_by=actor,
            absences_counted=prompt.absences,
        )
        record_event(
            participant=participant,
            category="enforcement",
            title="Enforcement: recalled to custody",
            detail=closing.reason,
            actor=actor,
            link=reverse("keywork:participant_sessions", args=[participant.pk]),
        )
    return RecallEffects(cancelled=cancelled, closing_decision=closing)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


@records_actor
@transaction.atomic
def update_policy(
    *,
    service: Service,
    actor: User,
    warning_threshold: int,
    recall_review_threshold: int,
    window_months: int,
):
    from .models import CompliancePolicy

    if recall_review_threshold < warning_threshold:
        raise ValidationError(
            {"recall_review_threshold": "The recall review must come at or after the warning"}
        )
    policy, _ = CompliancePolicy.objects.select_for_update().get_or_create(service=service)
    policy.warning_threshold = warning_threshold
    policy.recall_review_threshold = recall_review_threshold
    policy.window_months = window_months
    policy.save()
    return policy
