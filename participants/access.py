"""Who may see and do what with a man's record, his referrals and the retention reviews.

Lists go through `Participant.objects.visible_to(access)` and `Referral.objects.visible_to`;
one man is fetched through `get_participant_for(access, pk, may=ParticipantAction.…)`, which
answers 404 when they may not see him (his existence is never revealed), "You are excluded
from this record" when a service manager has excluded them, and 403 when they may see but not
do. Every answer about his record reaches the access log.

This app also registers the two rules every app asks (`resettle.access.RecordRules`): the
exclusions in force, and who is in his team now — his current allocations and unexpired
break-glass grants, one expression for lists and object checks alike.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, Q, QuerySet
from django.http import Http404

from resettle.access import (
    Access,
    ExcludedFromRecord,
    RecordRules,
    access_for,
    is_uuid,
    register_record_rules,
)
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.audit import log_record_access

from .models import (
    Allocation,
    Exclusion,
    Participant,
    Referral,
    RetentionDecision,
    TemporaryAccess,
)

# --- The shared rules -----------------------------------------------------------------------


def team_rule(user_id: uuid.UUID | None, participant_ref) -> Q:
    """In his team now: a current allocation, or break-glass access not ended or expired."""
    allocated = Allocation.objects.current().filter(
        staff_id=user_id, participant_id=participant_ref
    )
    temporary = TemporaryAccess.objects.active().filter(
        staff_id=user_id, participant_id=participant_ref
    )
    return Exists(allocated) | Exists(temporary)


def _active_exclusions(user_id: uuid.UUID | None) -> QuerySet:
    return Exclusion.objects.active().filter(staff_id=user_id)


def _participant_service(pk) -> int | None:
    return Participant.objects.filter(pk=pk).values_list("service_id", flat=True).first()


def register() -> None:
    register_record_rules(
        RecordRules(
            active_exclusions=_active_exclusions,
            team=team_rule,
            participant_service=_participant_service,
        )
    )


# --- A man's record ------------------------------------------------------------------------


class ParticipantAction(enum.StrEnum):
    VIEW = "view"
    CHANGE = "change"
    RECALL = "recall"  # recall and enforcement decisions, licence-compliance reports
    MANAGE = "manage"  # allocate his team, exclusions, end break-glass
    RETENTION = "retention"
    APPROVE_PLANS = "approve_plans"
    AGREE_FORMULATION = "agree_formulation"


def may_change(who, participant: Participant) -> bool:
    access = access_for(who)
    role = access.role_in(participant.service_id)
    if role == Role.SERVICE_MANAGER:
        return True
    return role in CASE_ROLES and access.is_in_team(participant)


def _team_member_as(role: str) -> Callable[[Access, Participant], bool]:
    """The man's team member in `role` (or the service manager of his service)."""

    def rule(who, participant: Participant) -> bool:
        access = access_for(who)
        held = access.role_in(participant.service_id)
        if held == Role.SERVICE_MANAGER:
            return True
        return held == role and access.is_in_team(participant)

    return rule


may_recall = _team_member_as(Role.OFFENDER_MANAGER)
may_approve_plans = _team_member_as(Role.OFFENDER_MANAGER)


def may_agree_formulation(who, participant: Participant) -> bool:
    """The formulation is led by the team's clinical psychologist: a psychologist in his team,
    or a psychologist who manages his service (a service manager from probation may not)."""
    access = access_for(who)
    role = access.role_in(participant.service_id)
    if role == Role.PSYCHOLOGIST:
        return access.is_in_team(participant)
    return role == Role.SERVICE_MANAGER and any(
        m.service_id == participant.service_id and m.is_psychologist for m in access.memberships
    )


def may_manage(who, participant: Participant) -> bool:
    return access_for(who).is_manager_of(participant.service_id)


RULES: dict[ParticipantAction, Callable[[Access, Participant], bool]] = {
    ParticipantAction.VIEW: lambda access, participant: True,
    ParticipantAction.CHANGE: may_change,
    ParticipantAction.RECALL: may_recall,
    ParticipantAction.MANAGE: may_manage,
    ParticipantAction.RETENTION: may_manage,
    ParticipantAction.APPROVE_PLANS: may_approve_plans,
    ParticipantAction.AGREE_FORMULATION: may_agree_formulation,
}


def may(who, participant: Participant, action: ParticipantAction | str) -> bool:
    return RULES[ParticipantAction(action)](access_for(who), participant)


def may_ask_temporary_access(who, participant: Participant) -> bool:
    """Break-glass is for case-role staff of his service who are not in his team."""
    access = access_for(who)
    role = access.role_in(participant.service_id)
    return (
        role in CASE_ROLES and role != Role.SERVICE_MANAGER and not access.is_in_team(participant)
    )


def refuse_excluded(access: Access, participant_id, error: Exception | None = None) -> None:
    """Log the refusal and say "You are excluded" where he is of their own services (else the
    caller answers 404, so his existence is never revealed)."""
    log_record_access(user=access.user, participant_id=participant_id, allowed=False)
    if access.is_excluded_in_own_service(participant_id):
        raise ExcludedFromRecord("You are excluded from this record.") from error


def check_not_excluded(who, participant_id) -> None:
    """For a record that names a man, fetched through its own app's helper: refused (and
    logged) when they are excluded from him."""
    access = access_for(who)
    if participant_id is not None and access.is_excluded_from(participant_id):
        refuse_excluded(access, participant_id)
        raise Http404("No such record")


def get_participant_for(
    who, pk, *, may: ParticipantAction | str = ParticipantAction.VIEW
) -> Participant:
    """The only way a view fetches a man: 404 if not visible, 403 if not allowed (logged)."""
    access = access_for(who)
    action = ParticipantAction(may)
    try:
        participant = (
            Participant.objects.visible_to(access)
            .select_related("service")
            .annotate(user_in_team=access.in_team())
            .get(pk=pk)
        )
    except (ValidationError, ValueError, Participant.DoesNotExist) as error:
        if is_uuid(pk) and Participant.objects.filter(pk=pk).exists():
            refuse_excluded(access, pk, error)
        raise Http404("No such participant") from error
    access.is_in_team(participant, known=participant.user_in_team)
    role = access.role_in(participant.service_id) or ""
    if not RULES[action](access, participant):
        log_record_access(user=access.user, participant_id=participant.pk, allowed=False, role=role)
        raise PermissionDenied("Your role does not allow this for this participant.")
    log_record_access(user=access.user, participant_id=participant.pk, allowed=True, role=role)
    return participant


# --- Referrals -------------------------------------------------------------------------------

REFERRAL_CREATE_ROLES = (Role.SERVICE_MANAGER, Role.OFFENDER_MANAGER)


class ReferralAction(enum.StrEnum):
    VIEW = "view"
    MANAGE = "manage"  # assess, accept, decline
    RETENTION = "retention"


def get_referral_for(who, pk, *, may: ReferralAction | str = ReferralAction.VIEW) -> Referral:
    """A referral of their services (404 otherwise); deciding needs the service manager."""
    access = access_for(who)
    try:
        referral = (
            Referral.objects.visible_to(access).select_related("service", "participant").get(pk=pk)
        )
    except (ValidationError, ValueError, Referral.DoesNotExist) as error:
        raise Http404("No such referral") from error
    if ReferralAction(may) != ReferralAction.VIEW and not access.is_manager_of(referral.service_id):
        raise PermissionDenied("Only the service manager decides on referrals.")
    return referral


# --- Retention -------------------------------------------------------------------------------
#
# Only a service manager reviews the records of their services that are past the retention
# period, and decides to keep or delete each one. Others of the service may still read an
# ended man's record as before; they never see the review list.

RETENTION_ROLES = (Role.SERVICE_MANAGER,)


def participants_for_retention_review(who) -> QuerySet[Participant]:
    """Men of the services they manage (never one they are excluded from)."""
    access = access_for(who)
    return access.without_exclusions(
        Participant.objects.filter(service_id__in=access.service_ids(RETENTION_ROLES))
    )


def referrals_for_retention_review(who) -> QuerySet[Referral]:
    access = access_for(who)
    return access.without_exclusions(
        Referral.objects.filter(service_id__in=access.service_ids(RETENTION_ROLES)),
        participant_field="participant_id",
    )


def retention_decisions_visible_to(who) -> QuerySet[RetentionDecision]:
    return RetentionDecision.objects.filter(
        service_id__in=access_for(who).service_ids(RETENTION_ROLES)
    )
