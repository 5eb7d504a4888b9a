"""Who made a change, wherever it was made.

In web requests django-simple-history takes the signed-in user from its middleware. Celery
tasks and management commands have no request, so they run their work inside `acting_as`,
naming the person who asked for it or, for scheduled work, the system account.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import wraps
from types import SimpleNamespace

from simple_history.models import HistoricalRecords

SYSTEM_ACCOUNT_EMAIL = "system@resettle.invalid"


def system_account():
    """The inactive account that automated work (schedules, maintenance) is recorded as."""
    from resettle.accounts.models import User

    user, _ = User.objects.get_or_create(
        email=SYSTEM_ACCOUNT_EMAIL,
        defaults={"full_name": "Resettle system (automated task)", "is_active": False},
    )
    return user


class _Actor(SimpleNamespace):
    """Stands in for a request so that simple-history records `user` as the author."""


@contextmanager
def acting_as(user) -> Iterator[None]:
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = _Actor(user=user)
    try:
        yield
    finally:
        if previous is None:
            with suppress(AttributeError):
                del context.request
        else:
            context.request = previous


def records_actor(service: Callable) -> Callable:
    """Decorator for service functions: history rows they write name their `actor`."""

    @wraps(service)
    def wrapper(*args, **kwargs):
        actor = kwargs.get("actor")
        if actor is None:
            return service(*args, **kwargs)
        with acting_as(actor):
            return service(*args, **kwargs)

    return wrapper


# --- Access log: every view of a participant's record ----------------------------------------

_current_request: ContextVar = ContextVar("resettle_current_request", default=None)


class CurrentRequestMiddleware:
    """Makes the request available to `log_record_access` without passing it everywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def _client_address(request) -> str | None:
    # Read through the trusted proxies only, the same address the sign-in lockout counts.
    from resettle.core.security import client_address

    return client_address(request)


def current_client_address() -> str | None:
    """The address of the request being served, if any (None in tasks and commands)."""
    request = _current_request.get()
    return _client_address(request) if request is not None else None


def log_record_access(*, user, participant_id, allowed: bool, role: str = "") -> None:
    """Record that `user` opened (or was refused) a participant's record on this request."""
    from resettle.core.models import AccessLog

    request = _current_request.get()
    if request is None or not getattr(user, "is_authenticated", False):
        return
    logged = request.__dict__.setdefault("_logged_participants", set())
    if (participant_id, allowed) in logged:
        return
    logged.add((participant_id, allowed))
    match = getattr(request, "resolver_match", None)
    AccessLog.objects.create(
        user=user,
        role=role,
        participant_id=participant_id,
        page=request.get_full_path()[:300],
        view_name=(match.view_name if match else "")[:100],
        ip_address=_client_address(request),
        allowed=allowed,
    )
