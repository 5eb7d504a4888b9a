from django.apps import AppConfig


class RiskplansConfig(AppConfig):
    name = "riskplans"
    verbose_name = "Risk assessments, plans and formulations"
