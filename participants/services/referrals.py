"""Referrals: recording one, checking it names no one already known, assessing it, and the
decision (declined, withdrawn, or accepted: he becomes a participant, on the waiting list or
offered an in-reach place)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from resettle.accounts.models import Service, User
from resettle.audit import records_actor

from .. import selectors
from ..models import Participant, Referral, Stage, StageChange
from ..timeline import at_start_of_day, record_event
from .locking import not_in_future

IDENTIFIER_FIELDS = ("prison_number", "crn", "pnc_number", "nhs_number")
IDENTIFIER_LABELS = {
    "prison_number": "prison number",
    "crn": "CRN",
    "pnc_number": "PNC number",
    "nhs_number": "NHS number",
}


def duplicate_of(*, service: Service, identifiers: dict, exclude_referral=None) -> str | None:
    """A message if these identifiers belong to someone already known, else None."""
    for field in IDENTIFIER_FIELDS:
        value = identifiers.get(field)
        if not value:
            continue
        label = IDENTIFIER_LABELS[field]
        known = Participant.objects.filter(**{field: value}).only("service_id").first()
        if known is not None:
            if known.service_id == service.pk:
                return f"{label.capitalize()} {value} belongs to a participant of this service"
            return (
                f"{label.capitalize()} {value} belongs to someone known to another service. "
                "Ask that service about a transfer instead of a new referral"
            )
        open_referral = Referral.objects.filter(
            service=service, status__in=Referral.OPEN_STATUSES, **{field: value}
        )
        if exclude_referral is not None:
            open_referral = open_referral.exclude(pk=exclude_referral.pk)
        first = open_referral.first()
        if first is not None:
            return (
                f"{label.capitalize()} {value} is already on an open referral received "
                f"{first.received_on:%-d %B %Y}"
            )
    return None


@records_actor
@transaction.atomic
def create_referral(*, service: Service, actor: User, **fields) -> Referral:
    message = duplicate_of(service=service, identifiers=fields)
    if message:
        raise ValidationError(message, code="duplicate")
    return Referral.objects.create(service=service, created_by=actor, **fields)


def _lock_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


@records_actor
@transaction.atomic
def start_assessment(*, referral: Referral, actor: User) -> Referral:
    referral = _lock_referral(referral)
    if referral.status != Referral.Status.RECEIVED:
        raise ValidationError(
            f"This referral is {referral.get_status_display().lower()}: only a received "
            "referral can move to assessment",
            code="status",
        )
    referral.status = Referral.Status.ASSESSING
    referral.save()
    return referral


def _close_referral(*, referral, actor, status, reason, decided_on, category="") -> Referral:
    referral = _lock_referral(referral)
    if not referral.is_open:
        raise ValidationError(
            f"This referral is already {referral.get_status_display().lower()}", code="status"
        )
    if not reason.strip():
        raise ValidationError("Give the reason", code="reason")
    _check_decision_date(referral, decided_on)
    referral.status = status
    referral.decision_reason = reason.strip()
    referral.decline_category = category
    referral.decided_on = decided_on
    referral.save()
    return referral


def _check_decision_date(referral: Referral, decided_on: datetime.date) -> None:
    not_in_future(decided_on, "The decision date")
    if decided_on < referral.received_on:
        raise ValidationError(
            f"The decision date must be on or after the referral was received "
            f"({referral.received_on:%-d %B %Y})",
            code="before_referral",
        )


@records_actor
@transaction.atomic
def decline_referral(
    *, referral, actor, reason: str, decided_on: datetime.date, category: str
) -> Referral:
    if category not in Referral.DeclineCategory.values:
        raise ValidationError({"category": "Choose the main reason for declining"})
    return _close_referral(
        category=category,
        referral=referral,
        actor=actor,
        status=Referral.Status.DECLINED,
        reason=reason,
        decided_on=decided_on,
    )


@records_actor
@transaction.atomic
def withdraw_referral(*, referral, actor, reason: str, decided_on: datetime.date) -> Referral:
    return _close_referral(
        referral=referral,
        actor=actor,
        status=Referral.Status.WITHDRAWN,
        reason=reason,
        decided_on=decided_on,
    )


@records_actor
@transaction.atomic
def accept_referral(
    *, referral: Referral, actor: User, decided_on: datetime.date, offer_in_reach: bool = True
) -> Participant:
    """Accepting creates the participant: in-reach if a custody place is free, else waiting.

    The manager may also choose the waiting list, e.g. when release is years away and
    in-reach should start nearer the time.
    """
    referral = _lock_referral(referral)
    if not referral.is_open:
        raise ValidationError(
            f"This referral is already {referral.get_status_display().lower()}", code="status"
        )
    _check_decision_date(referral, decided_on)
    message = duplicate_of(
        service=referral.service,
        identifiers={f: getattr(referral, f) for f in IDENTIFIER_FIELDS},
        exclude_referral=referral,
    )
    if message:
        raise ValidationError(message, code="duplicate")
    # Lock the service row so two acceptances cannot both take the last custody place.
    service = Service.objects.select_for_update().get(pk=referral.service_id)
    place_free = offer_in_reach and selectors.custody_places_free(service) > 0
    stage = Stage.IN_REACH if place_free else Stage.WAITING
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                service=service,
                given_name=referral.given_name,
                family_name=referral.family_name,
                date_of_birth=referral.date_of_birth,
                prison=referral.current_prison,
                expected_release_date=referral.expected_release_date,
                stage=stage,
                stage_since=decided_on,
                **{f: getattr(referral, f) or None for f in IDENTIFIER_FIELDS},
            )
    except IntegrityError as error:
        raise ValidationError(
            "Someone with one of these identifiers is already known", code="duplicate"
        ) from error
    StageChange.objects.create(
        participant=participant,
        kind=StageChange.Kind.ACCEPTED,
        from_stage="",
        to_stage=stage,
        effective_on=decided_on,
        reason="Referral accepted"
        + ("" if place_free else ": no custody place free" if offer_in_reach else ": waiting list"),
        recorded_by=actor,
    )
    referral.status = Referral.Status.ACCEPTED if place_free else Referral.Status.WAITING_LIST
    referral.decided_on = decided_on
    referral.participant = participant
    referral.save()
    record_event(
        participant=participant,
        category="stage",
        title=("Accepted and offered in-reach" if place_free else "Accepted onto the waiting list"),
        actor=actor,
        occurred_at=at_start_of_day(decided_on),
    )
    return participant
