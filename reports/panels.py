"""Home panels of reports: drafts for a service manager to approve, and a commissioner's
latest reports."""

from resettle.accounts.roles import Role
from resettle.core.home import register_panel

from .access import reports_visible_to
from .selectors import drafts_awaiting_approval


def reports_to_approve(access, role) -> dict:
    return {"reports_to_approve": drafts_awaiting_approval(access.user)}


def recent_reports(access, role) -> dict:
    return {
        "recent_reports": list(
            reports_visible_to(access)
            .filter(status="succeeded")
            .select_related("service")
            .order_by("-period_start", "-finished_at")[:6]
        )
    }


def register() -> None:
    register_panel("reports_to_approve", [Role.SERVICE_MANAGER], reports_to_approve, 70)
    register_panel("recent_reports", [Role.COMMISSIONER], recent_reports, 20)
