"""Who may administer whose staff account: the one home of the rules, for the Staff accounts
pages, the services that change accounts, and Django's admin alike.

- An administrator acts only on accounts of the services they administer. A change to a
  role is about one service: they must administer it. A change to the whole account (a
  set-up code, a two-factor reset, closing it, unlocking it) reaches every service the
  person works in: they must administer all of them.
- Nobody changes their own account here: not their roles, not their second factor.
- An administrator gives roles only in services they administer.
- An administrator account holds no other role, and an account with another role is never
  made an administrator: someone who is both IT and clinical has two accounts.
- The superuser kept for emergencies administers every service (in the admin site only);
  the rules about their own account apply to them too.

Each check returns None when allowed, or the reason it is refused, in words for the page.
"""

from __future__ import annotations

import enum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from resettle.access import is_uuid, service_ids_for

from .models import Membership, Service, User
from .roles import Role

SYSTEM_EMAIL_SUFFIX = "@resettle.invalid"

OWN_ACCOUNT = (
    "You cannot change your own account: your roles and your sign-in are changed by "
    "another administrator of your service."
)
NOT_ADMINISTERED = "You can only give or remove roles in services you administer."
SUPERUSER = "The emergency superuser account is changed only in the admin site."
SEPARATE_ACCOUNTS = (
    "An administrator account cannot also hold any other role. Someone who is both an "
    "administrator and a member of a team needs two accounts."
)


class AdminAction(enum.Enum):
    VIEW = "view"
    GIVE_ROLE = "give_role"
    REMOVE_ROLE = "remove_role"
    ISSUE_SET_UP_CODE = "issue_set_up_code"
    RESET_TWO_FACTOR = "reset_two_factor"
    CLOSE = "close"
    UNLOCK = "unlock"
    CHANGE_WORK_PHONE = "change_work_phone"


# Changes to the whole account: every service the person works in must be administered.
ACCOUNT_WIDE = frozenset(
    {
        AdminAction.ISSUE_SET_UP_CODE,
        AdminAction.RESET_TWO_FACTOR,
        AdminAction.CLOSE,
        AdminAction.UNLOCK,
        AdminAction.CHANGE_WORK_PHONE,
    }
)


class AccountChangeRefused(ValidationError):
    """A change the rules above refuse; nothing was changed."""


def _is_superuser(actor) -> bool:
    return bool(getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False))


def administered_service_ids(actor) -> set[int]:
    """The services whose staff accounts `actor` administers."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    if _is_superuser(actor):
        return set(Service.objects.values_list("pk", flat=True))
    return set(service_ids_for(actor, [Role.ADMINISTRATOR]))


def administered_services(actor) -> QuerySet[Service]:
    return Service.objects.filter(pk__in=administered_service_ids(actor)).order_by("name")


def staff_administered_by(actor) -> QuerySet[User]:
    """Accounts `actor` may see on the Staff accounts pages: those with a role in a service
    they administer (the superuser: every account but the system's)."""
    people = User.objects.exclude(email__endswith=SYSTEM_EMAIL_SUFFIX)
    if _is_superuser(actor):
        return people
    services = administered_service_ids(actor)
    if not services:
        return people.none()
    return people.filter(
        Exists(Membership.objects.filter(user=OuterRef("pk"), service_id__in=services))
    )


def refusal(actor, subject: User, action: AdminAction) -> str | None:
    """Why `actor` may not do `action` to `subject`'s account, or None if they may."""
    services = administered_service_ids(actor)
    subject_services = set(subject.memberships.values_list("service_id", flat=True))
    superuser = _is_superuser(actor)
    if not superuser and not (subject_services & services):
        return "This account is not in a service you administer."
    if action is AdminAction.VIEW:
        return None
    if subject.pk == getattr(actor, "pk", None):
        return OWN_ACCOUNT
    if subject.is_superuser and not superuser:
        return SUPERUSER
    if action in ACCOUNT_WIDE and not superuser:
        others = subject_services - services
        if others:
            names = ", ".join(
                Service.objects.filter(pk__in=others)
                .order_by("name")
                .values_list("name", flat=True)
            )
            return (
                f"{subject.full_name} also works in {names}, which you do not administer. "
                "A change to the whole account needs an administrator of every service they "
                "work in."
            )
    return None


def grant_refusal(actor, subject: User, service: Service, role: str) -> str | None:
    """Why `actor` may not give `subject` the `role` in `service`, or None if they may."""
    if actor is not None:
        if subject.pk is not None and subject.pk == getattr(actor, "pk", None):
            return OWN_ACCOUNT
        if service.pk not in administered_service_ids(actor):
            return NOT_ADMINISTERED
    return separation_refusal(subject, service, role)


def separation_refusal(subject: User, service: Service, role: str) -> str | None:
    """An administrator account holds no other role (one account, one purpose)."""
    if subject.pk is None:
        return None
    other_roles = set(subject.memberships.exclude(service=service).values_list("role", flat=True))
    if not other_roles:
        return None
    if role == Role.ADMINISTRATOR and other_roles - {Role.ADMINISTRATOR}:
        return SEPARATE_ACCOUNTS
    if role != Role.ADMINISTRATOR and Role.ADMINISTRATOR in other_roles:
        return SEPARATE_ACCOUNTS
    return None


def removal_refusal(actor, membership: Membership) -> str | None:
    if actor is None:
        return None
    if membership.user_id == getattr(actor, "pk", None):
        return OWN_ACCOUNT
    if membership.service_id not in administered_service_ids(actor):
        return NOT_ADMINISTERED
    return None


def check(actor, subject: User, action: AdminAction) -> None:
    """Raise AccountChangeRefused (nothing changed) unless `actor` may do `action`."""
    reason = refusal(actor, subject, action)
    if reason:
        raise AccountChangeRefused(reason, code="refused")


def get_staff_for(actor, pk, *, may: AdminAction = AdminAction.VIEW) -> User:
    """The account `pk` as `actor` may see it: 404 when it is not theirs to see (or does not
    exist), 403 when they may see it but not do `may`."""
    if not is_uuid(pk):
        raise Http404("No such staff account")
    subject = staff_administered_by(actor).filter(pk=pk).first()
    if subject is None:
        raise Http404("No such staff account")
    if may is not AdminAction.VIEW:
        reason = refusal(actor, subject, may)
        if reason:
            raise PermissionDenied(reason)
    return subject
