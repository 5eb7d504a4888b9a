"""Last quarter's commissioner drafts, as the quarterly schedule would have made them.

Merseyside's is left for its service manager to check and approve; Northumbria's is approved,
so its commissioner has a report to download and the national roll-up has a service in it.
"""

from resettle.accounts.models import User
from resettle.core.demo import demo_email

from . import services


def seed_reports(demo_services) -> None:
    drafts = {report.service_id: report for report in services.queue_quarterly_reports()}
    northumbria = demo_services.get("northumbria")
    report = drafts.get(northumbria.pk) if northumbria else None
    if report is None:
        return
    report.refresh_from_db()
    if report.status == "succeeded" and not report.is_approved:
        manager = User.objects.get(email=demo_email("manager", "northumbria"))
        services.approve_report(actor=manager, report=report)
