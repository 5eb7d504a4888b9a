from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from participants.retention import register_eraser, register_hold

        from .retention import ERASER, REPORT_IN_PROGRESS

        register_eraser(ERASER)
        register_hold(REPORT_IN_PROGRESS)
