from django.apps import AppConfig


class KeyworkConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label, so this app is labelled "keywork".
    name = "sessions"
    label = "keywork"
    verbose_name = "Appointments, sessions and licence compliance"

    def ready(self):
        from participants.events import on_stage_change
        from participants.history import register_history
        from participants.record import RecordTab, register_tab
        from participants.retention import register_eraser
        from resettle.core.demo import register_seeder

        from . import panels
        from .demo import seed_sessions
        from .history import AREAS
        from .retention import ERASER
        from .services import follow_stage_change

        register_tab(RecordTab("sessions", "Sessions", "keywork:participant_sessions", 40))
        panels.register()
        register_seeder(50, seed_sessions)
        for area in AREAS:
            register_history(area)
        register_eraser(ERASER)
        on_stage_change(follow_stage_change)
