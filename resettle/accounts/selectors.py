"""Reads about staff accounts: the account log, as each person may see it."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import formats, timezone

from resettle.access import service_ids_for

from .models import AccountEvent, User
from .roles import Role

# Who reads a service's account log: its administrators and its service managers.
ACCOUNT_LOG_ROLES = (Role.ADMINISTRATOR, Role.SERVICE_MANAGER)
ACCOUNT_LOG_PAGE_SIZE = 50

# Changes someone else made that the person is told about at their next sign-in.
TOLD_AT_SIGN_IN = {
    AccountEvent.Kind.ROLE_GIVEN: "You were given a role ({detail}) by {actor} on {when}.",
    AccountEvent.Kind.ROLE_CHANGED: "Your role was changed ({detail}) by {actor} on {when}.",
    AccountEvent.Kind.ROLE_REMOVED: "A role of yours ({detail}) was removed by {actor} on {when}.",
    AccountEvent.Kind.SET_UP_CODE_ISSUED: (
        "A set-up code ({detail}) was issued for your account by {actor} on {when}."
    ),
    AccountEvent.Kind.TWO_FACTOR_RESET: "Your two-factor sign-in was reset by {actor} on {when}.",
    AccountEvent.Kind.UNLOCKED: "Your sign-in was unlocked by {actor} on {when}.",
}


def account_log_service_ids(viewer) -> set[int]:
    return set(service_ids_for(viewer, ACCOUNT_LOG_ROLES))


def account_log_for(viewer) -> QuerySet[AccountEvent]:
    """The account log of the services where `viewer` is an administrator or service manager."""
    return (
        AccountEvent.objects.filter(service_id__in=account_log_service_ids(viewer))
        .select_related("actor", "subject", "service")
        .order_by("-at")
    )


def changes_to_tell(user: User, since: datetime.datetime | None) -> list[str]:
    """What others changed on `user`'s account since `since` (their previous sign-in), once
    each even where the change was logged for several services."""
    events = (
        AccountEvent.objects.filter(subject=user, kind__in=list(TOLD_AT_SIGN_IN))
        .exclude(actor=user)
        .select_related("actor")
        .order_by("at")
    )
    if since is not None:
        events = events.filter(at__gt=since)
    told, seen = [], set()
    for event in events[:20]:
        when = formats.date_format(timezone.localtime(event.at), "j F Y \\a\\t H:i")
        words = TOLD_AT_SIGN_IN[event.kind].format(
            detail=event.detail or event.get_kind_display().lower(),
            actor=event.actor.full_name if event.actor else "the system",
            when=when,
        )
        if words not in seen:
            seen.add(words)
            told.append(words)
    return told
