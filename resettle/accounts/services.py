"""Changes to staff accounts and memberships. Each keeps the user's role groups in step."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Membership, Service, User
from .roles import FIXED_AGENCY, Role, group_name


def sync_user_role_groups(user: User) -> None:
    roles = set(user.memberships.values_list("role", flat=True))
    wanted = Group.objects.filter(name__in=[group_name(role) for role in roles])
    role_group_names = [group_name(role) for role in Role]
    user.groups.remove(*user.groups.filter(name__in=role_group_names).exclude(pk__in=wanted))
    user.groups.add(*wanted)
    is_admin = Role.ADMINISTRATOR in roles
    if user.is_staff != is_admin and not user.is_superuser:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


@transaction.atomic
def grant_membership(*, user: User, service: Service, role: str, agency: str = "") -> Membership:
    """Give `user` the `role` in `service` (replacing any role they had there)."""
    agency = FIXED_AGENCY.get(role, agency) or "probation"
    membership, _ = Membership.objects.update_or_create(
        user=user, service=service, defaults={"role": role, "agency": agency}
    )
    sync_user_role_groups(user)
    return membership


@transaction.atomic
def revoke_membership(*, membership: Membership) -> None:
    user = membership.user
    membership.delete()
    sync_user_role_groups(user)


@transaction.atomic
def create_staff_account(
    *, email: str, full_name: str, password: str | None, memberships: list[tuple[Service, str, str]]
) -> User:
    user = User.objects.create_user(email=email, full_name=full_name, password=password)
    for service, role, agency in memberships:
        grant_membership(user=user, service=service, role=role, agency=agency)
    return user
