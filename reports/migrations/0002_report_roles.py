from django.db import migrations

from resettle.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("keywork", "0003_risk_concern_seen_by"),
        ("crisisline", "0002_bank_holidays_and_roles"),
        ("riskplans", "0002_role_permissions"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
