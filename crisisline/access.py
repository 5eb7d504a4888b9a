"""Who may find a man on the crisis line, open his crisis summary, and see or log calls.

Crisis-line workers see the one-page crisis summary and the calls of their services, and
nothing deeper; case roles see the same. Someone excluded from a man's record never finds
him, opens his summary or sees a call about him, and each refusal is in the access log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from participants.access import check_not_excluded, refuse_excluded
from participants.models import Participant, Stage
from resettle.access import access_for, is_uuid
from resettle.accounts.models import Service
from resettle.accounts.roles import CRISIS_SUMMARY_ROLES, Role
from resettle.audit import log_record_access

from .models import CrisisCall, ServiceClosureDay


def crisis_participants_for(who) -> QuerySet[Participant]:
    """The men the crisis line covers for them: in their services now (an ended record is not
    searched, opened or linked to a call), not excluded. One rule for the search, the summary
    and the calls, so a man is found exactly when his summary opens."""
    access = access_for(who)
    return access.without_exclusions(
        Participant.objects.filter(service_id__in=access.service_ids(CRISIS_SUMMARY_ROLES)).exclude(
            stage=Stage.ENDED
        )
    )


def get_summary_participant(who, pk) -> Participant:
    """The man for the crisis summary: 404 outside their services, "excluded" if excluded."""
    access = access_for(who)
    try:
        participant = crisis_participants_for(access).select_related("service").get(pk=pk)
    except (Participant.DoesNotExist, ValidationError, ValueError) as error:
        if is_uuid(pk) and Participant.objects.filter(pk=pk).exists():
            refuse_excluded(access, pk, error)
        raise Http404("No such participant") from error
    log_record_access(
        user=access.user,
        participant_id=participant.pk,
        allowed=True,
        role=access.role_in(participant.service_id) or "",
    )
    return participant


def calls_visible_to(who, roles=CRISIS_SUMMARY_ROLES) -> QuerySet[CrisisCall]:
    """Calls of their services, except those about a man they are excluded from."""
    access = access_for(who)
    return access.without_exclusions(
        CrisisCall.objects.filter(service_id__in=access.service_ids(roles)),
        participant_field="participant_id",
    )


def get_call_for(who, pk) -> CrisisCall:
    """One call of their services (404 otherwise; "excluded" about a man they are kept from)."""
    access = access_for(who)
    try:
        return (
            calls_visible_to(access)
            .select_related("participant", "service", "recorded_by", "acknowledged_by")
            .get(pk=pk)
        )
    except (CrisisCall.DoesNotExist, ValidationError, ValueError) as error:
        if is_uuid(pk) or str(pk).isdigit():
            named = (
                CrisisCall.objects.filter(pk=pk, service_id__in=access.all_service_ids)
                .values_list("participant_id", flat=True)
                .first()
            )
            check_not_excluded(access, named)
        raise Http404("No such call") from error


# --- The days without a day team -------------------------------------------------------------
# Bank holidays are England and Wales reference data, the same for every service: only
# administrators change them. A service's own closure days change only its own handover: only
# that service's managers keep them. Everyone who keeps either may read the bank holidays.


def keeps_bank_holidays(who) -> bool:
    return access_for(who).has_role([Role.ADMINISTRATOR])


def check_keeps_bank_holidays(who) -> None:
    if not keeps_bank_holidays(who):
        raise PermissionDenied("Only administrators change the bank holidays.")


def closure_services_for(who) -> list[Service]:
    """The services whose closure days they keep: those they manage, by name."""
    managed = {s.pk: s for s in access_for(who).services([Role.SERVICE_MANAGER])}
    return sorted(managed.values(), key=lambda service: service.name)


def check_keeps_closure_days(who, service_id: int) -> None:
    if not access_for(who).is_manager_of(service_id):
        raise PermissionDenied("Only the service's managers change its closure days.")


def get_closure_day_for(who, pk) -> ServiceClosureDay:
    """A closure day of a service they manage (404 otherwise: another service's days are not
    theirs to know about)."""
    service_ids = access_for(who).service_ids([Role.SERVICE_MANAGER])
    try:
        return ServiceClosureDay.objects.select_related("service").get(
            pk=pk, service_id__in=service_ids
        )
    except (ServiceClosureDay.DoesNotExist, ValueError) as error:
        raise Http404("No such closure day") from error
