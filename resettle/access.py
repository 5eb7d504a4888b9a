"""The one place that answers "may this user see or do this?".

Views never check roles or services themselves: they call these helpers. Lists are scoped
with joins through service membership (one queryset, never a check per row); per-object
questions ("may this user change this participant?") are answered once per request.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists

from resettle.accounts.models import Membership
from resettle.accounts.roles import CASE_ROLES, Role

_MEMBERSHIP_CACHE = "_resettle_memberships"


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their services, read once per request.

    Each also says whether the user is excluded from anyone's record (`user_has_exclusions`):
    the same query, so lists leave out the exclusion condition for everyone else.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _MEMBERSHIP_CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user)
            .select_related("service")
            .annotate(user_has_exclusions=Exists(_active_exclusions_of(user)))
        )
        setattr(user, _MEMBERSHIP_CACHE, cached)
    return cached


def forget_memberships(user) -> None:
    if hasattr(user, _MEMBERSHIP_CACHE):
        delattr(user, _MEMBERSHIP_CACHE)


def roles_of(user) -> set[str]:
    return {membership.role for membership in memberships_of(user)}


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(roles_of(user) & set(roles))


def service_ids_for(user, roles: Iterable[str]) -> set[int]:
    """Services in which the user holds one of `roles`."""
    wanted = set(roles)
    return {m.service_id for m in memberships_of(user) if m.role in wanted}


def role_in_service(user, service_id: int) -> str | None:
    for membership in memberships_of(user):
        if membership.service_id == service_id:
            return membership.role
    return None


def agency_in_service(user, service_id: int) -> str | None:
    for membership in memberships_of(user):
        if membership.service_id == service_id:
            return membership.agency
    return None


# The role whose home page a person sees first when they hold several.
HOME_ROLE_PRECEDENCE = (
    Role.SERVICE_MANAGER,
    Role.OFFENDER_MANAGER,
    Role.HEALTH_KEYWORKER,
    Role.PSYCHOLOGIST,
    Role.CRISIS_LINE_WORKER,
    Role.COMMISSIONER,
    Role.ADMINISTRATOR,
)


def primary_role(user) -> str | None:
    held = roles_of(user)
    for role in HOME_ROLE_PRECEDENCE:
        if role in held:
            return role
    return None


def role_required(*roles: str) -> Callable:
    """Decorator: signed in (else to the login page) and holding one of `roles` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)
        return wrapper

    return decorator


# --- Participants -------------------------------------------------------------------------
#
# Decision on model vs object permissions: role groups hold *model* permissions that say what
# a role may do at all (e.g. view participants). The set of participants is always narrowed
# by service membership in `participants_visible_to`; guardian's object permission
# `change_participant` (direct foreign-key table) marks the allocated team. Service managers
# may change every participant of their own services. Global permissions never widen a list.


class ExcludedFromRecord(PermissionDenied):
    """The person has been excluded from this man's record (the 403 page says so)."""


def _active_exclusions_of(user):
    from participants.models import Exclusion

    return Exclusion.objects.filter(staff_id=user.pk, lifted_at__isnull=True)


def has_exclusions(user) -> bool:
    """Whether this user is kept out of anyone's record. Known from their memberships; with
    none (nothing to list anyway), assumed so, and the condition is applied."""
    memberships = memberships_of(user)
    return not memberships or memberships[0].user_has_exclusions


def without_exclusions(queryset, user, participant_field: str = "pk"):
    """Narrow any queryset of participants, or of records about them (with `participant_field`,
    e.g. "participant_id"), to the men this user is not excluded from (never listed, found or
    counted). One subquery where they have exclusions; no condition at all where they have none.
    """
    if not has_exclusions(user):
        return queryset
    excluded = _active_exclusions_of(user).values("participant_id")
    return queryset.exclude(**{f"{participant_field}__in": excluded})


def participants_visible_to(user):
    """Participants whose full record this user may open: case roles of their services."""
    from participants.models import Participant

    return without_exclusions(
        Participant.objects.filter(service_id__in=service_ids_for(user, CASE_ROLES)), user
    )


def is_service_manager_of(user, service_id: int) -> bool:
    return role_in_service(user, service_id) == Role.SERVICE_MANAGER


def allocated_to(user):
    """An expression true for the men whose allocated team this user is in (guardian's object
    permission to change the participant) or whose record he has break-glass access to: one
    subquery, so a page answers "may he change this record?" without a query of its own."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import OuterRef

    from participants.models import Participant, ParticipantUserObjectPermission

    team = ParticipantUserObjectPermission.objects.filter(
        user_id=user.pk,
        content_object_id=OuterRef("pk"),
        permission__codename="change_participant",
        permission__content_type=ContentType.objects.get_for_model(Participant),
    )
    temporary = active_temporary_access().filter(staff_id=user.pk, participant_id=OuterRef("pk"))
    return Exists(team) | Exists(temporary)


def _allocation_rule(user, holds_allocation) -> bool:
    # As guardian: an inactive account holds nothing; a superuser holds every object permission.
    if not user.is_active:
        return False
    return user.is_superuser or bool(holds_allocation())


def is_allocated_to(user, participant) -> bool:
    """Whether this user has the allocated team's rights: guardian's object permission for the
    team, or break-glass temporary access that has not expired (answered once per request)."""
    from participants.models import Participant

    cache = participant.__dict__.setdefault("_allocated_cache", {})
    if user.pk not in cache:
        cache[user.pk] = _allocation_rule(
            user,
            lambda: Participant.objects.filter(allocated_to(user), pk=participant.pk).exists(),
        )
    return cache[user.pk]


def active_temporary_access(now=None):
    from django.utils import timezone

    from participants.models import TemporaryAccess

    return TemporaryAccess.objects.filter(
        ended_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def may_ask_temporary_access(user, participant) -> bool:
    """Break-glass is for case-role staff of his service who lack the allocated team's rights."""
    role = role_in_service(user, participant.service_id)
    return (
        role in CASE_ROLES
        and role != Role.SERVICE_MANAGER
        and not is_allocated_to(user, participant)
    )


def can_change_participant(user, participant) -> bool:
    role = role_in_service(user, participant.service_id)
    if role == Role.SERVICE_MANAGER:
        return True
    if role not in CASE_ROLES:
        return False
    return is_allocated_to(user, participant)


def can_recall(user, participant) -> bool:
    """Recall is the offender manager's decision (or the service manager's)."""
    role = role_in_service(user, participant.service_id)
    if role == Role.SERVICE_MANAGER:
        return True
    return role == Role.OFFENDER_MANAGER and is_allocated_to(user, participant)


PARTICIPANT_ACTIONS = {
    "view": lambda user, participant: True,
    "change": can_change_participant,
    "recall": can_recall,
    "manage": lambda user, participant: is_service_manager_of(user, participant.service_id),
}


def get_participant_for(user, pk, action: str = "view"):
    """The only way a view fetches a participant: 404 if not visible, 403 if not allowed."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from participants.models import Participant
    from resettle.audit import log_record_access

    try:
        participant = (
            participants_visible_to(user)
            .select_related("service")
            .annotate(user_is_allocated=allocated_to(user))
            .get(pk=pk)
        )
    except (ValidationError, ValueError, Participant.DoesNotExist) as error:
        if Participant.objects.filter(pk=pk).exists() if is_uuid(pk) else False:
            log_record_access(user=user, participant_id=pk, allowed=False)
            if is_excluded_in_own_service(user, pk):
                raise ExcludedFromRecord("You are excluded from this record.") from error
        raise Http404("No such participant") from error
    participant.__dict__["_allocated_cache"] = {
        user.pk: _allocation_rule(user, lambda: participant.user_is_allocated)
    }
    role = role_in_service(user, participant.service_id) or ""
    if not PARTICIPANT_ACTIONS[action](user, participant):
        log_record_access(user=user, participant_id=participant.pk, allowed=False, role=role)
        raise PermissionDenied("Your role does not allow this for this participant.")
    log_record_access(user=user, participant_id=participant.pk, allowed=True, role=role)
    return participant


def is_excluded_in_own_service(user, pk) -> bool:
    """Told "you are excluded" only about a man of their own services; others stay 404."""
    from participants.models import Exclusion

    return Exclusion.objects.filter(
        participant_id=pk,
        staff_id=user.pk,
        lifted_at__isnull=True,
        participant__service_id__in={m.service_id for m in memberships_of(user)},
    ).exists()


def is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- Referrals ----------------------------------------------------------------------------

REFERRAL_CREATE_ROLES = (Role.SERVICE_MANAGER, Role.OFFENDER_MANAGER)


def referrals_visible_to(user):
    from participants.models import Referral

    return without_exclusions(
        Referral.objects.filter(service_id__in=service_ids_for(user, CASE_ROLES)),
        user,
        participant_field="participant_id",
    )


def get_referral_for(user, pk, action: str = "view"):
    """A referral of the user's services (404 otherwise); "manage" needs the service manager."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from participants.models import Referral

    try:
        referral = referrals_visible_to(user).select_related("service", "participant").get(pk=pk)
    except (ValidationError, ValueError, Referral.DoesNotExist) as error:
        raise Http404("No such referral") from error
    if action in ("manage", "retention") and not is_service_manager_of(user, referral.service_id):
        raise PermissionDenied("Only the service manager decides on referrals.")
    return referral


# --- Retention ------------------------------------------------------------------------------
#
# Only a service manager reviews the records of their services that are past the retention
# period, and decides to keep or delete each one. Others of the service may still read an
# ended man's record as before; they never see the review list.

RETENTION_ROLES = (Role.SERVICE_MANAGER,)


def may_decide_retention(user, participant) -> bool:
    return is_service_manager_of(user, participant.service_id)


PARTICIPANT_ACTIONS["retention"] = may_decide_retention


def retention_service_ids(user) -> set[int]:
    return service_ids_for(user, RETENTION_ROLES)


def participants_for_retention_review(user):
    """Men of the services this user manages (never one they are excluded from)."""
    from participants.models import Participant

    return without_exclusions(
        Participant.objects.filter(service_id__in=retention_service_ids(user)), user
    )


def referrals_for_retention_review(user):
    from participants.models import Referral

    return Referral.objects.filter(service_id__in=retention_service_ids(user))


def retention_decisions_visible_to(user):
    from participants.models import RetentionDecision

    return RetentionDecision.objects.filter(service_id__in=retention_service_ids(user))


# --- Risk plans and formulation -----------------------------------------------------------


def can_approve_plans(user, participant) -> bool:
    """The allocated offender manager or a service manager (never the plan's author)."""
    role = role_in_service(user, participant.service_id)
    if role == Role.SERVICE_MANAGER:
        return True
    return role == Role.OFFENDER_MANAGER and is_allocated_to(user, participant)


def can_lead_formulation(user, participant) -> bool:
    """The allocated psychologist (or a service manager) agrees the formulation."""
    role = role_in_service(user, participant.service_id)
    if role == Role.SERVICE_MANAGER:
        return True
    return role == Role.PSYCHOLOGIST and is_allocated_to(user, participant)


PARTICIPANT_ACTIONS["approve_plans"] = can_approve_plans


def can_decide_on_plan(user, plan) -> bool:
    """Approve or return this plan version: an approver who did not write it."""
    return plan.author_id != user.pk and can_approve_plans(user, plan.participant)


# --- Sessions and compliance ----------------------------------------------------------------


def sessions_visible_to(user):
    from sessions.models import Session

    return Session.objects.filter(service_id__in=service_ids_for(user, CASE_ROLES))


def get_session_for(user, pk):
    """A session of the user's services (404 otherwise). Any case role there may record on it."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from sessions.models import Session

    try:
        return sessions_visible_to(user).select_related("service").get(pk=pk)
    except (Session.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such session") from error


PARTICIPANT_ACTIONS["enforce"] = can_recall


# --- Reports --------------------------------------------------------------------------------
#
# Offender managers ask for licence-compliance reports on the men they may make enforcement
# decisions about; service managers produce and approve their services' commissioner reports
# (and see their services' compliance reports); commissioners see approved commissioner
# reports of the services they commission and the national roll-up, never a named person.

REPORT_ROLES = (Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER, Role.COMMISSIONER)
COMPLIANCE_REPORT_ROLES = (Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER)


def reports_visible_to(user):
    from django.db.models import Q

    from reports.models import ReportKind, ReportRequest

    managed = service_ids_for(user, [Role.SERVICE_MANAGER])
    commissioned = service_ids_for(user, [Role.COMMISSIONER])
    condition = Q(
        kind=ReportKind.COMPLIANCE,
        requested_by=user,
        service_id__in=service_ids_for(user, [Role.OFFENDER_MANAGER]),
    )
    condition |= Q(
        kind__in=[ReportKind.COMPLIANCE, ReportKind.COMMISSIONER], service_id__in=managed
    )
    condition |= Q(
        kind=ReportKind.COMMISSIONER, approved_at__isnull=False, service_id__in=commissioned
    )
    if commissioned:
        condition |= Q(kind=ReportKind.NATIONAL)
    return ReportRequest.objects.filter(condition)


def may_act_on_report(user, report, action: str) -> bool:
    from reports.models import ReportKind

    if action == "approve":
        return report.kind == ReportKind.COMMISSIONER and is_service_manager_of(
            user, report.service_id
        )
    if report.kind == ReportKind.COMPLIANCE:
        # The man's current offender manager (or a service manager): not one who has left him.
        return can_recall(user, report.participant)
    if report.kind == ReportKind.COMMISSIONER:
        if is_service_manager_of(user, report.service_id):
            return True
        return action in ("view", "poll", "download")
    return has_role(user, [Role.COMMISSIONER])


def get_report_for(user, pk, action: str = "view"):
    """A report this user may see (404 otherwise); 403 when seen but `action` is not theirs.

    Actions: view, poll (the progress fragment), download, retry, approve (commissioner
    reports: their service manager). Opening or downloading a report about a man is logged
    as a view of his record; polling its progress is not.
    """
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from reports.models import ReportRequest

    try:
        report = (
            reports_visible_to(user)
            .select_related("service", "participant", "requested_by", "approved_by")
            .get(pk=pk)
        )
    except (ReportRequest.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404("No such report") from error
    from resettle.audit import log_record_access

    if not may_act_on_report(user, report, action):
        if report.participant_id:
            log_record_access(user=user, participant_id=report.participant_id, allowed=False)
        raise PermissionDenied("Your role does not allow this for this report.")
    if report.participant_id and action in ("view", "download"):
        log_record_access(
            user=user,
            participant_id=report.participant_id,
            allowed=True,
            role=role_in_service(user, report.service_id) or "",
        )
    return report


def compliance_report_participants(user):
    """The men this user may ask a licence-compliance report about (one query)."""
    from django.db.models import Q

    managed = service_ids_for(user, [Role.SERVICE_MANAGER])
    as_om = service_ids_for(user, [Role.OFFENDER_MANAGER])
    # The same people as `can_recall`: his offender manager, or one with break-glass access.
    as_his_om = Q(
        allocations__staff=user,
        allocations__role=Role.OFFENDER_MANAGER,
        allocations__ended_on__isnull=True,
    ) | Q(pk__in=active_temporary_access().filter(staff_id=user.pk).values("participant_id"))
    return (
        participants_visible_to(user)
        .filter(Q(service_id__in=managed) | (Q(service_id__in=as_om) & as_his_om))
        .distinct()
    )
