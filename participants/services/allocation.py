"""His team: allocating an offender manager, health keyworker or psychologist, one role at a
time or the whole team at once; change rights move in the same commit."""

import datetime
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from resettle import access
from resettle.accounts.models import User
from resettle.accounts.roles import ALLOCATABLE_ROLES, Role
from resettle.audit import records_actor

from ..models import Allocation, Participant
from ..timeline import record_event
from .locking import lock_participant, not_in_future


def _a(noun: str) -> str:
    """ "an offender manager", "a psychologist"."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


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
    not_in_future(started_on, "The allocation date")
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
