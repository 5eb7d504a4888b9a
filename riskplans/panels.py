"""Home panel of the risk pages: the plans waiting for this person's decision."""

from resettle.accounts.roles import Role
from resettle.core.home import register_panel

from .selectors import plans_awaiting_decision


def plans_to_decide(access, role) -> dict:
    return {"plans_to_decide": plans_awaiting_decision(access.user)}


def register() -> None:
    register_panel(
        "plans_to_decide", [Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER], plans_to_decide, 35
    )
