from .accounts import MembershipFactory, ServiceFactory, UserFactory, staff_member
from .participants import (
    ParticipantFactory,
    ReferralFactory,
    accepted_participant,
    allocate_team,
    days_ago,
)

__all__ = [
    "MembershipFactory",
    "ParticipantFactory",
    "ReferralFactory",
    "ServiceFactory",
    "UserFactory",
    "accepted_participant",
    "allocate_team",
    "days_ago",
    "staff_member",
]
