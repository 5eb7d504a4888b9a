from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from benchmarks.constants import BENCH_PASSWORD, FOCUS_EMAILS, SIZES
from benchmarks.dataset import DatasetError, generate
from benchmarks.progress import Progress


class Command(BaseCommand):
    help = (
        "Fills an empty, migrated database with a realistic synthetic dataset for benchmarks "
        "(made-up people only). Sizes: " + ", ".join(SIZES) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=list(SIZES), required=True)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("generate_dataset refuses to run with RESETTLE_ENV=production.")
        # The raw stream: Django's wrapper ends every write with a newline, and the progress
        # line rewrites itself with "\r" on a terminal.
        progress = Progress(getattr(self.stderr, "_out", self.stderr))
        try:
            dataset = generate(size=options["size"], seed=options["seed"], progress=progress)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        progress.done("Dataset ready")
        counts = dataset.writer.counts
        width = max(len(label) for label in counts)
        self.stdout.write(f"{'model':<{width}}  {'rows':>10}")
        for label, rows in sorted(counts.items()):
            self.stdout.write(f"{label:<{width}}  {rows:>10,}")
        self.stdout.write(f"{'total':<{width}}  {sum(counts.values()):>10,}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
                self.stdout.write(f"Database size: {cursor.fetchone()[0]}")
        self.stdout.write(
            f"Generated the {options['size']} dataset (seed {options['seed']}) in "
            f"{progress.elapsed:.0f} s. Every generated login's password: {BENCH_PASSWORD}"
        )
        for key, email in FOCUS_EMAILS.items():
            self.stdout.write(f"  {key:<17} {email}")
