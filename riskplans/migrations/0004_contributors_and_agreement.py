"""Who wrote each plan version (four eyes by content) and who agreed each formulation, when.

Existing plans get their contributors from their history: the author, and everyone whose
save changed what the version says (approving, returning and submitting change its status
only). Formulations already agreed get `agreed_by`/`agreed_at` from the save that made them
current. Reversing drops the columns; nothing else to undo.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

PLAN_CONTENT_FIELDS = ("actions", "contingency_plan", "expected_days_per_week")


def contributors_from_history(author_id, rows) -> set:
    """`rows`: one version's history, oldest first, as dicts with `history_user_id` and the
    content fields. The author, and whoever saved a row whose content differs from the one
    before (the first row is the version being started)."""
    writers = {author_id} if author_id else set()
    previous = None
    for row in rows:
        content = tuple(row[field] for field in PLAN_CONTENT_FIELDS)
        if content != previous and row["history_user_id"]:
            writers.add(row["history_user_id"])
        previous = content
    return writers


def fill_contributors(apps, schema_editor):
    Plan = apps.get_model("riskplans", "RiskManagementPlan")
    HistoricalPlan = apps.get_model("riskplans", "HistoricalRiskManagementPlan")
    for plan in Plan.objects.only("id", "author_id").iterator():
        rows = (
            HistoricalPlan.objects.filter(id=plan.id)
            .order_by("history_date", "history_id")
            .values("history_user_id", *PLAN_CONTENT_FIELDS)
        )
        plan.contributors.set(contributors_from_history(plan.author_id, rows))


def fill_agreements(apps, schema_editor):
    Formulation = apps.get_model("riskplans", "Formulation")
    HistoricalFormulation = apps.get_model("riskplans", "HistoricalFormulation")
    agreed = Formulation.objects.filter(status__in=("current", "superseded"), agreed_at=None)
    for formulation in agreed.only("id").iterator():
        made_current = (
            HistoricalFormulation.objects.filter(id=formulation.id, status="current")
            .order_by("history_date", "history_id")
            .values("history_user_id", "history_date")
            .first()
        )
        if made_current is not None:
            Formulation.objects.filter(pk=formulation.pk).update(
                agreed_by_id=made_current["history_user_id"],
                agreed_at=made_current["history_date"],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("riskplans", "0003_expected_days_on_the_record"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="formulation",
            name="agreed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="formulation",
            name="agreed_by",
            field=models.ForeignKey(
                blank=True,
                help_text="The psychologist who agreed it as the team's formulation",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalformulation",
            name="agreed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalformulation",
            name="agreed_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The psychologist who agreed it as the team's formulation",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="riskmanagementplan",
            name="contributors",
            field=models.ManyToManyField(
                blank=True, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="written by"
            ),
        ),
        migrations.RunPython(fill_contributors, migrations.RunPython.noop),
        migrations.RunPython(fill_agreements, migrations.RunPython.noop),
    ]
