"""Reads for the report pages and the home page."""

from resettle import access
from resettle.accounts.roles import Role

from .access import COMPLIANCE_REPORT_ROLES, may_act_on_report, reports_visible_to
from .forms import ApprovalForm
from .models import ReportKind, ReportStatus


def reports_for_list(user):
    return (
        reports_visible_to(user)
        .select_related("service", "participant", "requested_by", "approved_by")
        .order_by("-requested_at")
    )


def what_user_may_ask(user) -> dict:
    return {
        "may_ask_compliance": access.has_role(user, COMPLIANCE_REPORT_ROLES),
        "may_ask_commissioner": access.has_role(user, [Role.SERVICE_MANAGER]),
        "may_ask_national": access.has_role(user, [Role.COMMISSIONER]),
    }


def detail_context(user, report) -> dict:
    may_manage = report.kind == ReportKind.COMMISSIONER and access.is_service_manager_of(
        user, report.service_id
    )
    return {
        "report": report,
        "may_approve": may_manage
        and report.status == ReportStatus.SUCCEEDED
        and not report.is_approved
        and not report.superseded_at,
        "may_produce_again": may_manage
        and not report.is_approved
        and not report.superseded_at
        and not report.is_active,
        "may_retry": report.status == ReportStatus.FAILED
        and may_act_on_report(user, report, "retry"),
        "approval_form": ApprovalForm(),
    }


def drafts_awaiting_approval(user) -> list:
    """Commissioner reports of the user's services that their service manager must approve."""
    managed = access.service_ids_for(user, [Role.SERVICE_MANAGER])
    if not managed:
        return []
    from .models import ReportRequest

    return list(
        ReportRequest.objects.filter(
            kind=ReportKind.COMMISSIONER,
            service_id__in=managed,
            approved_at__isnull=True,
            superseded_at__isnull=True,
        )
        .select_related("service")
        .order_by("-period_start", "service__name")[:10]
    )
