"""Who may decide on a risk plan and agree a formulation (four eyes; the psychologist leads).

Seeing his plans is seeing his record (`participants.access.get_participant_for`); the rules
here say who may take the decisions on them.
"""

from __future__ import annotations

import enum

from participants.access import ParticipantAction, may
from resettle.access import access_for

from .models import RiskManagementPlan


class PlanAction(enum.StrEnum):
    DRAFT = "draft"
    DECIDE = "decide"  # approve or return: an approver who wrote none of it (four eyes)


WROTE_IT = (
    "You wrote or changed this version, so someone else must approve or return it: "
    "no one decides on their own words."
)
NOT_AN_APPROVER = "Only his allocated offender manager or a service manager approves plans."
EXCLUDED = "You are excluded from this record."


def decision_refusal(who, plan: RiskManagementPlan) -> str | None:
    """Why they may not approve or return this version, or None when they may: an approver
    of his (his offender manager in his team now, or a manager of his service), not excluded
    from him, who wrote none of it (`RiskManagementPlan.objects.not_written_by`, the rule the
    "Plans waiting for your decision" list uses too)."""
    access = access_for(who)
    if access.is_excluded_from(plan.participant_id):
        return EXCLUDED
    if is_written_by(access, plan):
        return WROTE_IT
    if not may(access, plan.participant, ParticipantAction.APPROVE_PLANS):
        return NOT_AN_APPROVER
    return None


def may_decide_on_plan(who, plan: RiskManagementPlan) -> bool:
    """Approve or return this plan version: an approver who wrote none of it."""
    return decision_refusal(who, plan) is None


def is_written_by(who, plan: RiskManagementPlan) -> bool:
    """One of its authors: started it, or saved a change to what it says."""
    user_id = access_for(who).user_id
    return not RiskManagementPlan.objects.filter(pk=plan.pk).not_written_by(user_id).exists()


def may_agree_formulation(who, participant) -> bool:
    return may(who, participant, ParticipantAction.AGREE_FORMULATION)
