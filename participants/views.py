"""Referral, caseload and participant record pages. Thin: access, form, service, redirect."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from resettle import access
from resettle.accounts.models import Service
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.forms import apply_service_errors
from resettle.core.params import page_number, slug

from . import clock, retention, selectors, services
from .access import (
    REFERRAL_CREATE_ROLES,
    RETENTION_ROLES,
    ParticipantAction,
    ReferralAction,
    get_participant_for,
    get_referral_for,
    may_ask_temporary_access,
    participants_for_retention_review,
    referrals_for_retention_review,
    retention_decisions_visible_to,
)
from .forms import (
    AcceptForm,
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
    RetentionDecisionForm,
    RetentionDeleteForm,
    StageChangeForm,
    TeamAllocationForm,
    TemporaryAccessForm,
)
from .models import (
    Contact,
    Goal,
    LicenceCondition,
    Participant,
    Referral,
    ReleasePlan,
    RetentionDecision,
    Stage,
    StageChange,
    retention_reference,
)
from .record import record_context

case_roles = access.role_required(*CASE_ROLES)
retention_roles = access.role_required(*RETENTION_ROLES)
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
        "capacities": selectors.capacities(managed),
        "querystring": _querystring_without(request, "page", "sort"),
        "page_querystring": _querystring_without(request, "page"),
        "selected_filters": _selected_filters(request, form, data),
        "today": timezone.localdate(),
    }
    return render(request, "participants/caseload.html", context)


# The filters the caseload offers, in the order the MoJ filter lists them as selected tags.
CASELOAD_FILTER_NAMES = ("q", "stage", "keyworker", "risk", "review_overdue")


def _selected_filters(request, form, data: dict) -> list[dict]:
    """Each filter in force, as the MoJ filter shows it: its heading, the chosen value, and a
    link to the same list without it."""
    selected = []
    for name in CASELOAD_FILTER_NAMES:
        value = data.get(name)
        if not value:
            continue
        field = form.fields[name]
        if name == "review_overdue":
            text = "Only plan reviews overdue"
        elif hasattr(field, "choices"):
            text = {str(k): v for k, v in field.choices}.get(str(value), str(value))
        else:
            text = str(value)
        selected.append(
            {
                "heading": str(field.label or name),
                "text": str(text),
                "remove": "?" + _querystring_without(request, "page", name),
            }
        )
    return selected


def _querystring_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


# --- Referrals ----------------------------------------------------------------------------


@case_roles
def referral_list(request):
    status = request.GET.get("status", "open")
    referrals = Referral.objects.visible_to(request.user).select_related("service")
    if status == "open":
        referrals = referrals.filter(status__in=Referral.OPEN_STATUSES)
    elif status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    page = Paginator(referrals.order_by("-received_on", "family_name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tabs = [("open", "Open")] + [(s.value, s.label) for s in Referral.Status]
    may_create = access.has_role(request.user, REFERRAL_CREATE_ROLES)
    return render(
        request,
        "participants/referral_list.html",
        {"page": page, "status": status, "tabs": tabs, "may_create": may_create},
    )


@access.role_required(*REFERRAL_CREATE_ROLES)
def referral_create(request):
    allowed = access.service_ids_for(request.user, REFERRAL_CREATE_ROLES)
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
    referral = get_referral_for(request.user, pk)
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
    referral = get_referral_for(request.user, pk, may=ReferralAction.MANAGE)
    try:
        services.start_assessment(referral=referral, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Assessment started")
    return redirect("participants:referral_detail", pk=referral.pk)


@case_roles
def referral_accept(request, pk):
    referral = get_referral_for(request.user, pk, may=ReferralAction.MANAGE)
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
    referral = get_referral_for(request.user, pk, may=ReferralAction.MANAGE)
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
    participant = get_participant_for(request.user, pk)
    return render(
        request,
        "participants/participant_overview.html",
        record_context(request, participant, tab="overview", with_overview=True),
    )


@case_roles
def timeline(request, pk):
    from .timeline import TIMELINE_CATEGORIES, redact_for, timeline_for

    participant = get_participant_for(request.user, pk)
    category = slug(request.GET.get("category"))
    page = Paginator(timeline_for(request.user, participant, category=category), 50).get_page(
        page_number(request.GET.get("page"))
    )
    context = record_context(request, participant, tab="timeline")
    context.update(
        {
            "page": page,
            "events": redact_for(request.user, participant, page.object_list),
            "category": category,
            "categories": TIMELINE_CATEGORIES,
        }
    )
    return render(request, "participants/participant_timeline.html", context)


@case_roles
def history(request, pk):
    from .history import change_history

    participant = get_participant_for(request.user, pk)
    context = record_context(request, participant, tab="history")
    history_page = change_history(
        participant, request.user, page=page_number(request.GET.get("page"), maximum=999)
    )
    context["changes"] = history_page.rows
    context["history_page"] = history_page
    if access.is_service_manager_of(request.user, participant.service_id):
        context["access_log"] = selectors.record_viewers(participant)
    return render(request, "participants/participant_history.html", context)


@case_roles
def edit_details(request, pk):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
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
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
    instance = instance(participant) if callable(instance) else instance
    form = form_class(request.POST or None, instance=instance, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(participant=participant, actor=request.user, obj=form.save(commit=False))
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, success(saved) if callable(success) else success)
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
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
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
        # A licence shorter than the service's 18 months is flagged as it is entered.
        success=lambda licence: " ".join(
            ["Licence saved."]
            + [flag.text for flag in [clock.licence_flag(licence)] if flag is not None]
        ),
    )


@case_roles
def condition_form(request, pk, condition_id=None):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
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
    participant = get_participant_for(request.user, pk, may=ParticipantAction.CHANGE)
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
    """His whole team on one page; each role changed goes through services.allocate."""
    participant = get_participant_for(request.user, pk, may=ParticipantAction.MANAGE)
    holders = {role: a.staff for role, a in selectors.current_team(participant).items()}
    form = TeamAllocationForm(
        request.POST or None,
        candidates=selectors.team_candidates(participant, holders),
        holders=holders,
    )
    if request.method == "POST" and form.is_valid():
        changed = form.changed_roles()
        try:
            services.allocate_team(
                participant=participant,
                team=form.team(),
                actor=request.user,
                started_on=form.cleaned_data["started_on"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if changed:
                names = [f"{form.team()[role]} as {Role(role).label.lower()}" for role in changed]
                messages.success(request, f"Team saved: {_in_words(names)}")
            else:
                messages.info(request, "His team is unchanged")
            return redirect("participants:overview", pk=participant.pk)
    context = record_context(request, participant, tab="overview")
    context.update({"form": form, "heading": "Allocate his team", "holders": holders})
    return render(request, "participants/allocation_form.html", context)


def _in_words(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@case_roles
def change_stage(request, pk, kind):
    if kind not in StageChange.Kind.values or kind == StageChange.Kind.ACCEPTED:
        raise Http404("No such stage change")
    action = "recall" if kind == StageChange.Kind.RECALLED else "change"
    participant = get_participant_for(request.user, pk, may=action)
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
    participant = get_participant_for(request.user, pk, may=ParticipantAction.MANAGE)
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
    participant = get_participant_for(request.user, pk, may=ParticipantAction.MANAGE)
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
    participant = get_participant_for(request.user, pk)
    may_ask = may_ask_temporary_access(request.user, participant)
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


# --- Retention ------------------------------------------------------------------------------


@retention_roles
def retention_list(request):
    """Records past the retention period in the manager's services, for a decision on each."""
    user, today = request.user, timezone.localdate()
    men = retention.participants_due_for_review(
        participants_for_retention_review(user).select_related("service"), today
    )
    referrals = retention.referrals_due_for_review(
        referrals_for_retention_review(user).select_related("service"), today
    )
    men_page = Paginator(men, PAGE_SIZE).get_page(request.GET.get("page"))
    referrals_page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("referrals_page"))
    context = {
        "men_page": men_page,
        "men": retention.with_holds_described(men_page.object_list),
        "referrals_page": referrals_page,
        "referrals": retention.referrals_with_holds_described(referrals_page.object_list),
        "years": retention.retention_years(),
        "cutoff": retention.review_cutoff(today),
        "men_querystring": _querystring_without(request, "page"),
        "referrals_querystring": _querystring_without(request, "referrals_page"),
    }
    return render(request, "participants/retention_list.html", context)


@retention_roles
def retention_decisions(request):
    """Every retention decision in the manager's services, newest first: the audit trail."""
    decisions = retention_decisions_visible_to(request.user).select_related("service", "decided_by")
    page = Paginator(decisions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "participants/retention_decisions.html", {"page": page})


def _retention_review(request, *, subject, due, keep, delete_url: str, template_context: dict):
    """The decision page for one record: keep it (with a next review) or go on to confirm
    its deletion. A record that something holds can only be kept."""
    today = timezone.localdate()
    form = RetentionDecisionForm(
        request.POST if request.method == "POST" else None,
        may_delete=not due.holds,
        initial={
            "next_review_on": retention.years_after(today, retention.NEXT_REVIEW_DEFAULT_YEARS)
        },
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["decision"] == RetentionDecision.Decision.DELETE:
            confirm = RetentionDeleteForm(initial={"reason": form.cleaned_data["delete_reason"]})
            return _render_confirmation(
                request, subject, due, confirm, delete_url, template_context
            )
        try:
            decision = keep(
                actor=request.user,
                reason=form.cleaned_data["keep_reason"],
                next_review_on=form.cleaned_data["next_review_on"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{subject.full_name}'s record is kept. It will be due for review again on "
                f"{decision.next_review_on:%-d %B %Y}",
            )
            return redirect("participants:retention_list")
    context = {
        **template_context,
        "form": form,
        "due": due,
        "reference": retention_reference(subject.pk),
        "earlier_decisions": retention.decisions_on(subject.pk),
        "years": retention.retention_years(),
    }
    return render(request, "participants/retention_review.html", context)


def _render_confirmation(request, subject, due, form, delete_url, template_context):
    summary = (
        retention.deletion_summary(due)
        if isinstance(subject, Participant)
        else retention.referral_deletion_summary(due)
    )
    context = {
        **template_context,
        "form": form,
        "due": due,
        "summary": summary,
        "delete_url": delete_url,
        "reference": retention_reference(subject.pk),
    }
    return render(request, "participants/retention_confirm_delete.html", context)


def _retention_delete(request, *, subject, due, delete, delete_url, template_context):
    if due is None:
        # Decided on, or active again, since the confirmation page was shown.
        messages.error(request, services.NOT_DUE_MESSAGE)
        return redirect("participants:retention_list")
    form = RetentionDeleteForm(request.POST)
    if form.is_valid():
        try:
            decision = delete(actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("participants:retention_list")
        messages.success(
            request,
            f"{subject.full_name}'s record has been deleted. The decision is kept as "
            f"{decision.reference} in the retention decisions",
        )
        return redirect("participants:retention_list")
    return _render_confirmation(request, subject, due, form, delete_url, template_context)


def _participant_for_retention(request, pk):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.RETENTION)
    due = retention.participant_due(participant, timezone.localdate())
    return participant, due, {"subject_kind": "participant", "subject": participant}


def _referral_for_retention(request, pk):
    referral = get_referral_for(request.user, pk, may=ReferralAction.RETENTION)
    due = retention.referral_due(referral, timezone.localdate())
    return referral, due, {"subject_kind": "referral", "subject": referral}


def _not_due(due) -> None:
    if due is None:
        raise Http404("This record is not due for review")


@case_roles
def retention_review(request, pk):
    participant, due, context = _participant_for_retention(request, pk)
    _not_due(due)
    return _retention_review(
        request,
        subject=participant,
        due=due,
        keep=lambda **kwargs: services.keep_participant_record(participant=participant, **kwargs),
        delete_url=reverse("participants:retention_delete", args=[participant.pk]),
        template_context=context,
    )


@require_POST
@case_roles
def retention_delete(request, pk):
    participant, due, context = _participant_for_retention(request, pk)
    return _retention_delete(
        request,
        subject=participant,
        due=due,
        delete=lambda **kwargs: services.delete_participant_record(
            participant=participant, **kwargs
        ),
        delete_url=reverse("participants:retention_delete", args=[participant.pk]),
        template_context=context,
    )


@case_roles
def retention_referral_review(request, pk):
    referral, due, context = _referral_for_retention(request, pk)
    _not_due(due)
    return _retention_review(
        request,
        subject=referral,
        due=due,
        keep=lambda **kwargs: services.keep_referral_record(referral=referral, **kwargs),
        delete_url=reverse("participants:retention_referral_delete", args=[referral.pk]),
        template_context=context,
    )


@require_POST
@case_roles
def retention_referral_delete(request, pk):
    referral, due, context = _referral_for_retention(request, pk)
    return _retention_delete(
        request,
        subject=referral,
        due=due,
        delete=lambda **kwargs: services.delete_referral_record(referral=referral, **kwargs),
        delete_url=reverse("participants:retention_referral_delete", args=[referral.pk]),
        template_context=context,
    )
