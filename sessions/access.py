"""Who may see and record on a session, its register, its notes and addenda.

Lists go through `Session.objects.visible_to(access)`; one session through
`get_session_for(access, pk, may=SessionAction.…)`, one man's row of it through
`get_attendance_for` (`may=SessionAction.CORRECT_OUTCOME` to correct his recorded outcome:
`may_correct_outcome`), and one note through `get_note_for`. These are the only ways a view
fetches a session, an attendance or a note.

A session names the men on its register, so each man's row is checked against the person's
exclusions as well: someone excluded from a man may still open a session of their service
that he is on (a group they run), but his row reads "a participant you are excluded from",
and anything about him alone (his outcome, a note about him, an addendum to it, his risk
concern) is refused with "You are excluded from this record" and reaches the access log
(`participants.access.refuse_excluded`). A session that names a man they are excluded from
may not be changed by them (`SessionAction.EDIT`): moving it, or making it enforceable or not,
changes his appointment and what counts towards his licence compliance.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from participants.access import (
    ParticipantAction,
    get_participant_for,
    may_recall,
    refuse_excluded,
)
from participants.models import Participant
from participants.timeline import may_read
from resettle.access import Access, access_for
from resettle.accounts.roles import Role
from resettle.audit import log_record_access

from .models import Attendance, Session, SessionNote

EXCLUDED_LABEL = "a participant you are excluded from"


class SessionAction(enum.StrEnum):
    VIEW = "view"
    RECORD_OUTCOME = "record_outcome"
    # A recorded outcome: whoever recorded it, on the day they did; his offender manager or a
    # service manager of his service at any time (`may_correct_outcome`).
    CORRECT_OUTCOME = "correct_outcome"
    EDIT = "edit"
    WRITE_NOTE = "write_note"


class NoteAction(enum.StrEnum):
    READ = "read"
    EDIT = "edit"  # the view sends anyone but the author (within the window) to an addendum
    ADD_ADDENDUM = "add_addendum"
    MARK_SEEN = "mark_seen"  # his risk concern: his offender manager or the service manager


def refuse_if_excluded(who, participant_ids: Iterable) -> None:
    """Refused (logged, "You are excluded from this record") when any of these men is one they
    are excluded from: for services and views about named men. No query for the many who
    are excluded from no one."""
    access = access_for(who)
    excluded = access.excluded_ids()
    for participant_id in participant_ids:
        if participant_id in excluded:
            refuse_excluded(access, participant_id)
            raise PermissionDenied("You are excluded from this record.")


def excluded_on(access: Access, session: Session) -> set:
    """The men on this session they are excluded from (one query, only if they have any)."""
    excluded = access.excluded_ids()
    if not excluded:
        return set()
    return set(
        session.attendances.filter(participant_id__in=excluded).values_list(
            "participant_id", flat=True
        )
    )


CORRECTION_REFUSED = (
    "Only whoever recorded this outcome, on the day they recorded it, or his offender manager "
    "or a service manager can correct it"
)


def recorded_by_them_today(who, attendance: Attendance, now=None) -> bool:
    """They recorded this outcome, and it is still the (London) day they did."""
    user_id = access_for(who).user_id
    return bool(
        attendance.outcome
        and attendance.recorded_at is not None
        and attendance.recorded_by_id == user_id
        and timezone.localdate(attendance.recorded_at) == timezone.localdate(now)
    )


def may_correct_outcome(who, attendance: Attendance, now=None) -> bool:
    """Whether they may correct this recorded outcome: whoever recorded it, on the same day;
    his offender manager or a service manager of his service, at any time. Exclusions are
    refused before this is asked (`get_attendance_for`, `services.refuses_excluded`)."""
    if not attendance.outcome:
        return False
    access = access_for(who)
    if access.role_in(attendance.participant.service_id) is None:
        return False
    return recorded_by_them_today(access, attendance, now) or may_recall(
        access, attendance.participant
    )


def correctable_on(who, attendances: list[Attendance], now=None) -> set:
    """The ids of the rows of a register they may correct, in at most one query (which of the
    men is in their team, asked only of an offender manager)."""
    access = access_for(who)
    recorded = [a for a in attendances if a.outcome]
    if not recorded:
        return set()
    service_id = recorded[0].participant.service_id
    role = access.role_in(service_id)
    if role is None:
        return set()
    unknown = [a.participant_id for a in recorded if a.participant_id not in access.team_answers]
    if role == Role.OFFENDER_MANAGER and unknown:
        in_team = set(
            Participant.objects.filter(access.in_team(), pk__in=unknown).values_list(
                "pk", flat=True
            )
        )
        for participant_id in unknown:
            access.team_answers[participant_id] = participant_id in in_team
    return {a.pk for a in recorded if may_correct_outcome(access, a, now)}


def get_session_for(who, pk, *, may: SessionAction | str = SessionAction.VIEW) -> Session:
    """A session of their services (404 otherwise). Any case role there may record on it;
    changing it (EDIT) is refused, and logged, when it names a man they are excluded from."""
    access = access_for(who)
    action = SessionAction(may)
    try:
        session = Session.objects.visible_to(access).select_related("service").get(pk=pk)
    except (Session.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such session") from error
    if action == SessionAction.EDIT:
        refuse_if_excluded(access, sorted(excluded_on(access, session), key=str))
    return session


def get_attendance_for(
    who,
    session: Session,
    participant_id=None,
    *,
    attendance_id: int | None = None,
    may: SessionAction | str = SessionAction.RECORD_OUTCOME,
) -> Attendance:
    """One man's row of a session (by his id or the row's): 404 if he is not on it; refused,
    and logged, when they are excluded from him. `session` comes from `get_session_for`."""
    access = access_for(who)
    action = SessionAction(may)
    rows = Attendance.objects.select_related("participant", "recorded_by").filter(session=session)
    try:
        if attendance_id is not None:
            attendance = rows.get(pk=attendance_id)
        else:
            attendance = rows.get(participant_id=participant_id)
    except (Attendance.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such participant on this session") from error
    if access.is_excluded_from(attendance.participant_id):
        refuse_excluded(access, attendance.participant_id)
        raise Http404("No such participant on this session")
    log_record_access(
        user=access.user,
        participant_id=attendance.participant_id,
        allowed=True,
        role=access.role_in(session.service_id) or "",
    )
    # With no outcome yet there is nothing to correct: the view says so.
    if (
        action == SessionAction.CORRECT_OUTCOME
        and attendance.outcome
        and not may_correct_outcome(access, attendance)
    ):
        raise PermissionDenied(CORRECTION_REFUSED)
    return attendance


def get_note_for(who, note_id, *, may: NoteAction | str = NoteAction.READ) -> SessionNote:
    """A note on a session of their services (404 otherwise); refused, and logged, when they
    are excluded from the man it is about. Its content only to the agency it is shared with
    (`participants.timeline.may_read`), which also decides addenda and the edit page; marking
    his risk concern seen is his offender manager's or the service manager's, whatever the
    note's agency (it reveals nothing of a restricted note)."""
    access = access_for(who)
    action = NoteAction(may)
    try:
        note = (
            SessionNote.objects.filter(session__in=Session.objects.visible_to(access))
            .select_related("session", "participant")
            .get(pk=note_id)
        )
    except (SessionNote.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such note") from error
    if action == NoteAction.MARK_SEEN:
        # Refuses (and logs) an exclusion, and anyone but his OM or the service manager.
        note.participant = get_participant_for(
            access, note.participant_id, may=ParticipantAction.RECALL
        )
        return note
    if access.is_excluded_from(note.participant_id):
        refuse_excluded(access, note.participant_id)
        raise Http404("No such note")
    role = access.role_in(note.session.service_id) or ""
    if not may_read(access.user, note.participant, note.visibility):
        log_record_access(
            user=access.user, participant_id=note.participant_id, allowed=False, role=role
        )
        raise PermissionDenied("This note is restricted to another agency.")
    log_record_access(user=access.user, participant_id=note.participant_id, allowed=True, role=role)
    return note
