"""Home panels of key-work: today's sessions, outcomes missing, and for his offender manager
the risk concerns and the absences that call for a decision."""

from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.home import register_panel

from . import selectors


def todays_work(access, role) -> dict:
    return {
        "todays_sessions": selectors.my_day(access.user),
        "outcomes_missing": selectors.outcomes_missing(access.user),
    }


def offender_manager_alerts(access, role) -> dict:
    return {
        "risk_concerns": selectors.risk_concerns_for(access.user),
        "enforcement_prompts": selectors.enforcement_prompts_for(access.user),
    }


def register() -> None:
    register_panel("todays_work", CASE_ROLES, todays_work, 20)
    register_panel("offender_manager_alerts", [Role.OFFENDER_MANAGER], offender_manager_alerts, 25)
