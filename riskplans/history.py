"""The history of his risk assessments, plans and formulations, for his History tab."""

from participants.history import HistoryArea

from .models import Formulation, RiskAssessment, RiskManagementPlan

AREAS = (
    HistoryArea(
        "Risk assessments", lambda p, user: RiskAssessment.history.filter(participant_id=p.pk)
    ),
    HistoryArea(
        "Risk management plans",
        lambda p, user: RiskManagementPlan.history.filter(participant_id=p.pk),
    ),
    HistoryArea("Formulations", lambda p, user: Formulation.history.filter(participant_id=p.pk)),
)
