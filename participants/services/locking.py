"""What every change to a man's case starts with: the lock on his row, the check under that
lock that the actor may still make the change, and the refusals the domains share (a record
saved by someone else meanwhile, a date in the future)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from resettle import access
from resettle.accounts.models import User

from ..access import may_change
from ..models import Participant


class StaleVersion(ValidationError):
    """Someone else saved this record after it was opened: the edit would overwrite theirs."""


def not_in_future(day: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(f"{what} must be today or in the past", code="future")


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
