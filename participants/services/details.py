"""His record: personal details and identifiers, contacts, goals, the licence and its
conditions, resettlement pathway needs and outcome snapshots."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from resettle.accounts.models import User
from resettle.audit import records_actor

from ..events import announce_significant_event
from ..models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
)
from ..timeline import at_start_of_day, record_event
from .locking import lock_for_change, not_in_future
from .referrals import IDENTIFIER_FIELDS, IDENTIFIER_LABELS


def _refuse_identifiers_of_others(participant: Participant, changes: dict) -> None:
    for field in IDENTIFIER_FIELDS:
        value = changes.get(field)
        if (
            value
            and Participant.objects.filter(**{field: value}).exclude(pk=participant.pk).exists()
        ):
            raise ValidationError(
                {field: f"This {IDENTIFIER_LABELS[field]} belongs to someone else"}
            )


@records_actor
@transaction.atomic
def update_participant(
    *, participant: Participant, actor: User, expected_version: int, changes: dict
) -> Participant:
    locked = lock_for_change(
        participant=participant, actor=actor, expected_version=expected_version
    )
    for field in IDENTIFIER_FIELDS:
        if field in changes:
            changes[field] = changes[field] or None
    _refuse_identifiers_of_others(locked, changes)
    address_changed = (
        "current_accommodation" in changes
        and changes["current_accommodation"].strip() != locked.current_accommodation.strip()
    )
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.version += 1
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as error:  # given to another man since the check above
        _refuse_identifiers_of_others(locked, changes)
        raise ValidationError("One of these identifiers belongs to someone else") from error
    if address_changed:
        announce_significant_event(participant=locked, actor=actor, reason="change of address")
    return locked


@records_actor
@transaction.atomic
def save_contact(*, participant: Participant, actor: User, contact: Contact) -> Contact:
    participant = lock_for_change(participant=participant, actor=actor)
    contact.participant = participant
    if contact.is_next_of_kin:
        for other in participant.contacts.filter(is_next_of_kin=True).exclude(pk=contact.pk):
            other.is_next_of_kin = False
            other.save()
    contact.save()
    return contact


@records_actor
@transaction.atomic
def remove_contact(*, contact: Contact, actor: User) -> None:
    lock_for_change(participant=contact.participant, actor=actor)
    contact.delete()


@records_actor
@transaction.atomic
def save_goal(*, participant: Participant, actor: User, goal: Goal) -> Goal:
    participant = lock_for_change(participant=participant, actor=actor)
    is_new = goal.pk is None
    goal.participant = participant
    goal.save()
    record_event(
        participant=participant,
        category="goal",
        title="New goal set" if is_new else f"Goal progress: {goal.get_progress_display()}",
        detail=goal.in_his_words,
        actor=actor,
    )
    return goal


# --- Licence ------------------------------------------------------------------------------


@records_actor
@transaction.atomic
def save_licence(*, participant: Participant, actor: User, licence: Licence) -> Licence:
    participant = lock_for_change(participant=participant, actor=actor)
    if licence.ends_on < licence.starts_on:
        raise ValidationError(
            {"ends_on": "The licence expiry date must be after the licence start date"}
        )
    if licence.sentence_expiry_on and licence.sentence_expiry_on < licence.starts_on:
        raise ValidationError(
            {"sentence_expiry_on": "The sentence expiry date must be after the licence start date"}
        )
    is_new = licence.pk is None
    licence.participant = participant
    licence.save()
    if is_new:
        record_event(
            participant=participant,
            category="licence",
            title=f"Licence recorded: {licence.starts_on:%-d %B %Y} to {licence.ends_on:%-d %B %Y}",
            actor=actor,
        )
    return licence


@records_actor
@transaction.atomic
def save_condition(*, licence: Licence, actor: User, condition: LicenceCondition):
    lock_for_change(participant=licence.participant, actor=actor)
    if condition.ends_on and condition.ends_on < condition.starts_on:
        raise ValidationError({"ends_on": "The end date must be after the start date"})
    is_new = condition.pk is None
    condition.licence = licence
    condition.save()
    record_event(
        participant=licence.participant,
        category="licence",
        title=(
            f"Licence condition added: {condition.get_category_display()}"
            if is_new
            else f"Licence condition changed: {condition.get_category_display()}"
        ),
        detail=condition.text,
        actor=actor,
    )
    return condition


# --- Pathway needs and outcomes -------------------------------------------------------------


@records_actor
@transaction.atomic
def set_pathway_need(
    *, participant: Participant, actor: User, pathway: str, level: str, notes: str
) -> PathwayNeed:
    participant = lock_for_change(participant=participant, actor=actor)
    need, _ = PathwayNeed.objects.select_for_update().get_or_create(
        participant=participant, pathway=pathway
    )
    changed_level = need.level != level
    need.level = level
    need.notes = notes
    need.updated_at = timezone.now()
    need.save()
    if changed_level:
        record_event(
            participant=participant,
            category="needs",
            title=f"{need.get_pathway_display()} need now {need.get_level_display().lower()}",
            actor=actor,
        )
    return need


@records_actor
@transaction.atomic
def record_outcome_snapshot(
    *, participant: Participant, actor: User, snapshot: OutcomeSnapshot
) -> OutcomeSnapshot:
    participant = lock_for_change(participant=participant, actor=actor)
    not_in_future(snapshot.taken_on, "The date")
    snapshot.participant = participant
    snapshot.recorded_by = actor
    snapshot.save()
    record_event(
        participant=participant,
        category="needs",
        title=f"Outcomes recorded ({snapshot.get_point_display().lower()}): "
        f"{snapshot.get_accommodation_display().lower()}",
        actor=actor,
        occurred_at=at_start_of_day(snapshot.taken_on),
    )
    return snapshot
