from django.db import migrations

from resettle.accounts.roles import sync_role_groups


def default_policies(apps, schema_editor):
    Service = apps.get_model("accounts", "Service")
    CompliancePolicy = apps.get_model("keywork", "CompliancePolicy")
    for service in Service.objects.all():
        CompliancePolicy.objects.get_or_create(service=service)


class Migration(migrations.Migration):
    dependencies = [
        ("keywork", "0001_initial"),
        ("crisisline", "0002_bank_holidays_and_roles"),
    ]

    operations = [
        migrations.RunPython(default_policies, migrations.RunPython.noop),
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
    ]
