from django.apps import AppConfig


class CrisislineConfig(AppConfig):
    name = "crisisline"
    verbose_name = "Crisis line"

    def ready(self):
        from participants.history import HistoryArea, register_history
        from participants.record import RecordTab, register_tab

        from .models import CrisisCall

        register_tab(RecordTab("crisis", "Crisis calls", "crisisline:participant_calls", 50))
        register_history(
            HistoryArea(
                "Crisis calls", lambda p, user: CrisisCall.history.filter(participant_id=p.pk)
            )
        )
