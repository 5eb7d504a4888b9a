"""Crisis-line pages: find a person fast, the one-page summary, the call log and handover."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from participants.access import get_participant_for
from participants.record import record_context
from resettle import access
from resettle.accounts.models import Service
from resettle.accounts.roles import CASE_ROLES, CRISIS_SUMMARY_ROLES, Role
from resettle.core.forms import apply_service_errors
from resettle.core.redirects import local_next

from . import selectors, services
from .access import (
    calls_visible_to,
    closure_services_for,
    crisis_participants_for,
    get_call_for,
    get_closure_day_for,
    get_summary_participant,
    keeps_bank_holidays,
)
from .forms import AcknowledgeForm, BankHolidayForm, CallForm, ClosureDayForm, LinkForm, SearchForm
from .models import BankHoliday, CrisisCall

crisis_roles = access.role_required(*CRISIS_SUMMARY_ROLES)


@crisis_roles
def search(request):
    query = request.GET.get("q", "")
    search = SearchForm(request.GET)
    results = selectors.search(request.user, search.query())
    context = {
        "query": query,
        "results": results,
        "searched": len(search.query()) >= 2,
        "search_error": search.error(),
    }
    # A history restore asks for the whole page, not the results fragment.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "crisisline/_results.html", context)
    context["recent_calls"] = list(
        calls_visible_to(request.user).select_related("participant")[:10]
    )
    return render(request, "crisisline/search.html", context)


@crisis_roles
def summary(request, pk):
    participant = get_summary_participant(request.user, pk)
    context = {"participant": participant, **selectors.crisis_summary(participant)}
    context["may_open_record"] = (
        access.role_in_service(request.user, participant.service_id) in CASE_ROLES
    )
    return render(request, "crisisline/summary.html", context)


@crisis_roles
def call_add(request):
    services_qs = Service.objects.filter(
        pk__in=access.service_ids_for(request.user, CRISIS_SUMMARY_ROLES)
    )
    participants = crisis_participants_for(request.user)
    initial = {}
    chosen = None
    if request.method == "GET" and request.GET.get("participant"):
        chosen = (
            participants.filter(pk=request.GET["participant"]).first()
            if access.is_uuid(request.GET["participant"])
            else None
        )
        if chosen is not None:
            initial = {
                "participant": chosen.pk,
                "service": chosen.service_id,
                "caller_type": "participant",
            }
    form = CallForm(
        request.POST or None, initial=initial, services=services_qs, participants=participants
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        call = CrisisCall(
            service=data["service"],
            participant=data["participant"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            caller_type=data["caller_type"],
            caller_name=data["caller_name"],
            presenting_issue=data["presenting_issue"],
            risk_indicators=data["risk_indicators"],
            urgency=data["urgency"],
            actions_taken=data["actions_taken"],
            follow_up_required=data["follow_up_required"],
            narrative=data["narrative"],
        )
        try:
            services.log_call(call=call, actor=request.user)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Call logged")
            return redirect("crisisline:call_detail", pk=call.pk)
    if chosen is None and form.is_bound:
        chosen = form.cleaned_data.get("participant") if hasattr(form, "cleaned_data") else None
    # ?participant= naming no one this worker may see (a stale link, a mistyped id) is said
    # aloud, not silently turned into a call about no one.
    unknown_participant = (
        request.method == "GET" and bool(request.GET.get("participant")) and chosen is None
    )
    return render(
        request,
        "crisisline/call_form.html",
        {"form": form, "chosen": chosen, "unknown_participant": unknown_participant},
    )


@crisis_roles
def call_detail(request, pk):
    call = get_call_for(request.user, pk)
    query = request.GET.get("q", "")
    search = SearchForm(request.GET)
    context = {
        "call": call,
        "acknowledge_form": AcknowledgeForm(),
        "may_acknowledge": call.awaiting_follow_up
        and access.role_in_service(request.user, call.service_id) in CASE_ROLES,
        "query": query,
        "results": selectors.search(request.user, search.query())
        if call.participant_id is None
        else [],
        "search_error": search.error(),
    }
    return render(request, "crisisline/call_detail.html", context)


@require_POST
@crisis_roles
def call_link(request, pk):
    call = get_call_for(request.user, pk)
    form = LinkForm(request.POST)
    participant = None
    if form.is_valid():
        participant = (
            crisis_participants_for(request.user)
            .filter(pk=form.cleaned_data["participant"])
            .first()
        )
    if participant is None:
        messages.error(request, "Choose the participant again from the search results")
        return redirect("crisisline:call_detail", pk=call.pk)
    try:
        services.link_call(call=call, participant=participant, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Call linked to {participant.full_name}")
    return redirect("crisisline:call_detail", pk=call.pk)


@require_POST
@access.role_required(*CASE_ROLES)
def call_acknowledge(request, pk):
    call = get_call_for(request.user, pk)
    if access.role_in_service(request.user, call.service_id) not in CASE_ROLES:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("The day team acknowledges follow-ups.")
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge_call(call=call, actor=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Follow-up acknowledged")
            return redirect(local_next(request, reverse("crisisline:handover")))
    return render(
        request,
        "crisisline/call_detail.html",
        {"call": call, "acknowledge_form": form, "may_acknowledge": True, "results": []},
    )


@crisis_roles
def call_list(request):
    calls = calls_visible_to(request.user).select_related("participant", "recorded_by")
    page = Paginator(calls, 50).get_page(request.GET.get("page"))
    return render(request, "crisisline/call_list.html", {"page": page})


@access.role_required(*CASE_ROLES)
def handover(request):
    context = selectors.handover(request.user)
    context["acknowledge_form"] = AcknowledgeForm()
    return render(request, "crisisline/handover.html", context)


@access.role_required(Role.ADMINISTRATOR, Role.SERVICE_MANAGER)
def bank_holidays(request):
    """The England and Wales list: administrators change it; service managers read it (their
    handover uses it) and go on to their own services' closure days."""
    may_change = keeps_bank_holidays(request)
    form = BankHolidayForm(request.POST or None)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only administrators change the bank holidays.")
        if form.is_valid():
            try:
                services.add_bank_holiday(
                    date=form.cleaned_data["date"],
                    name=form.cleaned_data["name"],
                    actor=request.user,
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"{form.cleaned_data['name']} added")
                return redirect("crisisline:bank_holidays")
    context = {
        "form": form,
        "may_change": may_change,
        "holidays": selectors.days_from_start_of_year(BankHoliday.objects.all()),
        "changes": selectors.bank_holiday_changes(),
        "closure_services": closure_services_for(request),
    }
    return render(request, "crisisline/bank_holidays.html", context)


@require_POST
@access.role_required(Role.ADMINISTRATOR)
def bank_holiday_remove(request, holiday_id):
    holiday = get_object_or_404(BankHoliday, pk=holiday_id)
    services.remove_bank_holiday(holiday=holiday, actor=request.user)
    messages.success(request, f"{holiday.name} ({holiday.date:%d/%m/%Y}) removed")
    return redirect("crisisline:bank_holidays")


@access.role_required(Role.SERVICE_MANAGER)
def closure_days(request):
    """One managed service's own closure days (?service= picks among several)."""
    managed = closure_services_for(request)
    chosen = request.GET.get("service") or request.POST.get("service")
    service = next((s for s in managed if str(s.pk) == chosen), managed[0])
    form = ClosureDayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_closure_day(service=service, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"{service.name} closed on {form.cleaned_data['date']:%d/%m/%Y} added"
            )
            return redirect(f"{request.path}?service={service.pk}")
    context = {
        "form": form,
        "service": service,
        "managed": managed,
        "days": selectors.days_from_start_of_year(service.closure_days.all()),
        "changes": selectors.closure_day_changes(service.pk),
    }
    return render(request, "crisisline/closure_days.html", context)


@require_POST
@access.role_required(Role.SERVICE_MANAGER)
def closure_day_remove(request, day_id):
    day = get_closure_day_for(request, day_id)
    services.remove_closure_day(day=day, actor=request.user)
    messages.success(request, f"{day.reason} ({day.date:%d/%m/%Y}) removed")
    return redirect(f"{reverse('crisisline:closure_days')}?service={day.service_id}")


@access.role_required(*CASE_ROLES)
def participant_calls(request, pk):
    participant = get_participant_for(request.user, pk)
    calls = participant.crisis_calls.select_related("recorded_by", "acknowledged_by")
    page = Paginator(calls, 50).get_page(request.GET.get("page"))
    context = record_context(request, participant, tab="crisis")
    context["page"] = page
    return render(request, "crisisline/participant_calls.html", context)
