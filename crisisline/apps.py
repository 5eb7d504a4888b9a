from django.apps import AppConfig


class CrisislineConfig(AppConfig):
    name = "crisisline"
    verbose_name = "Crisis line"

    def ready(self):
        from participants.record import RecordTab, register_tab

        register_tab(RecordTab("crisis", "Crisis calls", "crisisline:participant_calls", 50))
