"""What each role's home page shows first. Apps add panels here as they land."""

import datetime

from django.db.models import Count
from django.utils import timezone

from resettle import access
from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.querysets import first_rows_and_total


def home_panels(*, user, role: str | None) -> dict:
    if role == Role.ADMINISTRATOR:
        return {
            "staff_count": User.objects.filter(is_active=True).count(),
            "roles_by_service": list(
                Membership.objects.values("service__name", "role")
                .annotate(people=Count("user"))
                .order_by("service__name", "role")
            ),
        }
    if role == Role.CRISIS_LINE_WORKER:
        from crisisline.selectors import calls_visible_to

        since = timezone.now() - datetime.timedelta(hours=24)
        return {
            "recent_calls": list(
                calls_visible_to(user)
                .filter(started_at__gte=since)
                .select_related("participant")[:20]
            )
        }
    if role == Role.COMMISSIONER:
        from resettle.access import reports_visible_to

        service_ids = {m.service_id for m in user.memberships.all()}
        return {
            "services": list(Service.objects.filter(pk__in=service_ids)),
            "recent_reports": list(
                reports_visible_to(user)
                .filter(status="succeeded")
                .select_related("service")
                .order_by("-period_start", "-finished_at")[:6]
            ),
        }
    if role in CASE_ROLES:
        return case_worker_panels(user=user, role=role)
    return {}


def case_worker_panels(*, user, role: str) -> dict:
    from participants import selectors as participant_selectors
    from participants.models import Referral
    from riskplans.selectors import plans_awaiting_decision

    mine = participant_selectors.caseload_rows(
        user, participant_selectors.CaseloadFilters(mine=True)
    )
    overdue = participant_selectors.caseload_rows(
        user,
        participant_selectors.CaseloadFilters(
            mine=role != Role.SERVICE_MANAGER, review_overdue=True
        ),
    )
    from crisisline.selectors import unacknowledged_follow_ups
    from sessions import selectors as session_selectors

    follow_ups, follow_ups_count = first_rows_and_total(
        unacknowledged_follow_ups(user, allocated_only=role != Role.SERVICE_MANAGER), 10
    )
    my_caseload, my_caseload_count = first_rows_and_total(mine, 15)
    panels = {
        "todays_sessions": session_selectors.my_day(user),
        "outcomes_missing": session_selectors.outcomes_missing(user),
        "risk_concerns": session_selectors.risk_concerns_for(user)
        if role == Role.OFFENDER_MANAGER
        else [],
        "enforcement_prompts": session_selectors.enforcement_prompts_for(user)
        if role == Role.OFFENDER_MANAGER
        else [],
        "follow_ups": follow_ups,
        "follow_ups_count": follow_ups_count,
        "my_caseload": my_caseload,
        "my_caseload_count": my_caseload_count,
        "overdue_reviews": list(overdue[:15]),
        "plans_to_decide": plans_awaiting_decision(user)
        if role in (Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER)
        else [],
    }
    if role == Role.SERVICE_MANAGER:
        managed = [m.service for m in access.memberships_of(user) if m.role == role]
        panels["capacities"] = participant_selectors.capacities(managed)
        from reports.selectors import drafts_awaiting_approval

        panels["reports_to_approve"] = drafts_awaiting_approval(user)
        panels["now"] = timezone.now()
        panels["temporary_access"] = participant_selectors.temporary_access_in_services(
            [service.pk for service in managed]
        )
        panels["open_referrals"] = (
            access.referrals_visible_to(user).filter(status__in=Referral.OPEN_STATUSES).count()
        )
        from participants import retention

        panels["records_due_for_review"] = retention.due_for_review_count(
            user, timezone.localdate()
        )
        panels["retention_years"] = retention.retention_years()
    return panels
