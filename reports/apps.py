from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from participants.retention import register_eraser, register_hold
        from resettle.core.demo import register_seeder
        from resettle.core.storage import register_private_files

        from . import panels
        from .demo import seed_reports
        from .models import ReportRequest, report_storage
        from .retention import ERASER, REPORT_IN_PROGRESS

        register_eraser(ERASER)
        panels.register()
        register_hold(REPORT_IN_PROGRESS)
        # Backup copies the report files the database refers to.
        register_private_files(storage=report_storage, model=lambda: ReportRequest)
        register_seeder(60, seed_reports)
