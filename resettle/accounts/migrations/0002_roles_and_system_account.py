from django.db import migrations

from resettle.accounts.roles import sync_role_groups

SYSTEM_ACCOUNT_EMAIL = "system@resettle.invalid"


def create_system_account(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.get_or_create(
        email=SYSTEM_ACCOUNT_EMAIL,
        defaults={
            "full_name": "Resettle system (automated task)",
            "is_active": False,
            "password": "!",  # unusable: this account can never sign in
        },
    )


def remove_system_account(apps, schema_editor):
    apps.get_model("accounts", "User").objects.filter(email=SYSTEM_ACCOUNT_EMAIL).delete()


def remove_role_groups(apps, schema_editor):
    from resettle.accounts.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=[r.label for r in Role]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(sync_role_groups, remove_role_groups),
        migrations.RunPython(create_system_account, remove_system_account),
    ]
