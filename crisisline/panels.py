"""Home panels of the crisis line: the day's calls for a crisis-line worker, and the follow-ups
waiting for the day team."""

import datetime

from django.utils import timezone

from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.home import register_panel
from resettle.core.querysets import first_rows_and_total

from .access import calls_visible_to
from .selectors import unacknowledged_follow_ups


def recent_calls(access, role) -> dict:
    since = timezone.now() - datetime.timedelta(hours=24)
    return {
        "recent_calls": list(
            calls_visible_to(access)
            .filter(started_at__gte=since)
            .select_related("participant")[:20]
        )
    }


def follow_ups(access, role) -> dict:
    rows, total = first_rows_and_total(
        unacknowledged_follow_ups(access.user, allocated_only=role != Role.SERVICE_MANAGER), 10
    )
    return {"follow_ups": rows, "follow_ups_count": total}


def register() -> None:
    register_panel("recent_calls", [Role.CRISIS_LINE_WORKER], recent_calls, 10)
    register_panel("follow_ups", CASE_ROLES, follow_ups, 30)
