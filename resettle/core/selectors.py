"""What each role's home page shows first. Apps add panels here as they land."""

from django.db.models import Count

from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import Role


def home_panels(*, user, role: str | None) -> dict:
    if role == Role.ADMINISTRATOR:
        return {
            "staff_count": User.objects.filter(is_active=True).count(),
            "roles_by_service": list(
                Membership.objects.values("service__name", "role")
                .annotate(people=Count("user"))
                .order_by("service__name", "role")
            ),
        }
    if role == Role.COMMISSIONER:
        service_ids = {m.service_id for m in user.memberships.all()}
        return {"services": list(Service.objects.filter(pk__in=service_ids))}
    return {}
