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


# A man's record is reached from the caseload, whichever app serves its tab: his Sessions tab
# (/sessions/participants/…) and his calls (/crisis/participants/…) are under "Caseload", not
# "My day" or "Crisis line".
RECORD_PREFIXES = ("/sessions/participants/", "/crisis/participants/")


def current_url_name(current_path: str, names) -> str | None:
    """The one entry the page belongs to: the longest URL that starts its path (so the
    handover, /crisis/handover/, is "Handover" and not "Crisis line" too)."""
    if current_path.startswith(RECORD_PREFIXES):
        return "participants:caseload" if "participants:caseload" in names else None
    best, best_length = None, -1
    for name in names:
        url = reverse(name)
        matches = current_path == url if url == "/" else current_path.startswith(url)
        if matches and len(url) > best_length:
            best, best_length = name, len(url)
    return best


def navigation_for(user, current_path: str) -> list[dict]:
    held = access.roles_of(user)
    shown = [item for item in NAVIGATION if held & item.roles]
    current = current_url_name(current_path, [item.url_name for item in shown])
    return [
        {"label": item.label, "url": reverse(item.url_name), "current": item.url_name == current}
        for item in shown
    ]


# The security marking under the header, in words that fit who reads the page: people who
# work with the men are told to keep it within his team; a commissioner or an administrator,
# who never sees a man's record, is told what the page holds and who may see it.
MARKING_CASEWORK = (
    "OFFICIAL-SENSITIVE: personal and health data. Do not share outside the team around the person."
)
MARKING_COMMISSIONER = (
    "OFFICIAL-SENSITIVE: service figures. Share only with those who commission or run the service."
)
MARKING_ADMINISTRATOR = (
    "OFFICIAL-SENSITIVE: staff accounts and service settings. Do not share outside the "
    "service's managers and administrators."
)
MARKING_SIGNED_OUT = "OFFICIAL-SENSITIVE: for the staff of the service only."


def marking_for(user) -> str:
    if user is None or not user.is_authenticated:
        return MARKING_SIGNED_OUT
    held = access.roles_of(user)
    if held & (set(CASE_ROLES) | set(CRISIS_SUMMARY_ROLES)):
        return MARKING_CASEWORK
    if Role.COMMISSIONER in held:
        return MARKING_COMMISSIONER
    if Role.ADMINISTRATOR in held:
        return MARKING_ADMINISTRATOR
    return MARKING_CASEWORK
