"""Reads for the risk pages: the plan in force, versions, and side-by-side comparison."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Max, Subquery, Window
from django.db.models.functions import Lag
from django.utils import timezone

from participants.history import versions_of
from participants.models import Participant
from resettle.access import access_for
from resettle.accounts.roles import Role
from resettle.core.params import ascii_int
from resettle.core.words import date_in_words, in_words

from . import diff
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


OPEN_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)


def new_version_preview(participant: Participant) -> dict:
    """What starting a new plan version would do: the version already open (then none is
    started), or the number the new draft takes and the version it is copied from (the one
    approved, or else the latest), as `services.start_plan` does."""
    plans = list(participant.risk_plans.select_related("author", "decided_by").order_by("-number"))
    open_version = next((p for p in plans if p.status in OPEN_PLAN_STATUSES), None)
    approved = next((p for p in plans if p.status == PlanStatus.APPROVED), None)
    return {
        "open_version": open_version,
        "copied_from": approved or (plans[0] if plans else None),
        "approved_plan": approved,
        "next_number": (plans[0].number if plans else 0) + 1,
    }


def new_formulation_preview(participant: Participant) -> dict:
    """What starting a new formulation version would do, as `new_version_preview` says for
    the plan: the draft already open (then none is started), or the number the new draft
    takes and the agreed version it is copied from, as `services.start_formulation` does."""
    versions = list(
        participant.formulations.select_related("author", "agreed_by").order_by("-number")
    )
    draft = next((f for f in versions if f.status == FormulationStatus.DRAFT), None)
    agreed = next((f for f in versions if f.status == FormulationStatus.CURRENT), None)
    return {
        "open_version": draft,
        "copied_from": agreed,
        "next_number": (versions[0].number if versions else 0) + 1,
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


# What each kind of row is, and what the list of its versions reads (who decided, and when).
_ORDERING = {
    "plan": ("-number",),
    "formulation": ("-number",),
    "assessment": ("-assessed_on", "-created_at", "-id"),
}
_PEOPLE = {
    "plan": ("decided_by",),
    "formulation": ("agreed_by",),
    "assessment": ("assessor",),
}
_LISTED = {
    "plan": ("number", "status", "submitted_at", "decided_at", "decided_by__full_name"),
    "formulation": ("number", "status", "agreed_at", "agreed_by__full_name"),
    "assessment": ("assessed_on", "created_at", "source_reference", "assessor__full_name"),
}


def versions(participant: Participant, kind: str):
    """His versions of one kind, newest first, one row each: the latest saved state of each
    plan or formulation version (or of each assessment), light enough to list a page of
    them, with the row of the version before it (to link "what changed")."""
    latest_saves = (
        _saved(participant, kind)
        .order_by()
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    listed = ("id", "history_id", "history_date", "history_user__full_name", *_LISTED[kind])
    oldest_first = [F(field[1:]).asc() for field in _ORDERING[kind]]
    return (
        _saved(participant, kind)
        .filter(history_id__in=Subquery(latest_saves))
        .select_related("history_user", *_PEOPLE[kind])
        .only(*listed)
        .annotate(previous_history_id=Window(Lag("history_id"), order_by=oldest_first))
        .order_by(*_ORDERING[kind])
    )


def _on(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment).date()
    return f" on {date_in_words(moment)}"


def _by(person) -> str:
    return f" by {person.full_name}" if person is not None else ""


def version_summary(kind: str, row) -> str:
    """Where one version stands, in words: "Approved on 3 March 2026 by Sarah Okafor"."""
    saved = f"last saved{_on(row.history_date)}{_by(row.history_user)}"
    if kind == "assessment":
        source = f" ({row.source_reference})" if row.source_reference else ""
        return f"Assessed{_on(row.assessed_on)}{_by(row.assessor)}{source}"
    if kind == "formulation":
        agreed = f"Agreed{_on(row.agreed_at)}{_by(row.agreed_by)}"
        if row.status == FormulationStatus.CURRENT:
            return f"{agreed}: the current formulation"
        if row.status == FormulationStatus.SUPERSEDED:
            return f"{agreed}; replaced{_on(row.history_date)}"
        return f"Draft, {saved}"
    approved = f"Approved{_on(row.decided_at)}{_by(row.decided_by)}"
    match row.status:
        case PlanStatus.APPROVED:
            return f"{approved}: the plan in force"
        case PlanStatus.SUPERSEDED:
            return f"{approved}; replaced{_on(row.history_date)}"
        case PlanStatus.SUBMITTED:
            return f"Submitted for approval{_on(row.submitted_at)}{_by(row.history_user)}"
        case PlanStatus.RETURNED:
            return f"Returned with comments{_on(row.decided_at)}{_by(row.decided_by)}"
    return f"Draft, {saved}"


def _saved(participant: Participant, kind: str):
    return versions_of(HISTORY_KINDS[kind]["model"]).filter(participant_id=participant.pk)


def _display(record, field: str) -> str:
    # A link (agreed by) is read with the version: `compare` reads two versions only.
    return in_words(record.instance_type, field, getattr(record, field))


CHOOSE_TWO = "Choose two different versions to compare"


def compare(participant: Participant, kind: str, a: str | None, b: str | None) -> dict | None:
    """Two of his saved versions side by side, field by field, each long text marked up
    word by word (`diff.marked`); None unless both are his and they are not the same."""
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
    if (left.history_date, left.history_id) > (right.history_date, right.history_id):
        left, right = right, left
    model = HISTORY_KINDS[kind]["model"]
    rows = []
    for field, label in HISTORY_KINDS[kind]["fields"]:
        old, new = _display(left, field), _display(right, field)
        whole = not isinstance(model._meta.get_field(field), models.TextField | models.JSONField)
        old_html, new_html = diff.marked(old, new, whole=whole)
        rows.append(
            {
                "label": label,
                "old": old,
                "new": new,
                "changed": old != new,
                "old_html": old_html,
                "new_html": new_html,
            }
        )
    changed = sum(row["changed"] for row in rows)
    return {"left": left, "right": right, "rows": rows, "changed": changed}


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
