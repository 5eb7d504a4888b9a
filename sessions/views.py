"""My day, sessions and registers, notes, and a participant's attendance and enforcement."""

import datetime
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from participants.access import ParticipantAction, get_participant_for, may_recall
from participants.models import Participant, Stage
from participants.record import record_context
from resettle import access
from resettle.accounts.models import Service, User
from resettle.accounts.roles import CASE_ROLES, Role
from resettle.core.forms import apply_service_errors
from resettle.core.params import ascii_int
from resettle.core.redirects import local_next

from . import compliance, selectors, services
from .access import (
    EXCLUDED_LABEL,
    NoteAction,
    SessionAction,
    correctable_on,
    get_attendance_for,
    get_note_for,
    get_session_for,
    refuse_if_excluded,
)
from .forms import (
    AddendumForm,
    CorrectionForm,
    EnforcementForm,
    NoteForm,
    OutcomeForm,
    PolicyForm,
    RecallDecisionForm,
    RegisterForm,
    SessionChangeForm,
    SessionForm,
)
from .models import (
    Attendance,
    CompliancePolicy,
    EnforcementDecision,
    Outcome,
    OutcomeCorrection,
)

SESSIONS_PAGE_SIZE = 25

case_roles = access.role_required(*CASE_ROLES)
ONE_CLICK = (Outcome.ATTENDED, Outcome.LATE, Outcome.UNACCEPTABLE_ABSENCE)


@case_roles
def my_day(request):
    context = {
        "sessions": selectors.my_day(request.user),
        "missing": selectors.outcomes_missing(request.user),
        "one_click": [(o.value, o.label) for o in Outcome if o in ONE_CLICK],
        "now": timezone.now(),
    }
    return render(request, "sessions/my_day.html", context)


def _service_for(request) -> Service:
    ids = sorted(access.service_ids_for(request.user, CASE_ROLES))
    chosen = ascii_int(request.GET.get("service") or request.POST.get("service"))
    if chosen in ids:
        return Service.objects.get(pk=chosen)
    return Service.objects.get(pk=ids[0])


def _came_from(request) -> dict[str, str]:
    """The back link of a session page: the man's Sessions tab when the page was opened from
    it (`?participant=<his id>`, carried by the links there), else My day. Only the id is
    read: the link shows nothing of him, and his tab checks access as ever."""
    try:
        participant = uuid.UUID(request.GET.get("participant", ""))
    except ValueError:
        return {"back_url": reverse("keywork:my_day"), "back_label": "My day"}
    return {
        "back_url": reverse("keywork:participant_sessions", args=[participant]),
        "back_label": "Back to his sessions",
    }


@case_roles
def session_add(request):
    service = _service_for(request)
    participants = (
        Participant.objects.visible_to(request.access)
        .filter(service=service, stage__in=[Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON])
        .order_by("family_name", "given_name")
    )
    staff = User.objects.filter(
        is_active=True, memberships__service=service, memberships__role__in=CASE_ROLES
    ).order_by("full_name")
    initial = {"date": timezone.localdate(), "location_kind": "centre", "enforceable": True}
    if request.GET.get("participant"):
        initial["participants"] = [request.GET["participant"]]
    form = SessionForm(
        request.POST or None, participants=participants, staff=staff, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "service": service,
            "actor": request.user,
            "session_type": data["session_type"],
            "title": data["title"],
            "location_kind": data["location_kind"],
            "location_detail": data["location_detail"],
            "enforceable": data["enforceable"],
            "staff": list(data["staff"]) or [request.user],
            "participants": list(data["participants"]),
        }
        try:
            if data["repeat"]:
                series = services.create_series(
                    weekdays=data["weekdays"],
                    first_day=data["date"],
                    last_day=data["last_day"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    **fields,
                )
                messages.success(request, f"{series.sessions.count()} sessions created")
                return redirect("keywork:my_day")
            session = services.create_session(
                starts_at=timezone.make_aware(
                    datetime.datetime.combine(data["date"], data["start_time"])
                ),
                ends_at=timezone.make_aware(
                    datetime.datetime.combine(data["date"], data["end_time"])
                ),
                **fields,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Session created")
            return redirect("keywork:session_detail", pk=session.pk)
    return render(
        request,
        "sessions/session_form.html",
        {"form": form, "service": service, **_came_from(request)},
    )


def _register(session, excluded: set) -> tuple[list[Attendance], list[Attendance]]:
    """The session's rows: those of the men they may see, and those of men they are excluded
    from (shown without his name, notes or outcome, and never part of the register form)."""
    corrections = OutcomeCorrection.objects.select_related("corrected_by")
    attendances = list(
        session.attendances.select_related("participant", "recorded_by")
        .prefetch_related(Prefetch("corrections", queryset=corrections))
        .order_by("participant__family_name", "participant__given_name")
    )
    if not excluded:
        return attendances, []
    return (
        [a for a in attendances if a.participant_id not in excluded],
        [a for a in attendances if a.participant_id in excluded],
    )


def _session_page(request, session, attendances, hidden, register, **extra):
    return {
        "session": session,
        "attendances": attendances,
        "register": register,
        "rows": register.bound_rows(),
        "hidden_rows": hidden,
        "excluded_label": EXCLUDED_LABEL,
        # Changing a session that names a man they are excluded from is refused (EDIT).
        "may_edit": not hidden,
        "staff": list(session.staff.all()),
        "notes": selectors.session_notes(request.user, session),
        "started": session.has_started(),
        # The recorded outcomes they may correct (a link on each).
        "correctable": correctable_on(request.access, attendances),
        **extra,
    }


@case_roles
def session_detail(request, pk):
    session = get_session_for(request.user, pk)
    attendances, hidden = _register(session, request.access.excluded_ids())
    register = RegisterForm(attendances=attendances)
    context = _session_page(
        request,
        session,
        attendances,
        hidden,
        register,
        all_recorded=all(a.outcome for a in attendances),
        **_came_from(request),
    )
    return render(request, "sessions/session_detail.html", context)


@require_POST
@case_roles
def register(request, pk):
    session = get_session_for(request.user, pk, may=SessionAction.RECORD_OUTCOME)
    attendances, hidden = _register(session, request.access.excluded_ids())
    # A register that names a man they are excluded from is refused whole (and logged):
    # nothing is recorded, for him or anyone.
    posted = {
        a.participant_id
        for a in hidden
        if any(
            request.POST.get(f"a{a.pk}_{field}") for field in ("outcome", "reason", "rescheduled")
        )
    }
    refuse_if_excluded(request.access, posted)
    form = RegisterForm(request.POST, attendances=attendances)
    if form.is_valid():
        try:
            count = services.record_register(
                session=session, actor=request.user, outcomes=form.outcomes()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{count} outcome{'s' if count != 1 else ''} recorded")
            return redirect("keywork:session_detail", pk=session.pk)
    context = _session_page(request, session, attendances, hidden, form)
    return render(request, "sessions/session_detail.html", context, status=200)


@require_POST
@case_roles
def record_outcome(request, pk, attendance_id):
    session = get_session_for(request.user, pk, may=SessionAction.RECORD_OUTCOME)
    attendance = get_attendance_for(
        request.access, session, attendance_id=attendance_id, may=SessionAction.RECORD_OUTCOME
    )
    form = OutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an outcome")
    else:
        try:
            services.record_outcome(
                attendance=attendance,
                outcome=form.cleaned_data["outcome"],
                absence_reason=form.cleaned_data["absence_reason"],
                rescheduled_by=form.cleaned_data["rescheduled_by"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                f"{attendance.participant.full_name}: {Outcome(form.cleaned_data['outcome']).label.lower()}",
            )
    return redirect(local_next(request, reverse("keywork:my_day")))


@case_roles
def correct_outcome(request, pk, attendance_id):
    session = get_session_for(request.user, pk, may=SessionAction.CORRECT_OUTCOME)
    attendance = get_attendance_for(
        request.access, session, attendance_id=attendance_id, may=SessionAction.CORRECT_OUTCOME
    )
    if not attendance.outcome:
        messages.error(request, "No outcome is recorded yet: record it on the session page")
        return redirect("keywork:session_detail", pk=session.pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            correction = services.correct_outcome(
                attendance=attendance, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Outcome corrected for {attendance.participant.full_name}: "
                f"was {correction.was}, now {correction.now}",
            )
            return redirect("keywork:session_detail", pk=session.pk)
    return render(
        request,
        "sessions/correction_form.html",
        {
            "form": form,
            "session": session,
            "attendance": attendance,
            "corrections": list(attendance.corrections.select_related("corrected_by")),
        },
    )


@case_roles
def note_add(request, pk, participant_id):
    session = get_session_for(request.user, pk, may=SessionAction.WRITE_NOTE)
    attendance = get_attendance_for(
        request.access, session, participant_id, may=SessionAction.WRITE_NOTE
    )
    form = NoteForm(request.POST or None, agency=request.access.agency_in(session.service_id))
    if request.method == "POST" and form.is_valid():
        try:
            services.add_note(
                session=session,
                participant=attendance.participant,
                actor=request.user,
                note=form.save(commit=False),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Note saved")
            return redirect("keywork:session_detail", pk=session.pk)
    return render(
        request,
        "sessions/note_form.html",
        {
            "form": form,
            "session": session,
            "participant": attendance.participant,
            "heading": "Write a note",
        },
    )


@case_roles
def note_edit(request, note_id):
    note = get_note_for(request.access, note_id, may=NoteAction.EDIT)
    if not note.editable_by(request.user):
        messages.error(request, "This note can no longer be changed: add an addendum instead")
        return redirect("keywork:note_addendum", note_id=note.pk)
    form = NoteForm(
        request.POST or None,
        instance=note,
        agency=request.access.agency_in(note.session.service_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_note(
                note=note,
                actor=request.user,
                changes={f: form.cleaned_data[f] for f in NoteForm.Meta.fields},
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Note saved")
            return redirect("keywork:session_detail", pk=note.session_id)
    note.refresh_from_db()
    return render(
        request,
        "sessions/note_form.html",
        {
            "form": form,
            "session": note.session,
            "participant": note.participant,
            "heading": "Change the note",
        },
    )


@case_roles
def note_addendum(request, note_id):
    note = get_note_for(request.access, note_id, may=NoteAction.ADD_ADDENDUM)
    form = AddendumForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_addendum(note=note, actor=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Addendum added")
        return redirect("keywork:session_detail", pk=note.session_id)
    return render(request, "sessions/addendum_form.html", {"form": form, "note": note})


@require_POST
@case_roles
def risk_concern_seen(request, note_id):
    # The concern is addressed to the OM: acknowledging it reveals nothing of a restricted note.
    note = get_note_for(request.access, note_id, may=NoteAction.MARK_SEEN)
    try:
        services.mark_risk_concern_seen(
            note=note, actor=request.user, shown=request.POST.get("shown", "")
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Risk concern about {note.participant.full_name} marked as seen")
    return redirect(local_next(request, reverse("core:home")))


@case_roles
def participant_sessions(request, pk):
    participant = get_participant_for(request.user, pk)
    recent = compliance.recent_compliance(participant, timezone.localdate())
    page = Paginator(selectors.participant_sessions(participant), SESSIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    attendances = list(page.object_list)
    context = record_context(request, participant, tab="sessions")
    context.update(
        {
            "attendances": attendances,
            "page": page,
            "notes": selectors.notes_for(
                request.user, participant, [a.session for a in attendances]
            ),
            "weeks": recent.weeks,
            "rate_12_weeks": recent.rate,
            "days_12_weeks": recent.days,
            "absences": recent.absences,
            "policy": recent.policy,
            "prompt": recent.prompt,
            "decisions": recent.decisions,
            "may_enforce": may_recall(request.user, participant),
            "today_now": timezone.now(),
        }
    )
    return render(request, "sessions/participant_sessions.html", context)


@case_roles
def enforcement_add(request, pk):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.RECALL)
    form = EnforcementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.record_enforcement(
                participant=participant, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if decision.decision == EnforcementDecision.Decision.RECALL_CONSIDERED:
                messages.success(request, "Recall considered: now record the recall decision")
                return redirect("keywork:recall_add", pk=participant.pk, decision_id=decision.pk)
            messages.success(request, f"{decision.get_decision_display()} recorded")
            return redirect("keywork:participant_sessions", pk=participant.pk)
    grounds = compliance.enforcement_grounds(participant)
    context = record_context(request, participant, tab="sessions")
    context.update(
        {
            "form": form,
            "heading": "Record an enforcement decision",
            "prompt": grounds.prompt,
            "grounds": grounds,
        }
    )
    return render(request, "sessions/decision_form.html", context)


@case_roles
def recall_add(request, pk, decision_id):
    participant = get_participant_for(request.user, pk, may=ParticipantAction.RECALL)
    enforcement = participant.enforcement_decisions.filter(pk=decision_id).first()
    if enforcement is None:
        raise Http404("No such decision")
    form = RecallDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.record_recall_decision(
                enforcement=enforcement, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"Recall decision recorded: {decision.get_outcome_display().lower()}"
            )
            return redirect("keywork:participant_sessions", pk=participant.pk)
    context = record_context(request, participant, tab="sessions")
    context.update({"form": form, "heading": "Recall decision", "prompt": None})
    return render(request, "sessions/decision_form.html", context)


@case_roles
def session_edit(request, pk):
    session = get_session_for(request.user, pk, may=SessionAction.EDIT)
    local_start, local_end = (
        timezone.localtime(session.starts_at),
        timezone.localtime(session.ends_at),
    )
    form = SessionChangeForm(
        request.POST or None,
        initial={
            "date": local_start.date(),
            "start_time": local_start.strftime("%H:%M"),
            "end_time": local_end.strftime("%H:%M"),
            "location_kind": session.location_kind,
            **SessionChangeForm.location_initial(session.location_kind, session.location_detail),
            "enforceable": session.enforceable,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_session(
                session=session,
                actor=request.user,
                starts_at=timezone.make_aware(
                    datetime.datetime.combine(data["date"], data["start_time"])
                ),
                ends_at=timezone.make_aware(
                    datetime.datetime.combine(data["date"], data["end_time"])
                ),
                location_kind=data["location_kind"],
                location_detail=data["location_detail"],
                enforceable=data["enforceable"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Session changed (only this one)")
            return redirect("keywork:session_detail", pk=session.pk)
    return render(request, "sessions/session_change.html", {"form": form, "session": session})


@access.role_required(Role.SERVICE_MANAGER)
def compliance_policy(request):
    managed = [
        m.service for m in access.memberships_of(request.user) if m.role == Role.SERVICE_MANAGER
    ]
    chosen = request.GET.get("service") or request.POST.get("service")
    service = next((s for s in managed if str(s.pk) == chosen), managed[0])
    policy = CompliancePolicy.objects.filter(service=service).first() or CompliancePolicy(
        service=service
    )
    form = PolicyForm(
        request.POST or None,
        initial={
            "warning_threshold": policy.warning_threshold,
            "recall_review_threshold": policy.recall_review_threshold,
            "window_months": policy.window_months,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_policy(service=service, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Compliance thresholds saved for {service}")
            return redirect(f"{request.path}?service={service.pk}")
    return render(
        request, "sessions/policy_form.html", {"form": form, "service": service, "managed": managed}
    )
