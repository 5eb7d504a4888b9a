from django.conf import settings

from resettle import access

from .navigation import marking_for, navigation_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "service_name": settings.SERVICE_NAME,
            "nav_items": [],
            "security_marking": marking_for(None),
        }
    return {
        "service_name": settings.SERVICE_NAME,
        # The idle sign-out warning (templates/includes/timeout_warning.html).
        "idle_seconds": settings.SESSION_COOKIE_AGE,
        "idle_minutes": max(1, settings.SESSION_COOKIE_AGE // 60),
        "nav_items": navigation_for(user, request.path),
        "my_memberships": access.memberships_of(user),
        "security_marking": marking_for(user),
    }
