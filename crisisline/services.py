"""Logging crisis calls, linking them to a participant, and the day team's acknowledgement."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from participants.events import announce_significant_event
from participants.models import Participant
from participants.timeline import record_event
from resettle.audit import records_actor

from .access import check_keeps_bank_holidays, check_keeps_closure_days
from .models import BankHoliday, CrisisCall, ServiceClosureDay, Urgency

# A clock a few minutes fast on a phone or tablet should not stop a call being logged.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


def _check_times(call: CrisisCall) -> None:
    if call.started_at > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError({"started_date": "The call cannot start in the future"})
    if call.ended_at is not None:
        if call.ended_at < call.started_at:  # the same minute is a short call
            raise ValidationError({"ended_time": "The call must end after it started"})
        if call.ended_at > timezone.now() + FUTURE_TOLERANCE:
            raise ValidationError({"ended_time": "The call cannot end in the future"})


def _on_timeline(call: CrisisCall, actor) -> None:
    if call.participant_id is None:
        return
    record_event(
        participant=call.participant,
        category="crisis",
        title=f"Crisis call ({call.get_urgency_display().lower()}): {call.presenting_issue}",
        detail="Day team to follow up" if call.follow_up_required else "",
        actor=actor,
        occurred_at=call.started_at,
        link=reverse("crisisline:call_detail", args=[call.pk]),
    )
    if call.urgency == Urgency.EMERGENCY:
        announce_significant_event(
            participant=call.participant, actor=actor, reason="an emergency crisis call"
        )


@records_actor
@transaction.atomic
def log_call(*, call: CrisisCall, actor) -> CrisisCall:
    if call.participant_id and call.participant.service_id != call.service_id:
        raise ValidationError({"participant": "That participant is not in this service"})
    _check_times(call)
    call.recorded_by = actor
    call.save()
    _on_timeline(call, actor)
    return call


@records_actor
@transaction.atomic
def link_call(*, call: CrisisCall, participant: Participant, actor) -> CrisisCall:
    locked = CrisisCall.objects.select_for_update().get(pk=call.pk)
    if locked.participant_id is not None:
        raise ValidationError("This call is already linked to a participant", code="linked")
    if participant.service_id != locked.service_id:
        raise ValidationError("That participant is not in this service", code="service")
    locked.participant = participant
    locked.save()
    _on_timeline(locked, actor)
    return locked


@records_actor
@transaction.atomic
def acknowledge_call(*, call: CrisisCall, actor, note: str) -> CrisisCall:
    locked = CrisisCall.objects.select_for_update().get(pk=call.pk)
    if not locked.follow_up_required:
        raise ValidationError("This call does not need a follow-up", code="no_follow_up")
    if locked.acknowledged_at is not None:
        raise ValidationError(
            f"Already acknowledged by {locked.acknowledged_by} at "
            f"{timezone.localtime(locked.acknowledged_at):%H:%M on %-d %B}",
            code="acknowledged",
        )
    if not note.strip():
        raise ValidationError({"note": "Say what the day team is doing about it"})
    locked.acknowledged_by = actor
    locked.acknowledged_at = timezone.now()
    locked.acknowledgement_note = note.strip()
    locked.save()
    if locked.participant_id:
        record_event(
            participant=locked.participant,
            category="crisis",
            title="Crisis call followed up by the day team",
            detail=locked.acknowledgement_note,
            actor=actor,
            link=reverse("crisisline:call_detail", args=[locked.pk]),
        )
    return locked


@records_actor
@transaction.atomic
def add_bank_holiday(*, date: datetime.date, name: str, actor) -> BankHoliday:
    """England and Wales reference data: administrators keep it; the history says who."""
    check_keeps_bank_holidays(actor)
    already = ValidationError({"date": "That date is already on the list"})
    if BankHoliday.objects.filter(date=date).exists():
        raise already
    try:
        with transaction.atomic():
            return BankHoliday.objects.create(date=date, name=name.strip())
    except IntegrityError as error:  # added by someone else since the check above
        raise already from error


@records_actor
@transaction.atomic
def remove_bank_holiday(*, holiday: BankHoliday, actor) -> None:
    check_keeps_bank_holidays(actor)
    holiday.delete()


@records_actor
@transaction.atomic
def add_closure_day(*, service, date: datetime.date, reason: str, actor) -> ServiceClosureDay:
    """A day this service has no day team: its handover alone treats it as out of hours."""
    check_keeps_closure_days(actor, service.pk)
    day = f"{date:%A} {date.day} {date:%B %Y}"
    if date.weekday() >= 5:
        raise ValidationError(
            {"date": f"{day} is a weekend day: weekends are out of hours already"}
        )
    holiday = BankHoliday.objects.filter(date=date).first()
    if holiday is not None:
        raise ValidationError({"date": f"{day} is a bank holiday ({holiday.name})"})
    already = ValidationError({"date": f"{service.name} is already closed on {day}"})
    if ServiceClosureDay.objects.filter(service=service, date=date).exists():
        raise already
    try:
        with transaction.atomic():
            return ServiceClosureDay.objects.create(
                service=service, date=date, reason=reason.strip(), added_by=actor
            )
    except IntegrityError as error:  # added by someone else since the check above
        raise already from error


@records_actor
@transaction.atomic
def remove_closure_day(*, day: ServiceClosureDay, actor) -> None:
    check_keeps_closure_days(actor, day.service_id)
    day.delete()
