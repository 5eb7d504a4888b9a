"""The licence-compliance report for one man and a date range, for parole and recall decisions.

Every rule about what counts is in sessions/compliance.py; this module only gathers what the
report prints. Session notes are left out except the shared summary of a note written for a
missed session: health-only and probation-only notes never reach a report that may be shared.
"""

import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from participants.models import Allocation, Participant, Stage, StageChange
from resettle.accounts.roles import Role
from riskplans.models import PlanStatus, RiskAssessment
from sessions import compliance
from sessions.models import (
    Attendance,
    EnforcementDecision,
    Outcome,
    OutcomeCorrection,
    SessionNote,
    Visibility,
)

NON_COMPLIANT_OR_ABSENT = (
    Outcome.ACCEPTABLE_ABSENCE,
    Outcome.UNACCEPTABLE_ABSENCE,
    Outcome.FAILED_TO_COMPLY,
    Outcome.SENT_HOME_BEHAVIOUR,
)


def gather(participant: Participant, start: datetime.date, end: datetime.date) -> dict:
    stage_before = (
        StageChange.objects.filter(participant=participant, effective_on__lt=start)
        .order_by("-effective_on", "-recorded_at")
        .values_list("to_stage", flat=True)
        .first()
    )
    licences = list(
        participant.licences.filter(starts_on__lte=end, ends_on__gte=start)
        .prefetch_related("conditions")
        .order_by("starts_on")
    )
    for licence in licences:
        licence.conditions_in_period = [
            condition
            for condition in licence.conditions.all()
            if condition.starts_on <= end
            and (condition.ends_on is None or condition.ends_on >= start)
        ]
    # An absence or failure to comply, and any outcome corrected from one: a row put right
    # stays in the table, saying when, by whom and what it was.
    corrections = OutcomeCorrection.objects.select_related("corrected_by")
    missed = list(
        compliance.enforceable_outcomes(participant, start, end)
        .filter(
            Q(outcome__in=NON_COMPLIANT_OR_ABSENT)
            | Q(
                pk__in=OutcomeCorrection.objects.filter(
                    previous_outcome__in=NON_COMPLIANT_OR_ABSENT
                ).values("attendance_id")
            )
        )
        .select_related("session", "recorded_by")
        .prefetch_related(Prefetch("corrections", queryset=corrections))
        .order_by("session__starts_at")
    )
    summaries = {
        note.session_id: note.summary
        for note in SessionNote.objects.filter(
            participant=participant,
            session_id__in=[row.session_id for row in missed],
            visibility=Visibility.SHARED,
        ).order_by("created_at")
    }
    for row in missed:
        row.note_summary = summaries.get(row.session_id, "")
        row.day = timezone.localtime(row.session.starts_at)
    decisions = list(
        EnforcementDecision.objects.filter(participant=participant, decided_on__range=(start, end))
        .select_related("decided_by", "recall_decision", "recall_decision__decided_by")
        .order_by("decided_on", "created_at")
    )
    policy = compliance.policy_for(participant)
    weeks = compliance.weekly_attendance(participant, start, end)
    offender_manager = (
        Allocation.objects.filter(
            participant=participant, role=Role.OFFENDER_MANAGER, ended_on__isnull=True
        )
        .select_related("staff")
        .first()
    )
    assessment = (
        RiskAssessment.objects.filter(participant=participant)
        .order_by("-assessed_on", "-created_at")
        .first()
    )
    plan = (
        participant.risk_plans.filter(status=PlanStatus.APPROVED)
        .select_related("decided_by")
        .order_by("-number")
        .first()
    )
    since, until = compliance.day_bounds(start, end)
    unrecorded = Attendance.objects.filter(
        participant=participant,
        outcome="",
        session__enforceable=True,
        session__starts_at__gte=since,
        session__starts_at__lt=min(until, timezone.now()),
    ).count()
    return {
        "participant": participant,
        "start": start,
        "end": end,
        "stage_at_start": Stage(stage_before).label if stage_before else "Not yet accepted",
        "stage_changes": list(
            participant.stage_changes.filter(effective_on__range=(start, end)).order_by(
                "effective_on", "recorded_at"
            )
        ),
        "licences": licences,
        "weeks": weeks,
        "days": compliance.days_measure(weeks),
        "rate": compliance.compliance_rate(participant, start, end),
        "missed": missed,
        "unacceptable_in_period": sum(
            1 for row in missed if row.outcome == Outcome.UNACCEPTABLE_ABSENCE
        ),
        "outcomes_missing": unrecorded,
        "policy": policy,
        "decisions": decisions,
        "offender_manager": offender_manager.staff if offender_manager else None,
        "assessment": assessment,
        "plan": plan,
    }
