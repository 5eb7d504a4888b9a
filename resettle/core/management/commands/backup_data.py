from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from resettle.core import backup


class Command(BaseCommand):
    help = (
        "Writes a consistent backup of the database and the report files into a new folder "
        "resettle-YYYYmmddTHHMMSSZ inside --output. It holds personal data: encrypt it at rest."
    )
    # Backups and restores must work in an incident, when some unrelated check may fail.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=Path("backups"),
            help="Folder to create the backup in (default: backups).",
        )

    def handle(self, *args, output: Path, **options):
        try:
            backup.back_up(output, say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
