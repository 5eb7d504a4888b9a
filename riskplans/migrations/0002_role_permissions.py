from django.db import migrations

from resettle.accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("riskplans", "0001_initial"),
        ("participants", "0003_risk_summary"),
    ]

    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
