"""What this app holds about a man, for a retention deletion (see participants/retention.py).

His licence-compliance reports go with their PDF files. The files are removed from the private
report storage only once the deletion has committed, so a rolled-back deletion keeps them.
Commissioner reports stay: they hold counts, never a name or an identifier.
"""

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef

from participants.retention import Hold, RecordEraser

from .models import ReportRequest, ReportStatus, report_storage

logger = logging.getLogger(__name__)


def _history(participant_id):
    return ReportRequest.history.filter(participant_id=participant_id)


def count(participant) -> list[tuple[str, int]]:
    return [
        (
            "licence-compliance reports (with their PDF files)",
            ReportRequest.objects.filter(participant=participant).count(),
        )
    ]


def history_count(participant) -> int:
    return _history(participant.pk).count()


def _remove_files(names: set[str]) -> None:
    storage = report_storage()
    for name in sorted(names):
        try:
            storage.delete(name)
        except OSError:
            # The decision is recorded; a file that could not go is named for the operator.
            logger.exception("Could not remove report file %s after a retention deletion", name)


def erase(participant) -> None:
    names = set(
        ReportRequest.objects.filter(participant=participant)
        .exclude(file="")
        .values_list("file", flat=True)
    ) | set(_history(participant.pk).exclude(file="").values_list("file", flat=True))
    ReportRequest.objects.filter(participant=participant).delete()
    _history(participant.pk).delete()
    transaction.on_commit(lambda: _remove_files(names))


ERASER = RecordEraser(app="reports", count=count, erase=erase, history_count=history_count)


def _report_in_progress(queryset, today):
    in_progress = ReportRequest.objects.filter(
        participant=OuterRef("pk"), status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING)
    )
    return queryset.annotate(hold_report=Exists(in_progress))


REPORT_IN_PROGRESS = Hold(
    "report",
    _report_in_progress,
    lambda p: "A report about him is being produced: wait for it to finish",
)
