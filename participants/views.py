"""Referral, caseload and participant record pages. Thin: access, form, service, redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from resettle import access
from resettle.accounts.models import Service
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.forms import apply_service_errors

from . import selectors, services
from .forms import (
    AcceptForm,
    AllocationForm,
    CaseloadFilterForm,
    ContactForm,
    DecisionForm,
    DeclineForm,
    ExclusionForm,
    GoalForm,
    LicenceConditionForm,
    LicenceForm,
    OutcomeSnapshotForm,
    ParticipantDetailsForm,
    PathwayNeedsForm,
    ReferralForm,
    ReleasePlanForm,
    StageChangeForm,
    TemporaryAccessForm,
)
from .models import Contact, Goal, LicenceCondition, Referral, ReleasePlan, Stage, StageChange
from .record import record_context

case_roles = access.role_required(*CASE_ROLES)
PAGE_SIZE = 25


# --- Caseload -----------------------------------------------------------------------------


@case_roles
def caseload(request, mine: bool = False):
    user = request.user
    service_ids = access.service_ids_for(user, CASE_ROLES)
    staff = selectors.allocatable_staff(service_ids)
    form = CaseloadFilterForm(request.GET or None, staff=staff)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = selectors.CaseloadFilters(
        mine=mine,
        stage=data.get("stage", ""),
        keyworker=data.get("keyworker", ""),
        query=data.get("q", ""),
        risk=data.get("risk", ""),
        review_overdue=data.get("review_overdue", False),
        sort=request.GET.get("sort", "name"),
    )
    page = Paginator(selectors.caseload(user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    managed = [m.service for m in access.memberships_of(user) if m.role == Role.SERVICE_MANAGER]
    context = {
        "form": form,
        "page": page,
        "filters": filters,
        "mine": mine,
        "capacities": [selectors.capacity(service) for service in managed],
        "querystring": _querystring_without(request, "page", "sort"),
        "page_querystring": _querystring_without(request, "page"),
        "today": timezone.localdate(),
    }
    return render(request, "participants/caseload.html", context)


def _querystring_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


# --- Referrals ----------------------------------------------------------------------------


@case_roles
def referral_list(request):
    status = request.GET.get("status", "open")
    referrals = access.referrals_visible_to(request.user).select_related("service")
    if status == "open":
        referrals = referrals.filter(status__in=Referral.OPEN_STATUSES)
    elif status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    page = Paginator(referrals.order_by("-received_on", "family_name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tabs = [("open", "Open")] + [(s.value, s.label) for s in Referral.Status]
    may_create = access.has_role(request.user, access.REFERRAL_CREATE_ROLES)
    return render(
        request,
        "participants/referral_list.html",
        {"page": page, "status": status, "tabs": tabs, "may_create": may_create},
    )


@access.role_required(*access.REFERRAL_CREATE_ROLES)
def referral_create(request):
    allowed = access.service_ids_for(request.user, access.REFERRAL_CREATE_ROLES)
    services_qs = Service.objects.filter(pk__in=allowed)
    form = ReferralForm(request.POST or None, services=services_qs)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "service"}
        try:
            referral = services.create_referral(
                service=form.cleaned_data["service"], actor=request.user, **fields
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Referral of {referral.full_name} recorded")
            return redirect("participants:referral_detail", pk=referral.pk)
    return render(request, "participants/referral_form.html", {"form": form})


@case_roles
def referral_detail(request, pk):
    referral = access.get_referral_for(request.user, pk)
    may_decide = access.is_service_manager_of(request.user, referral.service_id)
    return render(
        request,
        "participants/referral_detail.html",
        {
            "referral": referral,
            "may_decide": may_decide,
            "places_free": selectors.custody_places_free(referral.service) if may_decide else None,
        },
    )


@require_POST
@case_roles
def referral_assess(request, pk):
    referral = access.get_referral_for(request.user, pk, action="manage")
    try:
        services.start_assessment(referral=referral, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Assessment started")
    return redirect("participants:referral_detail", pk=referral.pk)


@case_roles
def referral_accept(request, pk):
    referral = access.get_referral_for(request.user, pk, action="manage")
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.accept_referral(
                referral=referral,
                actor=request.user,
                decided_on=form.cleaned_data["decided_on"],
                offer_in_reach=form.cleaned_data["offer"] == "in_reach",
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if participant.stage == Stage.WAITING:
                messages.success(request, f"{participant.full_name} accepted onto the waiting list")
            else:
                messages.success(request, f"{participant.full_name} accepted and offered in-reach")
            return redirect("participants:overview", pk=participant.pk)
    places_free = selectors.custody_places_free(referral.service)
    return render(
        request,
        "participants/referral_accept.html",
        {"referral": referral, "form": form, "places_free": places_free},
    )


def _referral_decision(request, pk, *, service_call, verb: str, form_class=DecisionForm):
    referral = access.get_referral_for(request.user, pk, action="manage")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service_call(referral=referral, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Referral {verb}")
            return redirect("participants:referral_detail", pk=referral.pk)
    return render(
        request,
        "participants/referral_decision.html",
        {"referral": referral, "form": form, "verb": verb},
    )


@case_roles
def referral_decline(request, pk):
    return _referral_decision(
        request, pk, service_call=services.decline_referral, verb="declined", form_class=DeclineForm
    )


@case_roles
def referral_withdraw(request, pk):
    return _referral_decision(
        request, pk, service_call=services.withdraw_referral, verb="withdrawn"
    )


# --- Participant record -------------------------------------------------------------------


@case_roles
def overview(request, pk):
    participant = access.get_participant_for(request.user, pk)
    return render(
        request,
        "participants/participant_overview.html",
        record_context(request, participant, tab="overview", with_overview=True),
    )


@case_roles
def timeline(request, pk):
    from .timeline import redact_for, timeline_for

    participant = access.get_participant_for(request.user, pk)
    category = request.GET.get("category", "")
    page = Paginator(timeline_for(request.user, participant, category=category), 50).get_page(
        request.GET.get("page")
    )
    context = record_context(request, participant, tab="timeline")
    context.update(
        {
            "page": page,
            "events": redact_for(request.user, participant, page.object_list),
            "category": category,
        }
    )
    return render(request, "participants/participant_timeline.html", context)


@case_roles
def history(request, pk):
    from .history import change_history

    participant = access.get_participant_for(request.user, pk)
    context = record_context(request, participant, tab="history")
    context["changes"] = change_history(participant, request.user)
    if access.is_service_manager_of(request.user, participant.service_id):
        context["access_log"] = selectors.record_viewers(participant)
    return render(request, "participants/participant_history.html", context)


@case_roles
def edit_details(request, pk):
    participant = access.get_participant_for(request.user, pk, action="change")
    form = ParticipantDetailsForm(request.POST or None, instance=participant)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_participant(
                participant=participant,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Details saved")
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update({"form": form, "heading": "Change personal details"})
    return render(request, "participants/participant_form.html", context)


def _participant_object_form(
    request, pk, *, form_class, instance, save, heading: str, success: str, **form_kwargs
):
    """An add/change page for a record that belongs to one participant (contact, goal…)."""
    participant = access.get_participant_for(request.user, pk, action="change")
    instance = instance(participant) if callable(instance) else instance
    form = form_class(request.POST or None, instance=instance, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            save(participant=participant, actor=request.user, obj=form.save(commit=False))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update({"form": form, "heading": heading})
    return render(request, "participants/participant_form.html", context)


@case_roles
def contact_form(request, pk, contact_id=None):
    return _participant_object_form(
        request,
        pk,
        form_class=ContactForm,
        instance=lambda p: (
            get_object_or_404(Contact, pk=contact_id, participant=p)
            if contact_id
            else Contact(participant=p)
        ),
        save=lambda participant, actor, obj: services.save_contact(
            participant=participant, actor=actor, contact=obj
        ),
        heading="Change contact" if contact_id else "Add a contact",
        success="Contact saved",
    )


@require_POST
@case_roles
def contact_remove(request, pk, contact_id):
    participant = access.get_participant_for(request.user, pk, action="change")
    contact = get_object_or_404(Contact, pk=contact_id, participant=participant)
    try:
        services.remove_contact(contact=contact, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"{contact.name} removed from contacts")
    return redirect("participants:overview", pk=participant.pk)


@case_roles
def goal_form(request, pk, goal_id=None):
    return _participant_object_form(
        request,
        pk,
        form_class=GoalForm,
        instance=lambda p: (
            get_object_or_404(Goal, pk=goal_id, participant=p) if goal_id else Goal(participant=p)
        ),
        save=lambda participant, actor, obj: services.save_goal(
            participant=participant, actor=actor, goal=obj
        ),
        heading="Update goal" if goal_id else "Add a goal",
        success="Goal saved",
    )


@case_roles
def release_plan_form(request, pk):
    return _participant_object_form(
        request,
        pk,
        form_class=ReleasePlanForm,
        instance=lambda p: (
            selectors.open_release_plan(p)
            or p.release_plans.order_by("-pk").first()
            or ReleasePlan(participant=p)
        ),
        save=lambda participant, actor, obj: services.save_release_plan(
            participant=participant, actor=actor, plan=obj
        ),
        heading="Release-day plan",
        success="Release-day plan saved",
    )


@case_roles
def licence_form(request, pk):
    return _participant_object_form(
        request,
        pk,
        form_class=LicenceForm,
        instance=lambda p: p.licences.order_by("-starts_on").first() or None,
        save=lambda participant, actor, obj: services.save_licence(
            participant=participant, actor=actor, licence=obj
        ),
        heading="Licence dates",
        success="Licence saved",
    )


@case_roles
def condition_form(request, pk, condition_id=None):
    participant = access.get_participant_for(request.user, pk, action="change")
    licence = participant.licences.order_by("-starts_on").first()
    if licence is None:
        messages.error(request, "Record the licence dates before adding conditions")
        return redirect("participants:licence", pk=participant.pk)
    return _participant_object_form(
        request,
        pk,
        form_class=LicenceConditionForm,
        instance=get_object_or_404(LicenceCondition, pk=condition_id, licence=licence)
        if condition_id
        else LicenceCondition(licence=licence),
        save=lambda participant, actor, obj: services.save_condition(
            licence=licence, actor=actor, condition=obj
        ),
        heading="Change licence condition" if condition_id else "Add a licence condition",
        success="Licence condition saved",
    )


@case_roles
def outcome_form(request, pk):
    return _participant_object_form(
        request,
        pk,
        form_class=OutcomeSnapshotForm,
        instance=None,
        save=lambda participant, actor, obj: services.record_outcome_snapshot(
            participant=participant, actor=actor, snapshot=obj
        ),
        heading="Record outcomes",
        success="Outcomes recorded",
    )


@case_roles
def pathway_needs(request, pk):
    participant = access.get_participant_for(request.user, pk, action="change")
    needs = {need.pathway: need for need in participant.pathway_needs.all()}
    form = PathwayNeedsForm(request.POST or None, needs=needs)
    if request.method == "POST" and form.is_valid():
        for pathway, level, notes in form.needs():
            services.set_pathway_need(
                participant=participant,
                actor=request.user,
                pathway=pathway,
                level=level,
                notes=notes,
            )
        messages.success(request, "Resettlement needs saved")
        return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update({"form": form, "heading": "Resettlement pathway needs"})
    return render(request, "participants/participant_form.html", context)


@case_roles
def allocate(request, pk):
    participant = access.get_participant_for(request.user, pk, action="manage")
    staff = selectors.allocatable_staff([participant.service_id])
    form = AllocationForm(request.POST or None, staff_queryset=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.allocate(
                participant=participant,
                role=form.cleaned_data["role"],
                staff=form.cleaned_data["staff"],
                actor=request.user,
                started_on=form.cleaned_data["started_on"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['staff']} allocated")
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update({"form": form, "heading": "Allocate the team"})
    return render(request, "participants/participant_form.html", context)


@case_roles
def change_stage(request, pk, kind):
    if kind not in StageChange.Kind.values or kind == StageChange.Kind.ACCEPTED:
        from django.http import Http404

        raise Http404("No such stage change")
    action = "recall" if kind == StageChange.Kind.RECALLED else "change"
    participant = access.get_participant_for(request.user, pk, action=action)
    form = StageChangeForm(request.POST or None, kind=kind)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_stage(
                participant=participant,
                actor=request.user,
                kind=kind,
                effective_on=form.cleaned_data["effective_on"],
                reason=form.cleaned_data.get("reason", ""),
                recall_type=form.cleaned_data.get("recall_type", ""),
                ending=form.cleaned_data.get("ending", ""),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, StageChange.Kind(kind).label)
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update(
        {
            "form": form,
            "heading": StageChange.Kind(kind).label,
            "release_plan": selectors.open_release_plan(participant)
            if kind in (StageChange.Kind.RELEASED, StageChange.Kind.RE_RELEASED)
            else None,
            "cancel_url": reverse("participants:overview", args=[participant.pk]),
        }
    )
    return render(request, "participants/participant_form.html", context)


# --- Exclusions and break-glass -------------------------------------------------------------


@case_roles
def record_access(request, pk):
    """Who is kept out of his record, and who has had temporary access (service managers)."""
    participant = access.get_participant_for(request.user, pk, action="manage")
    form = ExclusionForm(
        request.POST or None, staff=selectors.staff_who_may_be_excluded(participant)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.exclude_staff(
                participant=participant,
                staff=form.cleaned_data["staff"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['staff']} is excluded from this record")
            return redirect("participants:record_access", pk=participant.pk)
    context = record_context(request, participant, tab="history")
    context.update({"form": form, **selectors.record_access_summary(participant)})
    return render(request, "participants/record_access.html", context)


def _end_on_record(request, pk, *, related: str, item_id, service_call, done: str):
    """A service manager ends an exclusion or a temporary access, from his access page."""
    participant = access.get_participant_for(request.user, pk, action="manage")
    item = get_object_or_404(getattr(participant, related), pk=item_id)
    try:
        service_call(item, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done.format(staff=item.staff))
    return redirect("participants:record_access", pk=participant.pk)


@require_POST
@case_roles
def exclusion_lift(request, pk, exclusion_id):
    return _end_on_record(
        request,
        pk,
        related="exclusions",
        item_id=exclusion_id,
        service_call=lambda item, actor: services.lift_exclusion(exclusion=item, actor=actor),
        done="{staff} can see this record again",
    )


@require_POST
@case_roles
def temporary_access_end(request, pk, grant_id):
    return _end_on_record(
        request,
        pk,
        related="temporary_access",
        item_id=grant_id,
        service_call=lambda item, actor: services.end_temporary_access(grant=item, actor=actor),
        done="Temporary access for {staff} ended",
    )


@case_roles
def temporary_access(request, pk):
    """Break-glass: ask for the allocated team's rights on his record, with a reason."""
    participant = access.get_participant_for(request.user, pk)
    may_ask = access.may_ask_temporary_access(request.user, participant)
    form = TemporaryAccessForm(request.POST or None)
    if may_ask and request.method == "POST" and form.is_valid():
        try:
            grant = services.grant_temporary_access(
                participant=participant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                "You have temporary access to this record until "
                f"{timezone.localtime(grant.expires_at):%-d %B %Y at %H:%M}. "
                "Your service manager can see that you asked, and why.",
            )
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context["form"] = form
    return render(request, "participants/temporary_access.html", context)
