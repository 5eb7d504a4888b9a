from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from resettle.audit import acting_as, system_account
from resettle.core import demo


class Command(BaseCommand):
    help = "Creates a believable demo (made-up people only). Safe to run twice."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run with RESETTLE_ENV=production.")
        with transaction.atomic(), acting_as(system_account()):
            services = demo.seed_services_and_staff()
            for seeder in demo.extra_seeders():
                seeder(services)
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Demo logins:"))
        self.stdout.write(f"  password for every login: {demo.DEMO_PASSWORD}")
        for email, role, service in demo.demo_logins():
            self.stdout.write(f"  {email:<32} {role:<20} {service}")
