"""What this app holds about a man, for a retention deletion (see participants/retention.py)."""

from participants.retention import RecordEraser

from .models import Formulation, RiskAssessment, RiskManagementPlan

RECORDS = (
    ("risk assessments", RiskAssessment),
    ("risk management plans (all versions)", RiskManagementPlan),
    ("formulations (all versions)", Formulation),
)


def count(participant) -> list[tuple[str, int]]:
    return [
        (label, model.objects.filter(participant=participant).count()) for label, model in RECORDS
    ]


def history_count(participant) -> int:
    return sum(model.history.filter(participant_id=participant.pk).count() for _l, model in RECORDS)


def erase(participant) -> None:
    for _label, model in RECORDS:
        model.objects.filter(participant=participant).delete()
        model.history.filter(participant_id=participant.pk).delete()


ERASER = RecordEraser(app="riskplans", count=count, erase=erase, history_count=history_count)
