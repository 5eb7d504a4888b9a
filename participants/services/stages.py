"""Stages: the moves between waiting list, in-reach, community, move-on and ended (recall
and re-release included), and the release-day plan."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from resettle.accounts.models import Service, User
from resettle.audit import records_actor

from .. import selectors
from ..access import may_recall
from ..events import announce_significant_event, announce_stage_change
from ..models import Participant, Referral, ReleasePlan, Stage, StageChange
from ..timeline import at_start_of_day, record_event
from .locking import lock_for_change, not_in_future

# Which move each kind of change makes, and from which stages it may be made.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    StageChange.Kind.OFFERED_PLACE: ((Stage.WAITING,), Stage.IN_REACH),
    StageChange.Kind.RELEASED: ((Stage.IN_REACH,), Stage.COMMUNITY),
    StageChange.Kind.MOVED_ON: ((Stage.COMMUNITY,), Stage.MOVE_ON),
    StageChange.Kind.RECALLED: ((Stage.COMMUNITY, Stage.MOVE_ON), Stage.IN_REACH),
    StageChange.Kind.RE_RELEASED: ((Stage.IN_REACH,), Stage.COMMUNITY),
    StageChange.Kind.ENDED: (
        (Stage.WAITING, Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON),
        Stage.ENDED,
    ),
}

IMPOSSIBLE_MOVE_HINTS = {
    StageChange.Kind.MOVED_ON: "Move-on follows the community stage",
    StageChange.Kind.RELEASED: "Only a man in in-reach (in custody) can be released",
    StageChange.Kind.RE_RELEASED: "Only a man back in custody after a recall can be re-released",
    StageChange.Kind.RECALLED: "Only a man in the community or move-on can be recalled",
    StageChange.Kind.OFFERED_PLACE: "Only a man on the waiting list can be offered a place",
    StageChange.Kind.ENDED: "His case has already ended",
}


def moves_available(participant: Participant) -> list[str]:
    kinds = [kind for kind, (sources, _) in MOVES.items() if participant.stage in sources]
    has_been_recalled = participant.stage == Stage.IN_REACH and _last_change_was_recall(participant)
    if has_been_recalled:
        kinds.remove(StageChange.Kind.RELEASED)
    elif StageChange.Kind.RE_RELEASED in kinds:
        kinds.remove(StageChange.Kind.RE_RELEASED)
    return kinds


def _last_change_was_recall(participant: Participant) -> bool:
    last = participant.stage_changes.order_by("-effective_on", "-recorded_at").first()
    return last is not None and last.kind == StageChange.Kind.RECALLED


@records_actor
@transaction.atomic
def change_stage(
    *,
    participant: Participant,
    actor: User,
    kind: str,
    effective_on: datetime.date,
    reason: str = "",
    recall_type: str = "",
    ending: str = "",
) -> StageChange:
    locked = lock_for_change(
        participant=participant,
        actor=actor,
        may=may_recall if kind == StageChange.Kind.RECALLED else None,
    )
    _sources, destination = MOVES[kind]
    if kind not in moves_available(locked):
        raise ValidationError(
            f"{IMPOSSIBLE_MOVE_HINTS[kind]}. {locked.given_name} is in "
            f"{locked.get_stage_display().lower()}",
            code="impossible_move",
        )
    not_in_future(effective_on, "The date")
    referral = Referral.objects.filter(participant=locked).only("received_on").first()
    if referral and effective_on < referral.received_on:
        raise ValidationError(
            f"The date must be on or after the referral was received "
            f"({referral.received_on:%-d %B %Y})",
            code="before_referral",
        )
    if effective_on < locked.stage_since:
        raise ValidationError(
            f"The date must be on or after he entered {locked.get_stage_display().lower()} "
            f"({locked.stage_since:%-d %B %Y})",
            code="before_current_stage",
        )
    if kind == StageChange.Kind.OFFERED_PLACE:
        # As in accept_referral: the service row is the lock on its funded places.
        service = Service.objects.select_for_update().get(pk=locked.service_id)
        if selectors.custody_places_free(service) <= 0:
            raise ValidationError(
                f"All {service.funded_custody_places} funded custody places are taken. "
                "He stays on the waiting list until one is free",
                code="no_place",
            )
    if kind == StageChange.Kind.RECALLED:
        if recall_type not in StageChange.RecallType.values:
            raise ValidationError("Select the type of recall", code="recall_type")
        if not reason.strip():
            raise ValidationError("Give the reason for the recall", code="reason")
    if kind == StageChange.Kind.ENDED and ending not in StageChange.Ending.values:
        raise ValidationError("Select why his time with the service ended", code="ending")

    change = StageChange.objects.create(
        participant=locked,
        kind=kind,
        from_stage=locked.stage,
        to_stage=destination,
        effective_on=effective_on,
        reason=reason.strip(),
        recall_type=recall_type if kind == StageChange.Kind.RECALLED else "",
        ending=ending if kind == StageChange.Kind.ENDED else "",
        recorded_by=actor,
    )
    locked.stage = destination
    locked.stage_since = effective_on
    # Marked "recalled" until his next move (re-release, or his case ending).
    locked.recall_type = change.recall_type
    locked.version += 1
    locked.save()
    if kind in (StageChange.Kind.RELEASED, StageChange.Kind.RE_RELEASED):
        plan = selectors.open_release_plan(locked)
        if plan is not None:
            plan.release = change
            plan.save()
    title = change.get_kind_display()
    if kind == StageChange.Kind.RECALLED:
        title = f"{change.get_recall_type_display()} to custody"
        announce_significant_event(participant=locked, actor=actor, reason="recall")
    if kind == StageChange.Kind.ENDED:
        title = f"Ended: {change.get_ending_display().lower()}"
    record_event(
        participant=locked,
        category="stage",
        title=title,
        detail=change.reason,
        actor=actor,
        occurred_at=at_start_of_day(effective_on),
    )
    # What follows in other apps (a recall cancels his community sessions: sessions app).
    announce_stage_change(change=change, actor=actor)
    return change


@records_actor
@transaction.atomic
def save_release_plan(*, participant: Participant, actor: User, plan: ReleasePlan) -> ReleasePlan:
    participant = lock_for_change(participant=participant, actor=actor)
    if participant.stage not in (Stage.WAITING, Stage.IN_REACH) and plan.release_id is None:
        raise ValidationError(
            "A release-day plan is made before release, while he is in custody", code="stage"
        )
    plan.participant = participant
    plan.save()
    return plan
