"""Home panels of the records app: his caseload, reviews due, capacity, break-glass, referrals
and records due for a retention review."""

from django.utils import timezone

from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.home import register_panel
from resettle.core.querysets import first_rows_and_total

from . import retention, selectors
from .models import Referral


def my_caseload(access, role) -> dict:
    rows, total = first_rows_and_total(
        selectors.caseload_rows(access, selectors.CaseloadFilters(mine=True)), 15
    )
    return {"my_caseload": rows, "my_caseload_count": total}


def overdue_reviews(access, role) -> dict:
    overdue = selectors.caseload_rows(
        access,
        selectors.CaseloadFilters(mine=role != Role.SERVICE_MANAGER, review_overdue=True),
    )
    return {"overdue_reviews": list(overdue[:15])}


def service_overview(access, role) -> dict:
    managed = access.services([Role.SERVICE_MANAGER])
    return {
        "capacities": selectors.capacities(managed),
        "now": timezone.now(),
        "temporary_access": selectors.temporary_access_in_services(
            [service.pk for service in managed], visible_to=access
        ),
        "open_referrals": Referral.objects.visible_to(access)
        .filter(status__in=Referral.OPEN_STATUSES)
        .count(),
        "records_due_for_review": retention.due_for_review_count(access, timezone.localdate()),
        "retention_years": retention.retention_years(),
    }


def clock_panels(access, role) -> dict:
    """Upcoming releases and the men the clock flags: his team's, or a manager's services'."""
    mine = role != Role.SERVICE_MANAGER
    releases, releases_total = first_rows_and_total(
        selectors.upcoming_releases(access, mine=mine), 15
    )
    return {
        "upcoming_releases": releases,
        "upcoming_releases_count": releases_total,
        "time_limit_prompts": selectors.time_limit_prompts(access, mine=mine),
    }


def register() -> None:
    register_panel("my_caseload", CASE_ROLES, my_caseload, 40)
    register_panel("clock", CASE_ROLES, clock_panels, 42)
    register_panel("overdue_reviews", CASE_ROLES, overdue_reviews, 45)
    register_panel("service_overview", [Role.SERVICE_MANAGER], service_overview, 60)
