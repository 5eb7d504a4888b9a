from django.apps import AppConfig


class CrisislineConfig(AppConfig):
    name = "crisisline"
    verbose_name = "Crisis line"

    def ready(self):
        from participants.history import HistoryArea, own_versions, register_history
        from participants.record import RecordTab, register_tab
        from participants.retention import register_eraser
        from resettle.core.demo import register_seeder

        from . import panels
        from .demo import seed_calls
        from .models import CrisisCall
        from .retention import ERASER

        register_tab(RecordTab("crisis", "Crisis calls", "crisisline:participant_calls", 50))
        panels.register()
        register_seeder(40, seed_calls)
        register_history(HistoryArea("Crisis calls", own_versions(CrisisCall)))
        register_eraser(ERASER)
