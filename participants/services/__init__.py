"""Every change to referrals, participants, stages, licences, allocations and needs.

Each function is atomic, names its actor, and records the timeline event in the same
transaction. Rules that refuse a change raise ValidationError with a message for the user.

One module per domain; callers import from here (`from participants import services`):

- locking: the lock on his row every change takes first, the check under it that the actor
  may still change his record, and the shared refusals (StaleVersion, NoLongerAllowed)
- referrals: recording, assessing and deciding referrals; acceptance makes the participant
- details: his details and identifiers, contacts, goals, licence, pathway needs, outcomes
- stages: moves between stages (recall and re-release included), the release-day plan
- allocation: his team, one role at a time or all at once
- exclusions: exclusions from his record and break-glass (temporary access)
- retention_review: keeping or deleting a record due for its retention review
"""

from .allocation import allocate, allocate_team
from .details import (
    record_outcome_snapshot,
    remove_contact,
    save_condition,
    save_contact,
    save_goal,
    save_licence,
    set_pathway_need,
    update_participant,
)
from .exclusions import (
    MAX_TEMPORARY_ACCESS_HOURS,
    end_temporary_access,
    exclude_staff,
    grant_temporary_access,
    lift_exclusion,
)
from .locking import (
    NoLongerAllowed,
    StaleVersion,
    lock_for_change,
    lock_participant,
    not_in_future,
)
from .referrals import (
    IDENTIFIER_FIELDS,
    IDENTIFIER_LABELS,
    accept_referral,
    create_referral,
    decline_referral,
    duplicate_of,
    start_assessment,
    withdraw_referral,
)
from .retention_review import (
    NOT_DUE_MESSAGE,
    delete_participant_record,
    delete_referral_record,
    keep_participant_record,
    keep_referral_record,
)
from .stages import IMPOSSIBLE_MOVE_HINTS, MOVES, change_stage, moves_available, save_release_plan

__all__ = [
    "IDENTIFIER_FIELDS",
    "IDENTIFIER_LABELS",
    "IMPOSSIBLE_MOVE_HINTS",
    "MAX_TEMPORARY_ACCESS_HOURS",
    "MOVES",
    "NOT_DUE_MESSAGE",
    "NoLongerAllowed",
    "StaleVersion",
    "accept_referral",
    "allocate",
    "allocate_team",
    "change_stage",
    "create_referral",
    "decline_referral",
    "delete_participant_record",
    "delete_referral_record",
    "duplicate_of",
    "end_temporary_access",
    "exclude_staff",
    "grant_temporary_access",
    "keep_participant_record",
    "keep_referral_record",
    "lift_exclusion",
    "lock_for_change",
    "lock_participant",
    "moves_available",
    "not_in_future",
    "record_outcome_snapshot",
    "remove_contact",
    "save_condition",
    "save_contact",
    "save_goal",
    "save_licence",
    "save_release_plan",
    "set_pathway_need",
    "start_assessment",
    "update_participant",
    "withdraw_referral",
]
