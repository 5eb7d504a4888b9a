"""The primary navigation: each entry names the roles that may use it.

Apps add their entries here as they land, so every role sees only what it may open.
"""

from dataclasses import dataclass

from django.urls import reverse

from resettle import access
from resettle.accounts.roles import CASE_ROLES, CRISIS_SUMMARY_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


ALL_ROLES = frozenset(Role)

NAVIGATION: tuple[NavItem, ...] = (
    NavItem("Home", "core:home", ALL_ROLES),
    NavItem("My day", "keywork:my_day", frozenset(CASE_ROLES)),
    NavItem("Caseload", "participants:caseload", frozenset(CASE_ROLES)),
    NavItem("Referrals", "participants:referral_list", frozenset(CASE_ROLES)),
    NavItem("Crisis line", "crisisline:search", frozenset(CRISIS_SUMMARY_ROLES)),
    NavItem("Handover", "crisisline:handover", frozenset(CASE_ROLES)),
    NavItem(
        "Reports",
        "reports:list",
        frozenset({Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER, Role.COMMISSIONER}),
    ),
    NavItem("Staff accounts", "accounts:staff_list", frozenset({Role.ADMINISTRATOR})),
)


def navigation_for(user, current_path: str) -> list[dict]:
    held = access.roles_of(user)
    items = []
    for item in NAVIGATION:
        if not held & item.roles:
            continue
        url = reverse(item.url_name)
        is_current = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "current": is_current})
    return items
