"""Each attendance carries its session's start time, so a man's sessions (newest first) and
his compliance windows are read from an index on his own rows, not by joining every session
he ever had. Filled in from the sessions here; kept by Attendance.save() and change_session."""

from django.db import migrations, models

FILL_IN = """
UPDATE keywork_attendance SET session_starts_at = (
    SELECT starts_at FROM keywork_session WHERE keywork_session.id = keywork_attendance.session_id
)
"""


class Migration(migrations.Migration):
    dependencies = [("keywork", "0004_session_ends_at_index")]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="session_starts_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL_IN, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="attendance",
            name="session_starts_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="attendance",
            index=models.Index(
                fields=["participant", "-session_starts_at"], name="keywork_att_his_sessions"
            ),
        ),
    ]
