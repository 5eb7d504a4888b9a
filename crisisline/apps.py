from django.apps import AppConfig


class CrisislineConfig(AppConfig):
    name = "crisisline"
    verbose_name = "Crisis line"

    def ready(self):
        from participants.history import HistoryArea, register_history, versions_of
        from participants.record import RecordTab, register_tab
        from participants.retention import register_eraser

        from .models import CrisisCall
        from .retention import ERASER

        register_tab(RecordTab("crisis", "Crisis calls", "crisisline:participant_calls", 50))
        register_history(
            HistoryArea(
                "Crisis calls", lambda p, user: versions_of(CrisisCall).filter(participant_id=p.pk)
            )
        )
        register_eraser(ERASER)
