from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "resettle.accounts"
    label = "accounts"
    verbose_name = "Staff accounts and services"
    default_auto_field = "django.db.models.BigAutoField"
