from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants, referrals and caseload"

    def ready(self):
        from resettle.core.demo import register_seeder

        from . import access, demo, panels

        # Exclusions and "in his team now": the rules every app's access asks.
        access.register()
        panels.register()
        register_seeder(10, demo.seed_participants)
        register_seeder(20, demo.seed_referrals_only)
        register_seeder(70, demo.seed_records_due_for_review)
