"""The history of his risk assessments, plans and formulations, for his History tab."""

from participants.history import HistoryArea, versions_of

from .models import Formulation, RiskAssessment, RiskManagementPlan

AREAS = (
    HistoryArea(
        "Risk assessments", lambda p, user: versions_of(RiskAssessment).filter(participant_id=p.pk)
    ),
    HistoryArea(
        "Risk management plans",
        lambda p, user: versions_of(RiskManagementPlan).filter(participant_id=p.pk),
    ),
    HistoryArea(
        "Formulations", lambda p, user: versions_of(Formulation).filter(participant_id=p.pk)
    ),
)
