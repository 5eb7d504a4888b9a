"""The history of his risk assessments, plans and formulations, for his History tab."""

from participants.history import HistoryArea, own_versions

from .models import Formulation, RiskAssessment, RiskManagementPlan

AREAS = (
    HistoryArea("Risk assessments", own_versions(RiskAssessment)),
    HistoryArea("Risk management plans", own_versions(RiskManagementPlan)),
    HistoryArea("Formulations", own_versions(Formulation)),
)
