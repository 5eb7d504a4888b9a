from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from resettle.core import backup


class Command(BaseCommand):
    help = (
        "Brings a backup made by backup_data back into an EMPTY database (and the report "
        "storage), then checks every table and file against the backup's checksums."
    )
    # Backups and restores must work in an incident, when some unrelated check may fail.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--input",
            type=Path,
            required=True,
            help="The backup folder, e.g. backups/resettle-20260301T020000Z.",
        )

    def handle(self, *args, input: Path, **options):
        try:
            backup.restore(input, say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
