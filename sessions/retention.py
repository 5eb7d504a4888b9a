"""What this app holds about a man, for a retention deletion (see participants/retention.py).

Sessions only he was on go entirely. A group session he shared with other men stays, with
their attendance and notes: only his attendance (with any corrections of his outcomes), notes
and their addenda are removed.
"""

from django.apps import apps

from participants.retention import RecordEraser

from .models import (
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    OutcomeCorrection,
    RecallDecision,
    Session,
    SessionNote,
)


def _his_session_ids(participant) -> set:
    return set(
        Attendance.objects.filter(participant=participant).values_list("session_id", flat=True)
    ) | set(
        SessionNote.objects.filter(participant=participant).values_list("session_id", flat=True)
    )


def _sessions_only_he_was_on(participant) -> set:
    his = _his_session_ids(participant)
    shared = set(
        Attendance.objects.filter(session_id__in=his)
        .exclude(participant=participant)
        .values_list("session_id", flat=True)
    ) | set(
        SessionNote.objects.filter(session_id__in=his)
        .exclude(participant=participant)
        .values_list("session_id", flat=True)
    )
    return his - shared


def _history(participant_id, session_ids) -> list:
    """His rows in every history table of this app, children before the tables they name."""
    staff_versions = apps.get_model("keywork", "HistoricalSession_staff")
    return [
        NoteAddendum.history.filter(
            note_id__in=SessionNote.history.filter(participant_id=participant_id).values("id")
        ),
        SessionNote.history.filter(participant_id=participant_id),
        Attendance.history.filter(participant_id=participant_id),
        staff_versions.objects.filter(session_id__in=session_ids),
        Session.history.filter(id__in=session_ids),
        RecallDecision.history.filter(
            enforcement_id__in=EnforcementDecision.history.filter(
                participant_id=participant_id
            ).values("id")
        ),
        EnforcementDecision.history.filter(participant_id=participant_id),
    ]


def count(participant) -> list[tuple[str, int]]:
    return [
        ("sessions only he was on", len(_sessions_only_he_was_on(participant))),
        ("attendance records", Attendance.objects.filter(participant=participant).count()),
        (
            "outcome corrections",
            OutcomeCorrection.objects.filter(attendance__participant=participant).count(),
        ),
        ("session notes", SessionNote.objects.filter(participant=participant).count()),
        ("note addenda", NoteAddendum.objects.filter(note__participant=participant).count()),
        (
            "enforcement decisions",
            EnforcementDecision.objects.filter(participant=participant).count(),
        ),
        (
            "recall decisions",
            RecallDecision.objects.filter(enforcement__participant=participant).count(),
        ),
    ]


def history_count(participant) -> int:
    only_his = _sessions_only_he_was_on(participant)
    return sum(rows.count() for rows in _history(participant.pk, only_his))


def erase(participant) -> None:
    only_his = _sessions_only_he_was_on(participant)
    NoteAddendum.objects.filter(note__participant=participant).delete()
    OutcomeCorrection.objects.filter(attendance__participant=participant).delete()
    SessionNote.objects.filter(participant=participant).delete()
    Attendance.objects.filter(participant=participant).delete()
    Session.objects.filter(pk__in=only_his).delete()
    RecallDecision.objects.filter(enforcement__participant=participant).delete()
    EnforcementDecision.objects.filter(participant=participant).delete()
    for rows in _history(participant.pk, only_his):
        rows.delete()


ERASER = RecordEraser(app="sessions", count=count, erase=erase, history_count=history_count)
