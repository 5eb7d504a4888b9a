"""What this app holds about a man, for a retention deletion (see retention.py).

It runs last, after the other apps have removed their rows: his record itself goes, with
everything that cascades from it, then his referral, then every saved version of them in the
change history (otherwise the deletion would leave a full copy behind).
"""

from .models import (
    Allocation,
    Contact,
    Exclusion,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
    Referral,
    ReleasePlan,
    StageChange,
    TemporaryAccess,
    TimelineEvent,
)
from .retention import RecordEraser

# Kinds of record that point straight at him, as the confirmation page names them.
OWN_RECORDS = (
    ("moves between stages", StageChange),
    ("release-day plans", ReleasePlan),
    ("licences", Licence),
    ("team allocations", Allocation),
    ("contacts", Contact),
    ("goals", Goal),
    ("pathway needs", PathwayNeed),
    ("outcome records", OutcomeSnapshot),
    ("exclusions from his record", Exclusion),
    ("temporary access grants", TemporaryAccess),
)


def _referral_history(participant_id):
    # Versions before acceptance have no participant: follow the referral's own id.
    ids = Referral.history.filter(participant_id=participant_id).values("id")
    return Referral.history.filter(id__in=ids)


def _history(participant_id) -> list:
    """His rows in every history table of this app, children before the tables they name."""
    return [
        LicenceCondition.history.filter(
            licence_id__in=Licence.history.filter(participant_id=participant_id).values("id")
        ),
        *(model.history.filter(participant_id=participant_id) for _label, model in OWN_RECORDS),
        _referral_history(participant_id),
        Participant.history.filter(id=participant_id),
    ]


def count(participant: Participant) -> list[tuple[str, int]]:
    rows = [("referral", Referral.objects.filter(participant=participant).count())]
    for label, model in OWN_RECORDS:
        rows.append((label, model.objects.filter(participant=participant).count()))
    rows.append(
        (
            "licence conditions",
            LicenceCondition.objects.filter(licence__participant=participant).count(),
        )
    )
    rows.append(("timeline entries", TimelineEvent.objects.filter(participant=participant).count()))
    return rows


def history_count(participant: Participant) -> int:
    return sum(rows.count() for rows in _history(participant.pk))


def erase(participant: Participant) -> None:
    participant_id = participant.pk
    referral_ids = list(
        Referral.objects.filter(participant=participant).values_list("pk", flat=True)
    )
    Participant.objects.filter(pk=participant_id).delete()
    Referral.objects.filter(pk__in=referral_ids).delete()
    # Deleting wrote one more ("deleted") version of each row: these go with the rest.
    for rows in _history(participant_id):
        rows.delete()


def erase_referral(referral: Referral) -> None:
    """A referral that never became a participant's record, and all its versions."""
    referral_id = referral.pk
    Referral.objects.filter(pk=referral_id).delete()
    Referral.history.filter(id=referral_id).delete()


PARTICIPANTS_ERASER = RecordEraser(
    app="participants", count=count, erase=erase, history_count=history_count
)
