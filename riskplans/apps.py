from django.apps import AppConfig


class RiskplansConfig(AppConfig):
    name = "riskplans"
    verbose_name = "Risk assessments, plans and formulations"

    def ready(self):
        from participants.events import on_significant_event
        from participants.history import register_history
        from participants.record import RecordTab, register_tab
        from participants.retention import register_eraser
        from resettle.core.demo import register_seeder

        from . import panels
        from .demo import seed_risk
        from .history import AREAS
        from .retention import ERASER
        from .services import bring_review_forward

        register_tab(RecordTab("plans", "Risk and plans", "riskplans:overview", 30))
        panels.register()
        register_seeder(30, seed_risk)
        on_significant_event(bring_review_forward)
        for area in AREAS:
            register_history(area)
        register_eraser(ERASER)
