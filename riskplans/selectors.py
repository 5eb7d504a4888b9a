"""Reads for the risk pages: the plan in force, versions, and side-by-side comparison."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Window
from django.db.models.functions import Lag

from participants.history import versions_of
from participants.models import Participant
from resettle.access import access_for
from resettle.accounts.roles import Role
from resettle.core.params import ascii_int
from resettle.core.words import in_words

from .models import (
    Formulation,
    FormulationStatus,
    PlanStatus,
    RiskAssessment,
    RiskManagementPlan,
)

VERSIONS_PAGE_SIZE = 25


def plan_for(participant: Participant, plan_id) -> RiskManagementPlan | None:
    try:
        return (
            participant.risk_plans.select_related("author", "decided_by")
            .prefetch_related("contributors")
            .filter(pk=plan_id)
            .first()
        )
    except (ValidationError, ValueError):
        return None


def formulation_for(participant: Participant, formulation_id) -> Formulation | None:
    try:
        return (
            participant.formulations.select_related("author", "agreed_by")
            .filter(pk=formulation_id)
            .first()
        )
    except (ValidationError, ValueError):
        return None


def risk_overview(participant: Participant, *, today: datetime.date) -> dict:
    plans = list(participant.risk_plans.select_related("author", "decided_by").order_by("-number"))
    approved = next((p for p in plans if p.status == PlanStatus.APPROVED), None)
    in_progress = next(
        (
            p
            for p in plans
            if p.status in (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)
        ),
        None,
    )
    formulations = list(participant.formulations.select_related("author").order_by("-number"))
    assessments = list(participant.risk_assessments.select_related("assessor")[:10])
    return {
        "assessment": assessments[0] if assessments else None,
        "earlier_assessments": assessments[1:],
        "approved_plan": approved,
        "plan_in_progress": in_progress,
        "plans": plans,
        "review_overdue": approved is not None and approved.is_review_overdue(today),
        "current_formulation": next(
            (f for f in formulations if f.status == FormulationStatus.CURRENT), None
        ),
        "draft_formulation": next(
            (f for f in formulations if f.status == FormulationStatus.DRAFT), None
        ),
        "formulations": formulations,
        "today": today,
    }


def current_contingency_plan(participant: Participant) -> RiskManagementPlan | None:
    return participant.risk_plans.filter(status=PlanStatus.APPROVED).first()


# --- Version history ----------------------------------------------------------------------

HISTORY_KINDS = {
    "plan": {
        "label": "Risk management plan",
        "model": RiskManagementPlan,
        "fields": [
            ("number", "Version"),
            ("status", "Status"),
            ("expected_days_per_week", "Expected days a week"),
            ("actions", "Actions"),
            ("contingency_plan", "Contingency plan"),
            ("return_comment", "Comments on return"),
            ("review_due_on", "Review due"),
        ],
    },
    "formulation": {
        "label": "Formulation",
        "model": Formulation,
        "fields": [
            ("number", "Version"),
            ("status", "Status"),
            ("presenting_problems", "Presenting problems"),
            ("reciprocal_roles", "Reciprocal roles"),
            ("target_problem_procedures", "Target problem procedures"),
            ("exits", "Exits"),
            ("presenting", "Presenting factors"),
            ("predisposing", "Predisposing factors"),
            ("precipitating", "Precipitating factors"),
            ("perpetuating", "Perpetuating factors"),
            ("protective", "Protective factors"),
            ("his_account", "His own account"),
            ("shared_with_him_on", "Shared with him"),
            ("agreed_by", "Agreed by"),
            ("agreed_at", "Agreed on"),
        ],
    },
    "assessment": {
        "label": "Risk assessment",
        "model": RiskAssessment,
        "fields": [
            ("assessed_on", "Date"),
            ("source_reference", "Source"),
            *[(field, f"RoSH: {label}") for field, label in RiskAssessment.ROSH_GROUPS],
            ("risk_to_self", "Risk to self"),
            ("reoffending", "Reoffending"),
            ("mappa_category", "MAPPA category"),
            ("mappa_level", "MAPPA level"),
            ("risk_factors", "Risk factors"),
            ("protective_factors", "Protective factors"),
            ("warning_signs", "Warning signs"),
            ("imminence", "When risk is most imminent"),
        ],
    },
}


def versions(participant: Participant, kind: str):
    """His saved versions of one kind, newest first, light enough to list a page of them:
    who saved each and when, its number and status, and which version came before it."""
    listed = ("history_id", "history_date", "history_user__full_name")
    listed += ("assessed_on",) if kind == "assessment" else ("number", "status")
    oldest_first = [F("history_date").asc(), F("history_id").asc()]
    return (
        _saved(participant, kind)
        .select_related("history_user")
        .only(*listed)
        .annotate(previous_history_id=Window(Lag("history_id"), order_by=oldest_first))
        .order_by("-history_date", "-history_id")
    )


def _saved(participant: Participant, kind: str):
    return versions_of(HISTORY_KINDS[kind]["model"]).filter(participant_id=participant.pk)


def _display(record, field: str) -> str:
    # A link (agreed by) is read with the version: `compare` reads two versions only.
    return in_words(record.instance_type, field, getattr(record, field))


def compare(participant: Participant, kind: str, a: str | None, b: str | None) -> dict | None:
    """Two of his saved versions side by side, each field marked when it differs."""
    wanted = {value for value in (a, b) if ascii_int(value, minimum=1) is not None}
    if len(wanted) != 2:
        return None
    by_id = {
        str(record.history_id): record
        for record in _saved(participant, kind)
        .filter(history_id__in=wanted)
        .select_related("history_user")
    }
    left, right = by_id.get(a), by_id.get(b)
    if left is None or right is None:
        return None
    if left.history_date > right.history_date:
        left, right = right, left
    rows = []
    for field, label in HISTORY_KINDS[kind]["fields"]:
        old, new = _display(left, field), _display(right, field)
        rows.append({"label": label, "old": old, "new": new, "changed": old != new})
    return {"left": left, "right": right, "rows": rows}


def formulation_rows(formulation: Formulation) -> list[tuple[str, str]]:
    skip = {"number", "status", "shared_with_him_on", "agreed_by", "agreed_at"}
    return [
        (label, getattr(formulation, field))
        for field, label in HISTORY_KINDS["formulation"]["fields"]
        if field not in skip
    ]


def plans_awaiting_decision(user) -> list[RiskManagementPlan]:
    """Submitted plans they may approve: as `may_decide_on_plan`, the offender manager in his
    team now (allocated or break-glass) or a manager of his service, never one they wrote any
    of (`not_written_by`, four eyes by content) nor of a man they are excluded from."""
    access = access_for(user)
    managed = access.service_ids([Role.SERVICE_MANAGER])
    as_om = access.service_ids([Role.OFFENDER_MANAGER])
    condition = models.Q(participant__service_id__in=managed)
    if as_om:
        condition |= models.Q(participant__service_id__in=as_om) & access.in_team("participant_id")
    plans = access.without_exclusions(
        RiskManagementPlan.objects.filter(condition, status=PlanStatus.SUBMITTED),
        participant_field="participant_id",
    )
    return list(
        plans.not_written_by(access.user_id)
        .select_related("participant", "author")
        .order_by("submitted_at")[:20]
    )
