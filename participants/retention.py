"""Retention: which records are due for the service manager's review, what holds them, and
what deleting one would remove.

The rule, in one place: a man's record is due for review once RECORD_RETENTION_YEARS have
passed since his involvement with the service ended *and* since anything was last recorded
about him (his timeline); a referral that was declined or withdrawn is due once the period
has passed since that decision. A "keep for now" decision hides the record until its next
review date. Nothing here deletes anything: `services.delete_participant_record` does, after
the manager's decision, and only while the record is still due and nothing holds it.

Other apps add what they hold about a man (`register_eraser`) and the reasons that must
stop a deletion (`register_hold`) in their AppConfig.ready(), as they do for the history tab.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import timezone

from resettle.core.dates import add_months

from .access import participants_for_retention_review, referrals_for_retention_review
from .models import (
    Licence,
    Participant,
    Referral,
    RetentionDecision,
    Stage,
    StageChange,
    TimelineEvent,
)

NEXT_REVIEW_DEFAULT_YEARS = 1
NEXT_REVIEW_MAX_YEARS = 5
# How a deletion names the saved versions it removed from the change history.
VERSIONS_LABEL = "earlier versions in the change history"


def retention_years() -> int:
    return settings.RECORD_RETENTION_YEARS


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (29 February becomes 28 February)."""
    return add_months(day, -12 * years)


def years_after(day: datetime.date, years: int) -> datetime.date:
    return add_months(day, 12 * years)


def review_cutoff(today: datetime.date) -> datetime.date:
    """Involvement that ended before this day ended more than the retention period ago."""
    return years_before(today, retention_years())


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _not_kept(today: datetime.date) -> Exists:
    """No "keep for now" decision whose next review date is still to come."""
    return ~Exists(
        RetentionDecision.objects.filter(
            subject_id=OuterRef("pk"),
            decision=RetentionDecision.Decision.KEEP,
            next_review_on__gt=today,
        )
    )


def _last_decision_at() -> Subquery:
    return Subquery(
        RetentionDecision.objects.filter(subject_id=OuterRef("pk"))
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )


# --- Holds: reasons a record due for review must not be deleted yet -------------------------


@dataclass(frozen=True)
class Hold:
    """A reason to keep a record whatever its age. `annotate(queryset, today)` adds the boolean
    `hold_<key>`; `describe(record)` says what holds it, in the manager's words."""

    key: str
    annotate: Callable[[QuerySet, datetime.date], QuerySet]
    describe: Callable[[object], str]


def _flag(condition) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _licence_running(queryset, today):
    running = Licence.objects.filter(participant=OuterRef("pk")).filter(
        Q(ends_on__gte=today) | Q(sentence_expiry_on__gte=today)
    )
    return queryset.annotate(hold_licence=Exists(running))


def _ended_while_recalled(queryset, today):
    last_move = (
        StageChange.objects.filter(participant=OuterRef("pk"))
        .exclude(kind=StageChange.Kind.ENDED)
        .order_by("-effective_on", "-recorded_at")
        .values("kind")[:1]
    )
    return queryset.annotate(last_move_before_end=Subquery(last_move)).annotate(
        hold_recall=_flag(Q(last_move_before_end=StageChange.Kind.RECALLED))
    )


def _mappa_managed(queryset, today):
    # MAPPA records are kept until the man's 100th birthday.
    return queryset.annotate(
        hold_mappa=_flag(~Q(mappa_level="") & Q(date_of_birth__gt=years_before(today, 100)))
    )


_PARTICIPANT_HOLDS: list[Hold] = [
    Hold(
        "licence",
        _licence_running,
        lambda p: "His licence or sentence has not expired by the dates on his record",
    ),
    Hold(
        "recall",
        _ended_while_recalled,
        lambda p: "His case ended while he was recalled to custody",
    ),
    Hold(
        "mappa",
        _mappa_managed,
        lambda p: (
            f"MAPPA level {p.mappa_level} at his last risk assessment: MAPPA records "
            "are kept until his 100th birthday"
        ),
    ),
]


def register_hold(hold: Hold) -> None:
    """Other apps add reasons to keep a man's record (e.g. a report about him in progress)."""
    if all(existing.key != hold.key for existing in _PARTICIPANT_HOLDS):
        _PARTICIPANT_HOLDS.append(hold)


def _referred_again(queryset, today):
    same_man = Q()
    for field in ("prison_number", "crn", "pnc_number", "nhs_number"):
        same_man |= Q(**{field: OuterRef(field)}) & ~Q(**{field: ""})
    later = (
        Referral.objects.filter(service_id=OuterRef("service_id"))
        .filter(received_on__gte=OuterRef("received_on"))
        .exclude(pk=OuterRef("pk"))
        .filter(same_man)
    )
    return queryset.annotate(hold_referred_again=Exists(later))


_REFERRAL_HOLDS: list[Hold] = [
    Hold(
        "referred_again",
        _referred_again,
        lambda r: "He was referred to the service again later",
    ),
]


def _with_holds(queryset: QuerySet, holds: list[Hold], today: datetime.date) -> QuerySet:
    for hold in holds:
        queryset = hold.annotate(queryset, today)
    return queryset


def _described(records, holds: list[Hold], how_ended: Callable) -> list:
    """Each record with `holds` (what stops its deletion, in words) and `how_ended`."""
    for record in records:
        record.holds = [
            hold.describe(record) for hold in holds if getattr(record, f"hold_{hold.key}")
        ]
        record.how_ended = how_ended(record)
    return records


# --- Who is due for review --------------------------------------------------------------------


def _participants_due(participants: QuerySet, today: datetime.date) -> QuerySet:
    """The rule itself: ended before the cutoff, nothing recorded since, not kept for now."""
    cutoff = review_cutoff(today)
    recorded_since = TimelineEvent.objects.filter(
        participant=OuterRef("pk"), occurred_at__gte=_start_of(cutoff)
    )
    return participants.filter(
        ~Exists(recorded_since), _not_kept(today), stage=Stage.ENDED, stage_since__lt=cutoff
    )


def participants_due_for_review(participants: QuerySet, today: datetime.date) -> QuerySet:
    """Of `participants` (already scoped to the user), those due for review, oldest first,
    each with `last_activity`, `ending`, `last_decision_at` and a `hold_<key>` per hold."""
    last_activity = (
        TimelineEvent.objects.filter(participant=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    ending = (
        StageChange.objects.filter(participant=OuterRef("pk"), kind=StageChange.Kind.ENDED)
        .order_by("-effective_on", "-recorded_at")
        .values("ending")[:1]
    )
    due = _participants_due(participants, today).annotate(
        last_activity=Subquery(last_activity),
        ending=Subquery(ending),
        last_decision_at=_last_decision_at(),
    )
    return _with_holds(due, _PARTICIPANT_HOLDS, today).order_by(
        "stage_since", "family_name", "given_name"
    )


def _referrals_due(referrals: QuerySet, today: datetime.date) -> QuerySet:
    return referrals.filter(
        _not_kept(today),
        status__in=(Referral.Status.DECLINED, Referral.Status.WITHDRAWN),
        participant__isnull=True,
        decided_on__lt=review_cutoff(today),
    )


def referrals_due_for_review(referrals: QuerySet, today: datetime.date) -> QuerySet:
    """Of `referrals` (already scoped), those declined or withdrawn more than the period ago."""
    due = _referrals_due(referrals, today).annotate(last_decision_at=_last_decision_at())
    return _with_holds(due, _REFERRAL_HOLDS, today).order_by(
        "decided_on", "family_name", "given_name"
    )


def due_for_review_count(user, today: datetime.date) -> int:
    """How many records of the services this user manages are due for review: men and
    referrals counted together in one query (the count needs the rule only, not the holds
    and descriptions the list shows)."""
    men = _participants_due(participants_for_retention_review(user), today)
    referrals = _referrals_due(referrals_for_retention_review(user), today)
    return (
        men.values_list(Value(1))
        .order_by()
        .union(referrals.values_list(Value(1)).order_by(), all=True)
        .count()
    )


def decisions_on(record_id) -> list[RetentionDecision]:
    """Earlier reviews of one record, newest first."""
    return list(
        RetentionDecision.objects.filter(subject_id=record_id)
        .select_related("decided_by")
        .order_by("-decided_at")
    )


def with_holds_described(participants) -> list[Participant]:
    return _described(list(participants), _PARTICIPANT_HOLDS, ending_label)


def referrals_with_holds_described(referrals) -> list[Referral]:
    return _described(list(referrals), _REFERRAL_HOLDS, referral_ending_label)


def participant_due(participant: Participant, today: datetime.date) -> Participant | None:
    """This man, annotated and with `holds`, if his record is due for review; else None."""
    found = list(participants_due_for_review(Participant.objects.filter(pk=participant.pk), today))
    return with_holds_described(found)[0] if found else None


def referral_due(referral: Referral, today: datetime.date) -> Referral | None:
    found = list(referrals_due_for_review(Referral.objects.filter(pk=referral.pk), today))
    return referrals_with_holds_described(found)[0] if found else None


def ending_label(participant: Participant) -> str:
    """How his involvement ended, e.g. "Completed" (from the last "ended" move)."""
    ending = getattr(participant, "ending", "") or ""
    return StageChange.Ending(ending).label if ending in StageChange.Ending.values else "Ended"


def referral_ending_label(referral: Referral) -> str:
    if referral.status == Referral.Status.DECLINED:
        category = referral.get_decline_category_display()
        return f"Referral declined: {category}" if category else "Referral declined"
    return "Referral withdrawn"


def latest_activity_date(participant: Participant) -> datetime.date:
    """The later of the end of his involvement and the last thing recorded about him."""
    last = getattr(participant, "last_activity", None)
    last_day = timezone.localdate(last) if last else participant.stage_since
    return max(participant.stage_since, last_day)


# --- What deleting a record removes -----------------------------------------------------------


@dataclass(frozen=True)
class RecordEraser:
    """What one app holds about a man. `count(participant)` gives (kind of record, number) for
    the confirmation page and the decision; `erase(participant)` deletes those rows and their
    change history, inside the caller's transaction, before his own record goes."""

    app: str
    count: Callable[[Participant], list[tuple[str, int]]]
    erase: Callable[[Participant], None]
    history_count: Callable[[Participant], int]


_ERASERS: list[RecordEraser] = []


def register_eraser(eraser: RecordEraser) -> None:
    if all(existing.app != eraser.app for existing in _ERASERS):
        _ERASERS.append(eraser)


def erasers() -> list[RecordEraser]:
    from . import erasure

    return [*_ERASERS, erasure.PARTICIPANTS_ERASER]


def deletion_summary(participant: Participant) -> dict:
    """What deleting his record would remove: kinds of record with their numbers (non-zero
    only) and the number of earlier versions in the change history."""
    counts: dict[str, int] = {}
    versions = 0
    # His own record's kinds first, as a reader expects; erasing runs in the other order.
    ordered = erasers()
    for eraser in [ordered[-1], *ordered[:-1]]:
        for label, number in eraser.count(participant):
            if number:
                counts[label] = counts.get(label, 0) + number
        versions += eraser.history_count(participant)
    return {"counts": counts, "versions": versions}


def referral_deletion_summary(referral: Referral) -> dict:
    return {"counts": {"referral": 1}, "versions": Referral.history.filter(id=referral.pk).count()}
