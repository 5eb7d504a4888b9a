"""Who made a change, wherever it was made.

In web requests django-simple-history takes the signed-in user from its middleware. Celery
tasks and management commands have no request, so they run their work inside `acting_as`,
naming the person who asked for it or, for scheduled work, the system account.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
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
