"""Risk assessments, plan versions with approval, formulations, and version history."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from participants.access import ParticipantAction, get_participant_for
from participants.record import record_context
from resettle import access
from resettle.accounts.roles import CASE_ROLES
from resettle.core.forms import apply_service_errors

from . import selectors, services
from .access import (
    WROTE_IT,
    decision_refusal,
    is_written_by,
    may_agree_formulation,
    may_decide_on_plan,
)
from .forms import ActionFormSet, AssessmentForm, DecisionForm, FormulationForm, PlanForm
from .models import FormulationStatus, PlanStatus

case_roles = access.role_required(*CASE_ROLES)


def _plan_or_404(participant, plan_id):
    plan = selectors.plan_for(participant, plan_id)
    if plan is None:
        raise Http404("No such plan")
    return plan


@case_roles
def overview(request, pk):
    participant = get_participant_for(request.user, pk)
    context = record_context(request, participant, tab="plans")
    context.update(selectors.risk_overview(participant, today=timezone.localdate()))
    return render(request, "riskplans/overview.html", context)


@case_roles
def assessment_add(request, pk):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    latest = participant.risk_assessments.first()
    initial = {}
    if latest is not None:
        initial = {
            field: getattr(latest, field)
            for field in AssessmentForm.Meta.fields
            if field not in ("assessed_on", "source_reference")
        }
    form = AssessmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_assessment(
                participant=participant, actor=request.user, assessment=form.save(commit=False)
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Risk assessment recorded")
            return redirect("riskplans:overview", pk=participant.pk)
    context = record_context(request, participant, tab="plans")
    context.update({"form": form, "heading": "Record a risk assessment"})
    return render(request, "riskplans/form.html", context)


@case_roles
def plan_start(request, pk):
    """Starting a new version, asked first: a GET says what will happen (or that a version
    is already open) and changes nothing; the POST starts the draft."""
    return _start_version(
        request,
        pk,
        start=services.start_plan,
        preview=selectors.new_version_preview,
        edit_url="riskplans:plan_edit",
        edit_arg="plan_id",
        template="riskplans/plan_start.html",
    )


def _start_version(request, pk, *, start, preview, edit_url, edit_arg, template):
    """A new version of his plan or formulation: the GET's confirmation page creates
    nothing; the POST starts the draft, or, when one is open already, shows it again with
    a link to the open one (the service refuses a second)."""
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    if request.method == "POST":
        try:
            version = start(participant=participant, actor=request.user)
        except ValidationError as error:
            if error.code != "open_version":
                messages.error(request, error.messages[0])
                return redirect("riskplans:overview", pk=participant.pk)
        else:
            messages.success(request, f"Version {version.number} started as a draft")
            return redirect(edit_url, pk=participant.pk, **{edit_arg: version.pk})
    context = record_context(request, participant, tab="plans")
    context.update(preview(participant))
    return render(request, template, context)


@case_roles
def plan_detail(request, pk, plan_id):
    participant = get_participant_for(request.user, pk)
    plan = _plan_or_404(participant, plan_id)
    return _plan_page(request, participant, plan)


def _plan_page(request, participant, plan, *, refusal: str = "", status: int = 200):
    context = record_context(request, participant, tab="plans")
    context.update(
        {
            "plan": plan,
            "may_decide": not refusal
            and plan.status == PlanStatus.SUBMITTED
            and may_decide_on_plan(request.user, plan),
            "is_author": is_written_by(request.user, plan),
            "refusal": refusal,
            "decision_form": DecisionForm(),
            "today": timezone.localdate(),
        }
    )
    return render(request, "riskplans/plan_detail.html", context, status=status)


@case_roles
def plan_edit(request, pk, plan_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    plan = _plan_or_404(participant, plan_id)
    if not plan.is_editable:
        messages.error(request, f"Version {plan.number} is {plan.get_status_display().lower()}")
        return redirect("riskplans:plan_detail", pk=participant.pk, plan_id=plan.pk)
    data = request.POST or None
    form = PlanForm(
        data,
        initial={
            "lock_version": plan.lock_version,
            "expected_days_per_week": plan.expected_days_per_week,
            "contingency_plan": plan.contingency_plan,
        },
    )
    actions = ActionFormSet(data, initial=plan.actions, prefix="actions")
    stale = None
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        changes = {
            "contingency_plan": form.cleaned_data["contingency_plan"],
            "expected_days_per_week": form.cleaned_data["expected_days_per_week"],
            "actions": actions.actions(),
        }
        submit = "submit" in request.POST
        try:
            services.save_plan(
                plan=plan,
                actor=request.user,
                expected_version=form.cleaned_data["lock_version"],
                changes=changes,
                submit=submit,
            )
        except services.StaleEdit as error:
            stale = error
            apply_service_errors(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if submit:
                messages.success(request, f"Version {plan.number} submitted for approval")
            else:
                messages.success(request, "Draft saved")
            return redirect("riskplans:plan_detail", pk=participant.pk, plan_id=plan.pk)
    context = record_context(request, participant, tab="plans")
    context.update({"form": form, "actions": actions, "plan": plan, "stale": stale})
    return render(request, "riskplans/plan_edit.html", context)


@require_POST
@case_roles
def plan_submit(request, pk, plan_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    plan = _plan_or_404(participant, plan_id)
    try:
        services.submit_plan(plan=plan, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Version {plan.number} submitted for approval")
    return redirect("riskplans:plan_detail", pk=participant.pk, plan_id=plan.pk)


@case_roles
def plan_decide(request, pk, plan_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.APPROVE_PLANS)
    plan = _plan_or_404(participant, plan_id)
    refusal = decision_refusal(request.user, plan)
    if refusal == WROTE_IT:  # the plan, with why they may not decide on it
        return _plan_page(request, participant, plan, refusal=refusal, status=403)
    if refusal:
        raise PermissionDenied(refusal)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                services.approve_plan(
                    plan=plan, actor=request.user, review_due_on=form.cleaned_data["review_due_on"]
                )
                messages.success(request, f"Version {plan.number} approved")
            else:
                services.return_plan(
                    plan=plan, actor=request.user, comment=form.cleaned_data["comment"]
                )
                messages.success(request, f"Version {plan.number} returned with your comments")
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return redirect("riskplans:plan_detail", pk=participant.pk, plan_id=plan.pk)
    context = record_context(request, participant, tab="plans")
    context.update(
        {
            "plan": plan,
            "decision_form": form,
            "may_decide": True,
            "is_author": False,
            "today": timezone.localdate(),
        }
    )
    return render(request, "riskplans/plan_detail.html", context)


@case_roles
def formulation_start(request, pk):
    """A new formulation version, asked first, as the plan's: a GET creates nothing; the
    POST copies the agreed version into a new draft, or links to the draft already open."""
    return _start_version(
        request,
        pk,
        start=services.start_formulation,
        preview=selectors.new_formulation_preview,
        edit_url="riskplans:formulation_edit",
        edit_arg="formulation_id",
        template="riskplans/formulation_start.html",
    )


def _formulation_or_404(participant, formulation_id):
    formulation = selectors.formulation_for(participant, formulation_id)
    if formulation is None:
        raise Http404("No such formulation")
    return formulation


@case_roles
def formulation_detail(request, pk, formulation_id):
    participant = get_participant_for(request.user, pk)
    formulation = _formulation_or_404(participant, formulation_id)
    context = record_context(request, participant, tab="plans")
    context.update(
        {
            "formulation": formulation,
            "formulation_rows": selectors.formulation_rows(formulation),
            "may_agree": formulation.status == FormulationStatus.DRAFT
            and may_agree_formulation(request.user, participant),
        }
    )
    return render(request, "riskplans/formulation_detail.html", context)


@case_roles
def formulation_edit(request, pk, formulation_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    formulation = _formulation_or_404(participant, formulation_id)
    if formulation.status != FormulationStatus.DRAFT:
        messages.error(request, "Only a draft formulation can be changed")
        return redirect("riskplans:formulation_detail", pk=pk, formulation_id=formulation.pk)
    form = FormulationForm(request.POST or None, instance=formulation)
    stale = None
    if request.method == "POST" and form.is_valid():
        try:
            services.save_formulation(
                formulation=formulation,
                actor=request.user,
                expected_version=form.cleaned_data["lock_version"],
                changes=form.changes(),
            )
        except services.StaleEdit as error:
            stale = error
            apply_service_errors(form, error)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Formulation saved")
            return redirect("riskplans:formulation_detail", pk=pk, formulation_id=formulation.pk)
    context = record_context(request, participant, tab="plans")
    context.update({"form": form, "formulation": formulation, "stale": stale})
    return render(request, "riskplans/formulation_edit.html", context)


@require_POST
@case_roles
def formulation_agree(request, pk, formulation_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    formulation = _formulation_or_404(participant, formulation_id)
    try:
        services.make_formulation_current(formulation=formulation, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Formulation v{formulation.number} is now the current one")
    return redirect("riskplans:formulation_detail", pk=pk, formulation_id=formulation.pk)


@case_roles
def version_history(request, pk, kind):
    """His versions of a plan, formulation or assessment, one row each; compare any two."""
    if kind not in selectors.HISTORY_KINDS:
        raise Http404("No such history")
    participant = get_participant_for(request.user, pk)
    a, b = request.GET.get("a"), request.GET.get("b")
    asked = "compare" in request.GET or a is not None or b is not None
    page = Paginator(selectors.versions(participant, kind), selectors.VERSIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    for row in rows:
        row.summary = selectors.version_summary(kind, row)
    comparison = selectors.compare(participant, kind, a, b) if asked else None
    error, chosen = "", {"a": a, "b": b}
    if comparison is not None:
        chosen = {"a": str(comparison["left"].history_id), "b": str(comparison["right"].history_id)}
    elif asked:
        error = selectors.CHOOSE_TWO
    elif page.number == 1 and len(rows) > 1:  # the two latest, ready to compare
        chosen = {"a": str(rows[1].history_id), "b": str(rows[0].history_id)}
    error_target = ""
    if error and rows:
        group = "b" if a and not b else "a"
        error_target = f"{group}-{rows[0].history_id}"
    context = record_context(request, participant, tab="plans")
    context.update(
        {
            "kind": kind,
            "kind_label": selectors.HISTORY_KINDS[kind]["label"],
            "page": page,
            "versions": rows,
            "comparison": comparison,
            "chosen": chosen,
            "error": error,
            "error_target": error_target,
            "querystring": urlencode({"a": a, "b": b}) if comparison else "",
            "history_url": reverse("riskplans:history", args=[participant.pk, kind]),
        }
    )
    return render(request, "riskplans/history.html", context)
