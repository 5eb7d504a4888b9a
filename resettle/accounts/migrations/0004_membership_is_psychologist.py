"""A service manager who is a psychologist (issue 18, point 5): they may agree formulations."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_out_of_hours_route"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmembership",
            name="is_psychologist",
            field=models.BooleanField(
                default=False,
                help_text="A service manager who is a psychologist may agree formulations",
                verbose_name="a psychologist",
            ),
        ),
        migrations.AddField(
            model_name="membership",
            name="is_psychologist",
            field=models.BooleanField(
                default=False,
                help_text="A service manager who is a psychologist may agree formulations",
                verbose_name="a psychologist",
            ),
        ),
    ]
