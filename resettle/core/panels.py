"""The home panels that belong to no case app: the administrator's overview."""

from django.db.models import Count

from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import Role

from .home import register_panel


def administrator_overview(access, role) -> dict:
    return {
        "staff_count": User.objects.filter(is_active=True).count(),
        "roles_by_service": list(
            Membership.objects.values("service__name", "role")
            .annotate(people=Count("user"))
            .order_by("service__name", "role")
        ),
    }


def commissioned_services(access, role) -> dict:
    return {"services": list(Service.objects.filter(pk__in=access.service_ids([role])))}


def register() -> None:
    register_panel("administrator_overview", [Role.ADMINISTRATOR], administrator_overview)
    register_panel("commissioned_services", [Role.COMMISSIONER], commissioned_services, 10)
