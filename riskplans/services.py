"""Changes to risk assessments, risk management plans and formulations.

Each is atomic, names its actor (history and timeline written in the same transaction) and
refuses a save based on an out-of-date version instead of overwriting someone else's work.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone

from participants import services as participant_services
from participants.models import Participant
from participants.timeline import at_start_of_day, record_event
from resettle.audit import records_actor
from resettle.core.dates import add_months

from .access import decision_refusal, may_agree_formulation
from .models import (
    PLAN_CONTENT_FIELDS,
    Formulation,
    FormulationStatus,
    PlanStatus,
    RiskAssessment,
    RiskManagementPlan,
)

REVIEW_MONTHS = 3
# After a significant event (recall, serious crisis call, change of address) the plan is
# reviewed within this many days.
SOONER_REVIEW_DAYS = 14


class StaleEdit(ValidationError):
    """Someone saved this version after it was opened; the message says who and when."""

    def __init__(self, obj, latest_url: str):
        latest = obj.history.select_related("history_user").first()
        who = latest.history_user.full_name if latest and latest.history_user else "Someone"
        when = (
            formats.date_format(timezone.localtime(latest.history_date), "j F Y, H:i")
            if latest
            else ""
        )
        self.who, self.when, self.latest_url = who, when, latest_url
        super().__init__(
            f"{who} saved changes to this at {when}, after you opened it. Your changes have not "
            "been saved; they are shown below so you can copy them into the latest version",
            code="stale",
        )


def _save_changes(obj, changes: dict):
    """Apply the edited fields and move the lock version on, so older forms are refused."""
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.lock_version += 1
    obj.save()
    return obj


def _check_version(obj, expected: int, latest_url: str) -> None:
    if obj.lock_version != expected:
        raise StaleEdit(obj, latest_url)


def sync_participant_summary(participant: Participant) -> None:
    latest = participant.risk_assessments.order_by("-assessed_on", "-created_at").first()
    approved = participant.risk_plans.filter(status=PlanStatus.APPROVED).first()
    Participant.objects.filter(pk=participant.pk).update(
        highest_rosh=latest.highest_rosh if latest else "",
        mappa_category=latest.mappa_category if latest else "",
        mappa_level=latest.mappa_level if latest else "",
        plan_review_due_on=approved.review_due_on if approved else None,
    )


# --- Assessments --------------------------------------------------------------------------


@records_actor
@transaction.atomic
def record_assessment(
    *, participant: Participant, actor, assessment: RiskAssessment
) -> RiskAssessment:
    participant = participant_services.lock_for_change(participant=participant, actor=actor)
    if assessment.assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": "The assessment date must be today or in the past"})
    if bool(assessment.mappa_category) != bool(assessment.mappa_level):
        raise ValidationError(
            {
                "mappa_level": "Give both the MAPPA category and level, or neither if not MAPPA-managed"
            }
        )
    assessment.participant = participant
    assessment.assessor = actor
    assessment.save()
    sync_participant_summary(participant)
    record_event(
        participant=participant,
        category="risk",
        title=f"Risk assessment recorded: highest RoSH {_label(assessment.highest_rosh)}",
        detail=assessment.mappa_summary,
        actor=actor,
        occurred_at=at_start_of_day(assessment.assessed_on),
        link=reverse("riskplans:overview", args=[participant.pk]),
    )
    return assessment


def _label(level: str) -> str:
    return Participant.ROSH_LABELS.get(level, level).lower()


# --- Plans --------------------------------------------------------------------------------


def _next_number(queryset) -> int:
    return (queryset.aggregate(top=Max("number"))["top"] or 0) + 1


@records_actor
@transaction.atomic
def start_plan(*, participant: Participant, actor) -> RiskManagementPlan:
    """A new draft version, a copy of the version in force (or else the latest) if any; none
    while a version is still a draft, returned or submitted (carry on with that one)."""
    participant = participant_services.lock_for_change(participant=participant, actor=actor)
    open_version = participant.risk_plans.filter(
        status__in=(PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)
    ).first()
    if open_version is not None:
        raise ValidationError(
            f"Version {open_version.number} is already {open_version.get_status_display().lower()}: "
            "carry on with that one",
            code="open_version",
        )
    base = (
        participant.risk_plans.filter(status=PlanStatus.APPROVED).first()
        or participant.risk_plans.order_by("-number").first()
    )
    plan = RiskManagementPlan.objects.create(
        participant=participant,
        number=_next_number(participant.risk_plans),
        author=actor,
        actions=list(base.actions) if base else [],
        contingency_plan=base.contingency_plan if base else "",
        expected_days_per_week=base.expected_days_per_week if base else 4,
    )
    plan.contributors.add(actor)
    return plan


def _locked_plan(plan: RiskManagementPlan) -> RiskManagementPlan:
    return RiskManagementPlan.objects.select_for_update().get(pk=plan.pk)


def _lock_for_change(plan_or_formulation, actor) -> None:
    """His record first (as every change to his case does, so none can deadlock), checking
    that `actor` may still change it; then the caller locks the version itself."""
    participant_services.lock_for_change(participant=plan_or_formulation.participant, actor=actor)


def _lock_for_decision(plan_or_formulation) -> None:
    """His record first; the caller then checks the decision rule under the lock."""
    participant_services.lock_participant(plan_or_formulation.participant)


@records_actor
@transaction.atomic
def save_plan(
    *, plan: RiskManagementPlan, actor, expected_version: int, changes: dict, submit: bool = False
) -> RiskManagementPlan:
    """Save the draft; with `submit`, submit it in the same transaction (all or nothing)."""
    _lock_for_change(plan, actor)
    locked = _locked_plan(plan)
    _check_version(
        locked,
        expected_version,
        reverse("riskplans:plan_detail", args=[plan.participant_id, plan.pk]),
    )
    if not locked.is_editable:
        raise ValidationError(
            f"This version is {locked.get_status_display().lower()} and can no longer be changed",
            code="not_editable",
        )
    writes_content = any(
        field in changes and changes[field] != getattr(locked, field)
        for field in PLAN_CONTENT_FIELDS
    )
    saved = _save_changes(locked, changes)
    if writes_content:  # four eyes by content: whoever changes what it says is an author
        saved.contributors.add(actor)
    return submit_plan(plan=saved, actor=actor) if submit else saved


@records_actor
@transaction.atomic
def submit_plan(*, plan: RiskManagementPlan, actor) -> RiskManagementPlan:
    _lock_for_change(plan, actor)
    locked = _locked_plan(plan)
    if not locked.is_editable:
        raise ValidationError(
            f"Only a draft or returned plan can be submitted; this one is "
            f"{locked.get_status_display().lower()}",
            code="status",
        )
    if not locked.contingency_plan.strip() or not locked.actions:
        raise ValidationError(
            "Add at least one action and the contingency plan before submitting", code="incomplete"
        )
    locked.status = PlanStatus.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.return_comment = ""
    locked.lock_version += 1
    locked.save()
    record_event(
        participant=locked.participant,
        category="risk",
        title=f"Risk management plan v{locked.number} submitted for approval",
        actor=actor,
        link=reverse("riskplans:plan_detail", args=[locked.participant_id, locked.pk]),
    )
    return locked


def _check_may_decide(plan: RiskManagementPlan, actor) -> None:
    refusal = decision_refusal(actor, plan)
    if refusal:
        raise PermissionDenied(refusal)


@records_actor
@transaction.atomic
def approve_plan(
    *, plan: RiskManagementPlan, actor, review_due_on: datetime.date | None = None
) -> RiskManagementPlan:
    _lock_for_decision(plan)
    locked = _locked_plan(plan)
    _check_may_decide(locked, actor)
    if locked.status != PlanStatus.SUBMITTED:
        raise ValidationError("Only a submitted plan can be approved", code="status")
    today = timezone.localdate()
    review_due_on = review_due_on or add_months(today, REVIEW_MONTHS)
    if review_due_on <= today:
        raise ValidationError({"review_due_on": "The review date must be in the future"})
    previous = locked.participant.risk_plans.filter(status=PlanStatus.APPROVED).first()
    if previous is not None:
        previous.status = PlanStatus.SUPERSEDED
        previous.lock_version += 1
        previous.save()
    locked.status = PlanStatus.APPROVED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.review_due_on = review_due_on
    locked.review_reason = ""
    locked.lock_version += 1
    locked.save()
    sync_participant_summary(locked.participant)
    record_event(
        participant=locked.participant,
        category="risk",
        title=f"Risk management plan v{locked.number} approved",
        detail=f"Review due {formats.date_format(review_due_on)}",
        actor=actor,
        link=reverse("riskplans:plan_detail", args=[locked.participant_id, locked.pk]),
    )
    return locked


@records_actor
@transaction.atomic
def return_plan(*, plan: RiskManagementPlan, actor, comment: str) -> RiskManagementPlan:
    _lock_for_decision(plan)
    locked = _locked_plan(plan)
    _check_may_decide(locked, actor)
    if locked.status != PlanStatus.SUBMITTED:
        raise ValidationError("Only a submitted plan can be returned", code="status")
    if not comment.strip():
        raise ValidationError({"comment": "Say what needs to change"})
    locked.status = PlanStatus.RETURNED
    locked.return_comment = comment.strip()
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.lock_version += 1
    locked.save()
    record_event(
        participant=locked.participant,
        category="risk",
        title=f"Risk management plan v{locked.number} returned with comments",
        detail=locked.return_comment,
        actor=actor,
        link=reverse("riskplans:plan_detail", args=[locked.participant_id, locked.pk]),
    )
    return locked


@records_actor
@transaction.atomic
def bring_review_forward(*, participant: Participant, actor, reason: str) -> None:
    """After a significant event the approved plan is reviewed within SOONER_REVIEW_DAYS."""
    participant = participant_services.lock_participant(participant)
    plan = participant.risk_plans.select_for_update().filter(status=PlanStatus.APPROVED).first()
    if plan is None:
        return
    sooner = timezone.localdate() + datetime.timedelta(days=SOONER_REVIEW_DAYS)
    if plan.review_due_on is not None and plan.review_due_on <= sooner:
        return
    plan.review_due_on = sooner
    plan.review_reason = f"Brought forward after {reason}"
    plan.lock_version += 1
    plan.save()
    sync_participant_summary(participant)
    record_event(
        participant=participant,
        category="risk",
        title=f"Plan review brought forward to {formats.date_format(sooner)} after {reason}",
        actor=actor,
    )


# --- Formulation --------------------------------------------------------------------------

FORMULATION_FIELDS = (
    "presenting_problems",
    "reciprocal_roles",
    "target_problem_procedures",
    "exits",
    "predisposing",
    "precipitating",
    "perpetuating",
    "protective",
    "presenting",
    "his_account",
    "shared_with_him_on",
)


@records_actor
@transaction.atomic
def start_formulation(*, participant: Participant, actor) -> Formulation:
    participant = participant_services.lock_for_change(participant=participant, actor=actor)
    draft = participant.formulations.filter(status=FormulationStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            f"Version {draft.number} is already a draft: carry on with that one",
            code="open_version",
        )
    base = participant.formulations.filter(status=FormulationStatus.CURRENT).first()
    carried = [field for field in FORMULATION_FIELDS if field != "shared_with_him_on"]
    values = {field: getattr(base, field) for field in carried} if base else {}
    return Formulation.objects.create(
        participant=participant,
        number=_next_number(participant.formulations),
        author=actor,
        **values,
    )


@records_actor
@transaction.atomic
def save_formulation(
    *, formulation: Formulation, actor, expected_version: int, changes: dict
) -> Formulation:
    _lock_for_change(formulation, actor)
    locked = Formulation.objects.select_for_update().get(pk=formulation.pk)
    _check_version(
        locked,
        expected_version,
        reverse("riskplans:formulation_detail", args=[formulation.participant_id, formulation.pk]),
    )
    if locked.status != FormulationStatus.DRAFT:
        raise ValidationError("Only a draft formulation can be changed", code="not_editable")
    shared = changes.get("shared_with_him_on")
    if shared and shared > timezone.localdate():
        raise ValidationError(
            {"shared_with_him_on": "The date shared must be today or in the past"}
        )
    return _save_changes(locked, changes)


@records_actor
@transaction.atomic
def make_formulation_current(*, formulation: Formulation, actor) -> Formulation:
    """A psychologist in his team (or one who manages his service) agrees the draft as the
    team's formulation; who agreed it and when are kept with it."""
    _lock_for_decision(formulation)
    locked = Formulation.objects.select_for_update().get(pk=formulation.pk)
    if not may_agree_formulation(actor, locked.participant):
        raise PermissionDenied(
            "The psychologist leads the formulation: only a psychologist in his team, or a "
            "psychologist who manages the service, may agree it."
        )
    if locked.status != FormulationStatus.DRAFT:
        raise ValidationError("Only a draft can become the current formulation", code="status")
    for old in locked.participant.formulations.filter(status=FormulationStatus.CURRENT):
        old.status = FormulationStatus.SUPERSEDED
        old.lock_version += 1
        old.save()
    locked.status = FormulationStatus.CURRENT
    locked.agreed_by = actor
    locked.agreed_at = timezone.now()
    locked.lock_version += 1
    locked.save()
    record_event(
        participant=locked.participant,
        category="risk",
        title=f"Formulation v{locked.number} agreed",
        detail=(
            f"Shared with him on {formats.date_format(locked.shared_with_him_on)}"
            if locked.shared_with_him_on
            else "Not yet shared with him"
        ),
        actor=actor,
        link=reverse("riskplans:formulation_detail", args=[locked.participant_id, locked.pk]),
    )
    return locked
