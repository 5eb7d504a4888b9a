from django.conf import settings

from resettle import access

from .navigation import navigation_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"service_name": settings.SERVICE_NAME, "nav_items": []}
    return {
        "service_name": settings.SERVICE_NAME,
        "nav_items": navigation_for(user, request.path),
        "my_memberships": access.memberships_of(user),
    }
