"""Copy each man's expected days a week from his approved plan onto his record, where the
riskplans services now keep it (sync_participant_summary) for the attendance pages."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy_from_approved_plans(apps, schema_editor):
    Participant = apps.get_model("participants", "Participant")
    RiskManagementPlan = apps.get_model("riskplans", "RiskManagementPlan")
    approved = (
        RiskManagementPlan.objects.filter(participant=OuterRef("pk"), status="approved")
        .order_by("-number")
        .values("expected_days_per_week")[:1]
    )
    Participant.objects.update(expected_days_per_week=Subquery(approved))


class Migration(migrations.Migration):
    dependencies = [
        ("riskplans", "0002_role_permissions"),
        ("participants", "0007_expected_days_per_week"),
    ]

    # Reversing needs nothing: the column goes with participants 0007.
    operations = [migrations.RunPython(copy_from_approved_plans, migrations.RunPython.noop)]
