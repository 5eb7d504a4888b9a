"""The history of his appointments, notes and enforcement records, for his History tab.

Notes restricted to one agency (and their addenda) appear only to staff who may read them.
"""

from participants.history import HistoryArea, own_versions, versions_of
from participants.timeline import may_read

from .models import (
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    RecallDecision,
    SessionNote,
    Visibility,
)


def _readable_notes(participant, user):
    readable = [v for v in Visibility.values if may_read(user, participant, v)]
    return SessionNote.objects.filter(participant=participant, visibility__in=readable)


AREAS = (
    HistoryArea("Attendance", own_versions(Attendance)),
    HistoryArea(
        "Session notes",
        lambda p, user: versions_of(SessionNote).filter(
            id__in=_readable_notes(p, user).values("pk")
        ),
    ),
    HistoryArea(
        "Note addenda",
        lambda p, user: versions_of(NoteAddendum).filter(
            note_id__in=_readable_notes(p, user).values("pk")
        ),
    ),
    HistoryArea("Enforcement decisions", own_versions(EnforcementDecision)),
    HistoryArea(
        "Recall decisions",
        lambda p, user: versions_of(RecallDecision).filter(
            enforcement_id__in=EnforcementDecision.objects.filter(participant=p).values("pk")
        ),
    ),
)
