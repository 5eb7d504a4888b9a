from django.db import migrations

from resettle.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0001_initial"),
        ("accounts", "0002_roles_and_system_account"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
