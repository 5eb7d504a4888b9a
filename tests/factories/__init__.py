from .accounts import MembershipFactory, ServiceFactory, UserFactory, staff_member
from .participants import (
    ParticipantFactory,
    ReferralFactory,
    accepted_participant,
    allocate_team,
    days_ago,
)
from .sessions import AttendanceFactory, SessionFactory, SessionNoteFactory

__all__ = [
    "AttendanceFactory",
    "MembershipFactory",
    "ParticipantFactory",
    "ReferralFactory",
    "ServiceFactory",
    "SessionFactory",
    "SessionNoteFactory",
    "UserFactory",
    "accepted_participant",
    "allocate_team",
    "days_ago",
    "staff_member",
]
