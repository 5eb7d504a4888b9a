from django.apps import AppConfig


class CrisislineConfig(AppConfig):
    name = "crisisline"
    verbose_name = "Crisis line"
