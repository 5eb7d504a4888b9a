"""Report pages: ask for a report, watch it being produced, download it, approve it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from participants.access import ParticipantAction, get_participant_for
from resettle import access
from resettle.accounts.models import Service
from resettle.accounts.roles import Role
from resettle.core.forms import apply_service_errors

from . import selectors, services
from .access import (
    COMPLIANCE_REPORT_ROLES,
    REPORT_ROLES,
    ReportAction,
    compliance_report_participants,
    get_report_for,
)
from .forms import (
    ApprovalForm,
    CommissionerReportForm,
    ComplianceReportForm,
    NationalRollupForm,
)
from .models import ReportStatus

report_roles = access.role_required(*REPORT_ROLES)

BROKER_DOWN_MESSAGE = (
    "Your request is saved. The report service is not answering just now, so it will start "
    "automatically within a few minutes: you do not need to ask again."
)


def _asked(request, report, sent: bool):
    if sent:
        messages.success(request, f"{report.title}: your report has been asked for")
    else:
        messages.warning(request, BROKER_DOWN_MESSAGE)
    return redirect("reports:detail", pk=report.pk)


@report_roles
def report_list(request):
    page = Paginator(selectors.reports_for_list(request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/list.html",
        {"page": page, "reports": page.object_list, **selectors.what_user_may_ask(request.user)},
    )


@access.role_required(*COMPLIANCE_REPORT_ROLES)
def compliance_new(request):
    participants = compliance_report_participants(request.user).order_by(
        "family_name", "given_name"
    )
    initial = {}
    if request.method == "GET" and request.GET.get("participant"):
        chosen = get_participant_for(
            request.user, request.GET["participant"], may=ParticipantAction.RECALL
        )
        initial["participant"] = chosen.pk
    form = ComplianceReportForm(request.POST or None, initial=initial, participants=participants)
    if request.method == "POST" and form.is_valid():
        participant = get_participant_for(
            request.user, form.cleaned_data["participant"].pk, may=ParticipantAction.RECALL
        )
        try:
            report, sent = services.request_compliance_report(
                actor=request.user,
                participant=participant,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _asked(request, report, sent)
    return render(request, "reports/compliance_form.html", {"form": form})


@access.role_required(Role.SERVICE_MANAGER)
def commissioner_new(request):
    managed = Service.objects.filter(
        pk__in=access.service_ids_for(request.user, [Role.SERVICE_MANAGER])
    ).order_by("name")
    form = CommissionerReportForm(request.POST or None, services=managed)
    if request.method == "POST" and form.is_valid():
        try:
            report, sent = services.request_commissioner_report(
                actor=request.user,
                service=form.cleaned_data["service"],
                quarter=form.cleaned_data["quarter"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _asked(request, report, sent)
    return render(request, "reports/commissioner_form.html", {"form": form})


@access.role_required(Role.COMMISSIONER)
def national_new(request):
    form = NationalRollupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report, sent = services.request_national_rollup(
                actor=request.user, quarter=form.cleaned_data["quarter"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            return _asked(request, report, sent)
    return render(request, "reports/national_form.html", {"form": form})


@report_roles
def detail(request, pk):
    report = get_report_for(request.user, pk)
    return render(request, "reports/detail.html", selectors.detail_context(request.user, report))


@report_roles
def progress(request, pk):
    """The progress fragment htmx polls; without htmx, the whole page."""
    report = get_report_for(request.user, pk, may=ReportAction.POLL)
    if not request.htmx:
        return redirect("reports:detail", pk=report.pk)
    shown_as = request.GET.get("as")
    if shown_as == "row":
        return render(request, "reports/_row.html", {"report": report})
    if shown_as == "detail":
        return render(
            request,
            "reports/_detail_status.html",
            selectors.detail_context(request.user, report),
        )
    return render(request, "reports/_progress.html", {"report": report})


@report_roles
def download(request, pk):
    report = get_report_for(request.user, pk, may=ReportAction.DOWNLOAD)
    if report.status != ReportStatus.SUCCEEDED or not report.file:
        raise Http404("This report has no file yet")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("The report file is missing") from error
    response = FileResponse(
        handle, as_attachment=True, filename=report.download_name, content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@require_POST
@report_roles
def retry(request, pk):
    report = get_report_for(request.user, pk, may=ReportAction.RETRY)
    try:
        sent = services.retry_report(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:detail", pk=report.pk)
    return _asked(request, report, sent)


@require_POST
@report_roles
def approve(request, pk):
    report = get_report_for(request.user, pk, may=ReportAction.APPROVE)
    form = ApprovalForm(request.POST)
    if form.is_valid():
        try:
            services.approve_report(actor=request.user, report=report)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Report approved: commissioners can now see it")
            return redirect("reports:detail", pk=report.pk)
    context = selectors.detail_context(request.user, report)
    context["approval_form"] = form
    return render(request, "reports/detail.html", context, status=400)


@require_POST
@report_roles
def produce_again(request, pk):
    report = get_report_for(request.user, pk, may=ReportAction.APPROVE)
    try:
        fresh, sent = services.produce_again(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reports:detail", pk=report.pk)
    return _asked(request, fresh, sent)
