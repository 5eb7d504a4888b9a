"""Who may see, download, retry and approve which report.

Offender managers ask for licence-compliance reports on the men they may make enforcement
decisions about; service managers produce and approve their services' commissioner reports
(and see their services' compliance reports); commissioners see approved commissioner
reports of the services they commission and the national roll-up, never a named person.
A compliance report names a man: someone excluded from his record never sees it listed,
opens it, polls it or downloads it, and each refusal is in the access log.
"""

from __future__ import annotations

import enum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from participants.access import ParticipantAction, may, refuse_excluded
from participants.models import Participant
from resettle.access import access_for, is_uuid
from resettle.accounts.roles import Role
from resettle.audit import log_record_access

from .models import ReportKind, ReportRequest

REPORT_ROLES = (Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER, Role.COMMISSIONER)
COMPLIANCE_REPORT_ROLES = (Role.OFFENDER_MANAGER, Role.SERVICE_MANAGER)


class ReportAction(enum.StrEnum):
    VIEW = "view"
    POLL = "poll"  # the progress fragment
    DOWNLOAD = "download"
    RETRY = "retry"
    APPROVE = "approve"  # commissioner reports: their service manager


def reports_visible_to(who) -> QuerySet[ReportRequest]:
    access = access_for(who)
    managed = access.service_ids([Role.SERVICE_MANAGER])
    commissioned = access.service_ids([Role.COMMISSIONER])
    condition = Q(
        kind=ReportKind.COMPLIANCE,
        requested_by_id=access.user_id,
        service_id__in=access.service_ids([Role.OFFENDER_MANAGER]),
    )
    condition |= Q(
        kind__in=[ReportKind.COMPLIANCE, ReportKind.COMMISSIONER], service_id__in=managed
    )
    condition |= Q(
        kind=ReportKind.COMMISSIONER, approved_at__isnull=False, service_id__in=commissioned
    )
    if commissioned:
        condition |= Q(kind=ReportKind.NATIONAL)
    return access.without_exclusions(
        ReportRequest.objects.filter(condition), participant_field="participant_id"
    )


def may_act_on_report(who, report: ReportRequest, action: ReportAction | str) -> bool:
    access = access_for(who)
    action = ReportAction(action)
    if action == ReportAction.APPROVE:
        return report.kind == ReportKind.COMMISSIONER and access.is_manager_of(report.service_id)
    if report.kind == ReportKind.COMPLIANCE:
        # The man's current offender manager (or a service manager): not one who has left him.
        participant = report.participant
        return participant is not None and may(access, participant, ParticipantAction.RECALL)
    if report.kind == ReportKind.COMMISSIONER:
        if access.is_manager_of(report.service_id):
            return True
        return action in (ReportAction.VIEW, ReportAction.POLL, ReportAction.DOWNLOAD)
    return access.has_role([Role.COMMISSIONER])


def get_report_for(who, pk, *, may: ReportAction | str = ReportAction.VIEW) -> ReportRequest:
    """A report they may see (404 otherwise); 403 when seen but the action is not theirs.

    Opening or downloading a report about a man is logged as a view of his record; polling
    its progress is not. Every refusal about a man is logged.
    """
    access = access_for(who)
    action = ReportAction(may)
    try:
        report = (
            reports_visible_to(access)
            .select_related("service", "participant", "requested_by", "approved_by")
            .get(pk=pk)
        )
    except (ReportRequest.DoesNotExist, ValidationError, ValueError) as error:
        named = (
            ReportRequest.objects.filter(pk=pk).values_list("participant_id", flat=True).first()
            if is_uuid(pk)
            else None
        )
        if named is not None and access.is_excluded_from(named):
            refuse_excluded(access, named, error)
        raise Http404("No such report") from error
    if not may_act_on_report(access, report, action):
        if report.participant_id:
            log_record_access(user=access.user, participant_id=report.participant_id, allowed=False)
        raise PermissionDenied("Your role does not allow this for this report.")
    if report.participant_id and action in (ReportAction.VIEW, ReportAction.DOWNLOAD):
        log_record_access(
            user=access.user,
            participant_id=report.participant_id,
            allowed=True,
            role=access.role_in(report.service_id) or "",
        )
    return report


def compliance_report_participants(who) -> QuerySet[Participant]:
    """The men they may ask a licence-compliance report about (one query): as `may_recall`,
    his offender manager in his team now (or break-glass), or a service manager."""
    access = access_for(who)
    managed = access.service_ids([Role.SERVICE_MANAGER])
    as_om = access.service_ids([Role.OFFENDER_MANAGER])
    return Participant.objects.visible_to(access).filter(
        Q(service_id__in=managed) | (Q(service_id__in=as_om) & access.in_team())
    )
