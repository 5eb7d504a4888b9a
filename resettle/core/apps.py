from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "resettle.core"
    label = "core"
    verbose_name = "Resettle core (home, health, layout)"
