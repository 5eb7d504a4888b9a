"""His expected days a week are no longer copied onto his record: the copy held only the plan
approved last, so approving a new version rewrote every past week. The attendance pages read
the days a week in force on each day from his approved plan versions (sessions/compliance.py).
Reversing brings the column back and copies it again from each man's approved plan."""

import importlib

from django.db import migrations


def copy_back(apps, schema_editor):
    importlib.import_module(
        "riskplans.migrations.0003_expected_days_on_the_record"
    ).copy_from_approved_plans(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0009_text_limits_and_plain_names"),
        ("riskplans", "0004_contributors_and_agreement"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, copy_back),
        migrations.RemoveField(model_name="participant", name="expected_days_per_week"),
    ]
