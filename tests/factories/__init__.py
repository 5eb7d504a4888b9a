from .accounts import MembershipFactory, ServiceFactory, UserFactory, staff_member

__all__ = ["MembershipFactory", "ServiceFactory", "UserFactory", "staff_member"]
