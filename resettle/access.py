"""The cross-cutting access primitives: who is asking, and the rules every app shares.

Each app owns the access to its own records (`participants/access.py`, `sessions/access.py`,
…): a `visible_to(access)` queryset method for lists and one fetch-and-check helper per model
with an Enum of the app's actions. What they all build on lives here:

- `Access`, the per-request view of the person asking: their memberships (service, role,
  agency) and whether they are excluded from anyone's record, read once, in one query, the
  first time a page needs them. `AccessMiddleware` makes one per request (`request.access`);
  nothing is cached on model instances.
- The two rules about one man that every app asks: is this person excluded from his record,
  and are they in his team now (allocated, or holding break-glass access)? The app that keeps
  those records (participants) registers how to answer them (`register_record_rules`), so
  nothing in `resettle/` imports an app's models, and every list and every object check of
  every app uses the same two expressions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from resettle.accounts.models import Membership
from resettle.accounts.roles import CASE_ROLES, Role

# --- The rules the records app registers ------------------------------------------------


@dataclass(frozen=True)
class RecordRules:
    """How the app that keeps the men's records answers the questions every app asks.

    `active_exclusions(user_id)`: that person's exclusions in force, as a queryset with a
    `participant_id` column. `team(user_id, participant_ref)`: an expression true when that
    person is in the team of the man `participant_ref` points to (allocated now, or holding
    break-glass access that has not ended). `participant_service(pk)`: his service, or None.
    """

    active_exclusions: Callable[[uuid.UUID | None], QuerySet]
    team: Callable[[uuid.UUID | None, Any], Q]
    participant_service: Callable[[Any], int | None]


_rules: list[RecordRules] = []


def register_record_rules(rules: RecordRules) -> None:
    _rules[:] = [rules]


def record_rules() -> RecordRules:
    if not _rules:  # pragma: no cover - the participants app registers them in ready()
        raise RuntimeError("No app has registered the record rules (is participants installed?)")
    return _rules[0]


class ExcludedFromRecord(PermissionDenied):
    """The person has been excluded from this man's record (the 403 page says so)."""


# --- Who is asking ------------------------------------------------------------------------

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


class Access:
    """One person's rights for the length of one request (or one task), read once.

    Built cheaply; the memberships are read the first time something asks, with whether the
    person is excluded from anyone's record in the same query, so the lists of the many who
    are not carry no exclusion condition at all. Answers about one man's team are kept here
    too (`team_answers`), never on the participant instance.
    """

    def __init__(self, user) -> None:
        self.user = user
        self._memberships: list[Membership] | None = None
        self.team_answers: dict[Any, bool] = {}

    def __repr__(self) -> str:
        return f"<Access of user {self.user_id}>"

    @property
    def user_id(self) -> uuid.UUID | None:
        return getattr(self.user, "pk", None)

    @property
    def is_active(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False) and self.user.is_active)

    @property
    def memberships(self) -> list[Membership]:
        if not self.is_active:
            return []
        if self._memberships is None:
            self._memberships = list(
                Membership.objects.filter(user=self.user)
                .select_related("service")
                .annotate(
                    user_has_exclusions=Exists(record_rules().active_exclusions(self.user_id))
                )
            )
        return self._memberships

    def forget(self) -> None:
        """Read again at the next question (after a change to their memberships or exclusions)."""
        self._memberships = None
        self.team_answers.clear()

    # Roles and services.
    @property
    def roles(self) -> set[str]:
        return {membership.role for membership in self.memberships}

    def has_role(self, roles: Iterable[str]) -> bool:
        return bool(self.roles & set(roles))

    def service_ids(self, roles: Iterable[str] = CASE_ROLES) -> set[int]:
        """Services in which they hold one of `roles`."""
        wanted = set(roles)
        return {m.service_id for m in self.memberships if m.role in wanted}

    def services(self, roles: Iterable[str] = CASE_ROLES) -> list:
        wanted = set(roles)
        return [m.service for m in self.memberships if m.role in wanted]

    @property
    def all_service_ids(self) -> set[int]:
        return {m.service_id for m in self.memberships}

    def role_in(self, service_id: int | None) -> str | None:
        for membership in self.memberships:
            if membership.service_id == service_id:
                return membership.role
        return None

    def agency_in(self, service_id: int | None) -> str | None:
        for membership in self.memberships:
            if membership.service_id == service_id:
                return membership.agency
        return None

    def is_manager_of(self, service_id: int | None) -> bool:
        return self.role_in(service_id) == Role.SERVICE_MANAGER

    @property
    def primary_role(self) -> str | None:
        held = self.roles
        return next((role for role in HOME_ROLE_PRECEDENCE if role in held), None)

    # Exclusions.
    @property
    def has_exclusions(self) -> bool:
        """Whether they are kept out of anyone's record. With no memberships (nothing to list
        anyway) assumed so, and the condition is applied."""
        memberships = self.memberships
        # user_has_exclusions is the annotation `memberships` adds.
        return not memberships or memberships[0].user_has_exclusions  # type: ignore[attr-defined]

    def without_exclusions(self, queryset: QuerySet, participant_field: str = "pk") -> QuerySet:
        """Narrow a queryset of men, or of records about them (`participant_field`, e.g.
        "participant_id"), to the men they are not excluded from: never listed, found or
        counted. One subquery where they have exclusions; no condition where they have none."""
        if not self.has_exclusions:
            return queryset
        excluded = record_rules().active_exclusions(self.user_id).values("participant_id")
        return queryset.exclude(**{f"{participant_field}__in": excluded})

    def excluded_ids(self) -> set:
        """The men they are excluded from (no query for the many who have no exclusion)."""
        if not self.has_exclusions:
            return set()
        rules = record_rules()
        return set(rules.active_exclusions(self.user_id).values_list("participant_id", flat=True))

    def is_excluded_from(self, participant_pk) -> bool:
        if not self.has_exclusions or participant_pk is None:
            return False
        return (
            record_rules()
            .active_exclusions(self.user_id)
            .filter(participant_id=participant_pk)
            .exists()
        )

    def is_excluded_in_own_service(self, participant_pk) -> bool:
        """Told "you are excluded" only about a man of their own services; others stay 404."""
        if not is_uuid(participant_pk) or not self.is_excluded_from(participant_pk):
            return False
        return record_rules().participant_service(participant_pk) in self.all_service_ids

    # His team.
    def in_team(self, participant_ref: str = "pk") -> Q:
        """True for the men whose team they are in now: allocated, or holding break-glass
        access that has not ended. The one rule, for lists and object checks alike."""
        return record_rules().team(self.user_id, OuterRef(participant_ref))

    def is_in_team(self, participant, known: bool | None = None) -> bool:
        """The same rule for one man, answered once per request (`known`: the answer read with
        him, by annotating `in_team()` on the query that fetched him)."""
        if not self.is_active:
            return False
        if participant.pk not in self.team_answers:
            if known is None:
                model = type(participant)
                known = model.objects.filter(self.in_team(), pk=participant.pk).exists()
            self.team_answers[participant.pk] = bool(known)
        return self.team_answers[participant.pk]


_current: ContextVar[Access | None] = ContextVar("resettle_access", default=None)


def access_for(who) -> Access:
    """The `Access` for a request, a user or an Access: the request's own one where it is the
    same person (so a page reads memberships once), else a new one (tasks, commands, tests)."""
    if isinstance(who, Access):
        return who
    request_access = getattr(who, "access", None)
    if isinstance(request_access, Access):
        return request_access
    current = _current.get()
    if current is not None and (current.user is who or _same_user(current.user, who)):
        return current
    return Access(who)


def _same_user(a, b) -> bool:
    pk_a, pk_b = getattr(a, "pk", None), getattr(b, "pk", None)
    return pk_a is not None and pk_a == pk_b and a is not None and b is not None


def forget(user) -> None:
    """After a change to someone's memberships or exclusions: the current request's answers
    about them are read again."""
    current = _current.get()
    if current is not None and _same_user(current.user, user):
        current.forget()


class AccessMiddleware:
    """Gives each request one `Access` (`request.access`), read once and thrown away after."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request.access = Access(request.user)
        token = _current.set(request.access)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


# --- Small helpers every app uses ---------------------------------------------------------


def memberships_of(user) -> list[Membership]:
    return access_for(user).memberships


def roles_of(user) -> set[str]:
    return access_for(user).roles


def has_role(user, roles: Iterable[str]) -> bool:
    return access_for(user).has_role(roles)


def service_ids_for(user, roles: Iterable[str]) -> set[int]:
    return access_for(user).service_ids(roles)


def role_in_service(user, service_id: int) -> str | None:
    return access_for(user).role_in(service_id)


def agency_in_service(user, service_id: int) -> str | None:
    return access_for(user).agency_in(service_id)


def is_service_manager_of(user, service_id: int) -> bool:
    return access_for(user).is_manager_of(service_id)


def primary_role(user) -> str | None:
    return access_for(user).primary_role


def role_required(*roles: str) -> Callable:
    """Decorator: signed in (else to the login page) and holding one of `roles` (else 403)."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not access_for(request).has_role(roles):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
