"""Every change to referrals, participants, stages, licences, allocations and needs.

Each function is atomic, names its actor, and records the timeline event in the same
transaction. Rules that refuse a change raise ValidationError with a message for the user.
"""

import datetime
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from resettle import access
from resettle.accounts.models import Service, User
from resettle.accounts.roles import ALLOCATABLE_ROLES, Role
from resettle.audit import records_actor

from . import erasure, retention, selectors
from .access import may_ask_temporary_access, may_change, may_recall
from .events import announce_significant_event, announce_stage_change
from .models import (
    Allocation,
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
    Referral,
    ReleasePlan,
    RetentionDecision,
    Stage,
    StageChange,
    retention_reference,
)
from .timeline import at_start_of_day, record_event

IDENTIFIER_FIELDS = ("prison_number", "crn", "pnc_number", "nhs_number")
IDENTIFIER_LABELS = {
    "prison_number": "prison number",
    "crn": "CRN",
    "pnc_number": "PNC number",
    "nhs_number": "NHS number",
}


class StaleVersion(ValidationError):
    """Someone else saved this record after it was opened: the edit would overwrite theirs."""


def _a(noun: str) -> str:
    """ "an offender manager", "a psychologist"."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _not_in_future(day: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(f"{what} must be today or in the past", code="future")


# --- Referrals ----------------------------------------------------------------------------


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
    _not_in_future(decided_on, "The decision date")
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


# --- Participant details ------------------------------------------------------------------


class NoLongerAllowed(ValidationError):
    """The actor lost the right to make this change (e.g. reallocated) after opening the page."""


def lock_participant(participant: Participant) -> Participant:
    """His row, locked until the transaction ends. Every change to his case (his record,
    allocation, exclusions, plans, enforcement) takes this lock before any other, so changes to
    one man are applied one after another, never interleaved."""
    return Participant.objects.select_for_update().get(pk=participant.pk)


def _check_version(locked: Participant, expected_version: int | None) -> None:
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(
            "Someone else saved changes to this record while you were editing it. "
            "Your changes have not been saved: reload the page to see theirs, then try again",
            code="stale",
        )


def lock_for_change(
    *, participant: Participant, actor: User, expected_version: int | None = None, may=None
) -> Participant:
    """Lock his record and check again, under the lock, that `actor` may still change it.

    The page checked access before the lock was taken; a reallocation committed since then
    would otherwise let someone who has just lost access write after the change. `may` is the
    access rule (default: change the record).
    """
    locked = lock_participant(participant)
    checked = access.access_for(actor)
    checked.team_answers.pop(locked.pk, None)  # asked again, under the lock
    if not (may or may_change)(checked, locked):
        raise NoLongerAllowed(
            f"You can no longer change {locked.full_name}'s record: his allocated team changed "
            "after you opened this page. Your changes have not been saved",
            code="no_longer_allowed",
        )
    _check_version(locked, expected_version)
    return locked


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


# --- Stages -------------------------------------------------------------------------------

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
    _not_in_future(effective_on, "The date")
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


# --- Allocation ---------------------------------------------------------------------------


@records_actor
@transaction.atomic
def allocate(
    *,
    participant: Participant,
    role: str,
    staff: User,
    actor: User,
    started_on: datetime.date,
) -> Allocation:
    """Make `staff` his `role`; the previous holder's change rights go in the same commit."""
    locked = lock_participant(participant)
    if role not in ALLOCATABLE_ROLES:
        raise ValidationError(
            "Only an offender manager, health keyworker or psychologist is allocated"
        )
    if not staff.memberships.filter(service_id=locked.service_id, role=role).exists():
        raise ValidationError(
            {"staff": f"{staff} is not {_a(Role(role).label.lower())} in {locked.service}"}
        )
    _not_in_future(started_on, "The allocation date")
    if locked.exclusions.filter(staff=staff, lifted_at__isnull=True).exists():
        raise ValidationError(
            {"staff": f"{staff} is excluded from this record: lift the exclusion first"}
        )
    current = locked.allocations.filter(role=role, ended_on__isnull=True).first()
    if current is not None:
        if current.staff_id == staff.pk:
            raise ValidationError({"staff": f"{staff} is already his {Role(role).label.lower()}"})
        if started_on < current.started_on:
            raise ValidationError(
                {"started_on": "The date must be on or after the current allocation started"}
            )
        current.ended_on = started_on
        current.save()
        access.forget(current.staff)
    allocation = Allocation.objects.create(
        participant=locked,
        role=role,
        staff=staff,
        started_on=started_on,
        allocated_by=actor,
    )
    record_event(
        participant=locked,
        category="allocation",
        title=f"{staff} allocated as {Role(role).label.lower()}",
        detail=f"Replacing {current.staff}" if current is not None else "",
        actor=actor,
    )
    return allocation


@records_actor
@transaction.atomic
def allocate_team(
    *,
    participant: Participant,
    team: Mapping[str, User | None],
    actor: User,
    started_on: datetime.date,
) -> list[Allocation]:
    """Set several roles of his team at once: all the changes are made, or none.

    `team` maps a role to the person who should hold it; a role whose holder is already that
    person (or that maps to None) is left as it is, not rewritten. Each change goes through
    `allocate`, so its checks, history, change rights and timeline event are the same as for
    one role. A refusal names the role it concerns (the key of `team`)."""
    locked = lock_participant(participant)
    holders = dict(locked.allocations.filter(ended_on__isnull=True).values_list("role", "staff_id"))
    made = []
    for role in ALLOCATABLE_ROLES:
        staff = team.get(role)
        if staff is None or holders.get(role) == staff.pk:
            continue
        try:
            made.append(
                allocate(
                    participant=locked,
                    role=role,
                    staff=staff,
                    actor=actor,
                    started_on=started_on,
                )
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                raise ValidationError({role: error.messages}) from error
            raise ValidationError(
                {
                    role if key in ("staff", NON_FIELD_ERRORS) else key: errors
                    for key, errors in error.error_dict.items()
                }
            ) from error
    return made


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
    _not_in_future(snapshot.taken_on, "The date")
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


# --- Exclusions and break-glass -------------------------------------------------------------

MAX_TEMPORARY_ACCESS_HOURS = 72


@records_actor
@transaction.atomic
def exclude_staff(*, participant: Participant, staff: User, reason: str, actor: User):
    """Keep a member of staff out of his record: he vanishes from their lists and searches."""
    from .models import Exclusion

    # Locked like an allocation, so the two cannot cross: nobody is both allocated and excluded.
    participant = lock_participant(participant)
    if not reason.strip():
        raise ValidationError({"reason": "Say why they are excluded"})
    if staff.pk == actor.pk:
        raise ValidationError({"staff": "You cannot exclude yourself"})
    if not staff.memberships.filter(service_id=participant.service_id).exists():
        raise ValidationError({"staff": "Choose someone who works in his service"})
    if participant.allocations.filter(staff=staff, ended_on__isnull=True).exists():
        raise ValidationError(
            {"staff": f"{staff} is in his allocated team: allocate someone else first"}
        )
    if Exclusion.objects.filter(
        participant=participant, staff=staff, lifted_at__isnull=True
    ).exists():
        raise ValidationError({"staff": f"{staff} is already excluded from this record"})
    # Any temporary access they hold ends with the exclusion.
    for grant in participant.temporary_access.filter(staff=staff, ended_at__isnull=True):
        grant.ended_at, grant.ended_by = timezone.now(), actor
        grant.save()  # one by one, so each ending is in the history
    exclusion = Exclusion.objects.create(
        participant=participant, staff=staff, reason=reason.strip(), created_by=actor
    )
    access.forget(staff)  # which also say whether they have exclusions
    return exclusion


@records_actor
@transaction.atomic
def lift_exclusion(*, exclusion, actor: User):
    lock_participant(exclusion.participant)
    exclusion.refresh_from_db()
    if exclusion.lifted_at is not None:
        raise ValidationError("This exclusion has already been lifted")
    exclusion.lifted_at = timezone.now()
    exclusion.lifted_by = actor
    exclusion.save()
    access.forget(exclusion.staff)
    return exclusion


@records_actor
@transaction.atomic
def grant_temporary_access(*, participant: Participant, actor: User, reason: str, hours: int = 24):
    """Break-glass: the allocated team's rights on his record for `hours`, with a reason.

    Logged on his timeline and shown on the service manager's home page; it ends by itself.
    """
    from .models import TemporaryAccess

    if not may_ask_temporary_access(actor, lock_participant(participant)):
        raise ValidationError(
            "You already have access to change this record, or your role cannot be given it"
        )
    if len(reason.strip()) < 10:
        raise ValidationError({"reason": "Say why you need access, in a sentence"})
    if not 1 <= hours <= MAX_TEMPORARY_ACCESS_HOURS:
        raise ValidationError(
            {"hours": f"Temporary access lasts from 1 to {MAX_TEMPORARY_ACCESS_HOURS} hours"}
        )
    now = timezone.now()
    grant = TemporaryAccess.objects.create(
        participant=participant,
        staff=actor,
        reason=reason.strip(),
        granted_at=now,
        expires_at=now + datetime.timedelta(hours=hours),
    )
    access.forget(actor)
    record_event(
        participant=participant,
        category="access",
        title=f"Temporary access for {actor} ({hours} hours)",
        detail=grant.reason,
        actor=actor,
        occurred_at=now,
    )
    return grant


@records_actor
@transaction.atomic
def end_temporary_access(*, grant, actor: User):
    lock_participant(grant.participant)
    grant.refresh_from_db()
    if not grant.is_active():
        raise ValidationError("This temporary access has already ended")
    grant.ended_at = timezone.now()
    grant.ended_by = actor
    grant.save()
    return grant


# --- Retention ------------------------------------------------------------------------------


def _decision_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for your decision"})
    return reason.strip()


def _check_next_review(next_review_on: datetime.date | None, today: datetime.date) -> None:
    if next_review_on is None:
        raise ValidationError({"next_review_on": "Enter the date of the next review"})
    if next_review_on <= today:
        raise ValidationError({"next_review_on": "The next review date must be in the future"})
    if next_review_on > retention.years_after(today, retention.NEXT_REVIEW_MAX_YEARS):
        raise ValidationError(
            {
                "next_review_on": f"The next review must be within {retention.NEXT_REVIEW_MAX_YEARS} years: "
                "review the record again then"
            }
        )


NOT_DUE_MESSAGE = (
    "This record is no longer due for review (someone may have decided on it, or something "
    "new was recorded about him). Nothing has been changed"
)


def _participant_still_due(participant: Participant, today: datetime.date) -> Participant:
    try:
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
    except Participant.DoesNotExist as error:
        raise ValidationError("This record has already been deleted", code="gone") from error
    due = retention.participant_due(locked, today)
    if due is None:
        raise ValidationError(NOT_DUE_MESSAGE, code="not_due")
    return due


def _referral_still_due(referral: Referral, today: datetime.date) -> Referral:
    try:
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
    except Referral.DoesNotExist as error:
        raise ValidationError("This referral has already been deleted", code="gone") from error
    due = retention.referral_due(locked, today)
    if due is None:
        raise ValidationError(NOT_DUE_MESSAGE, code="not_due")
    return due


def _participant_reference(due: Participant) -> dict:
    return {
        "service_id": due.service_id,
        "subject_kind": RetentionDecision.Subject.PARTICIPANT,
        "subject_id": due.pk,
        "reference": retention_reference(due.pk),
        "involvement_ended_on": due.stage_since,
        "how_ended": retention.ending_label(due),
    }


def _referral_reference(due: Referral) -> dict:
    return {
        "service_id": due.service_id,
        "subject_kind": RetentionDecision.Subject.REFERRAL,
        "subject_id": due.pk,
        "reference": retention_reference(due.pk),
        "involvement_ended_on": due.decided_on,
        "how_ended": retention.referral_ending_label(due),
    }


@records_actor
@transaction.atomic
def keep_participant_record(
    *, participant: Participant, actor: User, reason: str, next_review_on: datetime.date | None
):
    """Keep his record for now: it leaves the review list until `next_review_on`."""
    today = timezone.localdate()
    reason = _decision_reason(reason)
    _check_next_review(next_review_on, today)
    due = _participant_still_due(participant, today)
    return RetentionDecision.objects.create(
        **_participant_reference(due),
        decision=RetentionDecision.Decision.KEEP,
        reason=reason,
        next_review_on=next_review_on,
        decided_by=actor,
    )


@records_actor
@transaction.atomic
def keep_referral_record(
    *, referral: Referral, actor: User, reason: str, next_review_on: datetime.date | None
):
    today = timezone.localdate()
    reason = _decision_reason(reason)
    _check_next_review(next_review_on, today)
    due = _referral_still_due(referral, today)
    return RetentionDecision.objects.create(
        **_referral_reference(due),
        decision=RetentionDecision.Decision.KEEP,
        reason=reason,
        next_review_on=next_review_on,
        decided_by=actor,
    )


def _refuse_if_held(due) -> None:
    if due.holds:
        raise ValidationError(
            "This record must be kept: " + "; ".join(due.holds) + ". Nothing has been deleted",
            code="held",
        )


@records_actor
@transaction.atomic
def delete_participant_record(*, participant: Participant, actor: User, reason: str):
    """Delete his record across every app, with its change history, after the service
    manager's decision; the decision row, with counts and no personal data, is what remains.

    His row is locked and the rule checked again here, so a record that stopped being due
    (or became held) after the confirmation page was shown is refused, not deleted. The access
    log of who opened his record stays: it holds his record's internal id, no personal data.
    """
    reason = _decision_reason(reason)
    due = _participant_still_due(participant, timezone.localdate())
    _refuse_if_held(due)
    summary = retention.deletion_summary(due)
    reference = _participant_reference(due)
    for eraser in retention.erasers():
        eraser.erase(due)
    return RetentionDecision.objects.create(
        **reference,
        decision=RetentionDecision.Decision.DELETE,
        reason=reason,
        deleted_counts={**summary["counts"], retention.VERSIONS_LABEL: summary["versions"]},
        decided_by=actor,
    )


@records_actor
@transaction.atomic
def delete_referral_record(*, referral: Referral, actor: User, reason: str):
    """Delete a referral that was never taken on, with its change history."""
    reason = _decision_reason(reason)
    due = _referral_still_due(referral, timezone.localdate())
    _refuse_if_held(due)
    summary = retention.referral_deletion_summary(due)
    reference = _referral_reference(due)
    erasure.erase_referral(due)
    return RetentionDecision.objects.create(
        **reference,
        decision=RetentionDecision.Decision.DELETE,
        reason=reason,
        deleted_counts={**summary["counts"], retention.VERSIONS_LABEL: summary["versions"]},
        decided_by=actor,
    )
