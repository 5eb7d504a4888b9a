import pytest

from resettle import access
from resettle.accounts.roles import Role, group_name
from resettle.accounts.services import grant_membership, revoke_membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_roles_are_seeded_with_their_permissions_by_migration():
    from django.contrib.auth.models import Group

    admin_group = Group.objects.get(name=group_name(Role.ADMINISTRATOR))
    codenames = set(admin_group.permissions.values_list("codename", flat=True))
    assert {"add_user", "change_user", "change_membership"} <= codenames
    assert Group.objects.filter(name__in=[r.label for r in Role]).count() == len(Role)


def test_granting_a_role_puts_the_person_in_its_group(service):
    user = UserFactory()
    grant_membership(user=user, service=service, role=Role.OFFENDER_MANAGER)
    assert list(user.groups.values_list("name", flat=True)) == ["Offender manager"]
    membership = user.memberships.get()
    assert membership.agency == "probation"


def test_changing_a_role_replaces_the_old_group(service):
    user = UserFactory()
    grant_membership(user=user, service=service, role=Role.OFFENDER_MANAGER)
    grant_membership(user=user, service=service, role=Role.SERVICE_MANAGER, agency="health")
    assert list(user.groups.values_list("name", flat=True)) == ["Service manager"]
    assert user.memberships.count() == 1


def test_the_administrator_role_does_not_open_the_admin_site(service):
    user = UserFactory()
    membership = grant_membership(user=user, service=service, role=Role.ADMINISTRATOR)
    user.refresh_from_db()
    assert not user.is_staff  # Django's admin is the emergency superuser's alone
    assert list(user.groups.values_list("name", flat=True)) == ["Administrator"]
    revoke_membership(membership=membership)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()


def test_role_changes_are_kept_in_history(service):
    user = UserFactory()
    grant_membership(user=user, service=service, role=Role.OFFENDER_MANAGER)
    grant_membership(user=user, service=service, role=Role.SERVICE_MANAGER)
    roles = list(
        user.memberships.get().history.order_by("history_date").values_list("role", flat=True)
    )
    assert roles == ["offender_manager", "service_manager"]


def test_people_see_only_the_services_they_belong_to(personas, service, other_service):
    assert access.service_ids_for(personas["keyworker"], Role) == {service.pk}
    assert access.service_ids_for(personas["outsider"], Role) == {other_service.pk}
