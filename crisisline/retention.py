"""What this app holds about a man, for a retention deletion (see participants/retention.py)."""

from participants.retention import RecordEraser

from .models import CrisisCall


def _history(participant_id):
    # A call logged before it was linked to him has earlier versions without his id.
    ids = CrisisCall.history.filter(participant_id=participant_id).values("id")
    return CrisisCall.history.filter(id__in=ids)


def count(participant) -> list[tuple[str, int]]:
    return [("crisis calls", CrisisCall.objects.filter(participant=participant).count())]


def history_count(participant) -> int:
    return _history(participant.pk).count()


def erase(participant) -> None:
    CrisisCall.objects.filter(participant=participant).delete()
    _history(participant.pk).delete()


ERASER = RecordEraser(app="crisisline", count=count, erase=erase, history_count=history_count)
