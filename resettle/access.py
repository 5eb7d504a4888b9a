"""The one place that answers "may this user see or do this?".

Views never check roles or services themselves: they call these helpers. Lists are scoped
with joins through service membership (one queryset, never a check per row); per-object
questions ("may this user change this participant?") are answered once per request.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from resettle.accounts.models import Membership
from resettle.accounts.roles import Role

_MEMBERSHIP_CACHE = "_resettle_memberships"


def memberships_of(user) -> list[Membership]:
    """The user's memberships with their services, read once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, _MEMBERSHIP_CACHE, None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("service"))
        setattr(user, _MEMBERSHIP_CACHE, cached)
    return cached


def forget_memberships(user) -> None:
    if hasattr(user, _MEMBERSHIP_CACHE):
        delattr(user, _MEMBERSHIP_CACHE)


def roles_of(user) -> set[str]:
    return {membership.role for membership in memberships_of(user)}


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(roles_of(user) & set(roles))


def service_ids_for(user, roles: Iterable[str]) -> set[int]:
    """Services in which the user holds one of `roles`."""
    wanted = set(roles)
    return {m.service_id for m in memberships_of(user) if m.role in wanted}


def role_in_service(user, service_id: int) -> str | None:
    for membership in memberships_of(user):
        if membership.service_id == service_id:
            return membership.role
    return None


def agency_in_service(user, service_id: int) -> str | None:
    for membership in memberships_of(user):
        if membership.service_id == service_id:
            return membership.agency
    return None


# The role whose home page a person sees first when they hold several.
HOME_ROLE_PRECEDENCE = (
    Role.SERVICE_MANAGER,
    Role.OFFENDER_MANAGER,
    Role.HEALTH_KEYWORKER,
    Role.PSYCHOLOGIST,
    Role.CRISIS_LINE_WORKER,
    Role.COMMISSIONER,
    Role.ADMINISTRATOR,
)


def primary_role(user) -> str | None:
    held = roles_of(user)
    for role in HOME_ROLE_PRECEDENCE:
        if role in held:
            return role
    return None


def role_required(*roles: str) -> Callable:
    """Decorator: signed in (else to the login page) and holding one of `roles` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, roles):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)
        return wrapper

    return decorator
