"""Who is kept out of his record and who is let in for a while: exclusions, and break-glass
(temporary access with a reason, ended by itself or by a manager)."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from resettle import access
from resettle.accounts.models import User
from resettle.audit import records_actor

from ..access import may_ask_temporary_access
from ..models import Participant
from ..timeline import record_event
from .locking import lock_participant

MAX_TEMPORARY_ACCESS_HOURS = 72


@records_actor
@transaction.atomic
def exclude_staff(*, participant: Participant, staff: User, reason: str, actor: User):
    """Keep a member of staff out of his record: he vanishes from their lists and searches."""
    from ..models import Exclusion

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
    from ..models import TemporaryAccess

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
