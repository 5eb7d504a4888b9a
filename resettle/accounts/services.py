"""Changes to staff accounts and memberships, and the rules for signing in.

Membership changes keep the user's role groups in step. Signing in: who may stay signed in,
the name failed sign-ins are counted under (django-axes), and two-factor set-up and codes
(django-otp TOTP).
"""

import math

import django_otp
from axes.utils import reset as reset_axes_attempts
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Membership, Service, User
from .roles import FIXED_AGENCY, Role, group_name


def sync_user_role_groups(user: User) -> None:
    roles = set(user.memberships.values_list("role", flat=True))
    wanted = Group.objects.filter(name__in=[group_name(role) for role in roles])
    role_group_names = [group_name(role) for role in Role]
    user.groups.remove(*user.groups.filter(name__in=role_group_names).exclude(pk__in=wanted))
    user.groups.add(*wanted)
    is_admin = Role.ADMINISTRATOR in roles
    if user.is_staff != is_admin and not user.is_superuser:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


@transaction.atomic
def grant_membership(*, user: User, service: Service, role: str, agency: str = "") -> Membership:
    """Give `user` the `role` in `service` (replacing any role they had there)."""
    agency = FIXED_AGENCY.get(role, agency) or "probation"
    membership, _ = Membership.objects.update_or_create(
        user=user, service=service, defaults={"role": role, "agency": agency}
    )
    sync_user_role_groups(user)
    return membership


@transaction.atomic
def revoke_membership(*, membership: Membership) -> None:
    user = membership.user
    membership.delete()
    sync_user_role_groups(user)


@transaction.atomic
def create_staff_account(
    *, email: str, full_name: str, password: str | None, memberships: list[tuple[Service, str, str]]
) -> User:
    user = User.objects.create_user(email=email, full_name=full_name, password=password)
    for service, role, agency in memberships:
        grant_membership(user=user, service=service, role=role, agency=agency)
    return user


# --- Leavers -------------------------------------------------------------------------------


@transaction.atomic
def disable_account(*, user: User, actor: User | None) -> bool:
    """Close a leaver's account: kept with its history, never deleted. False if already closed.

    The person is signed out at their next request (see `may_stay_signed_in`).
    """
    if not user.is_active:
        return False
    user.is_active = False
    user._history_user = actor
    user.save(update_fields=["is_active"])
    return True


# --- Staying signed in ---------------------------------------------------------------------


def may_stay_signed_in(user: User) -> bool:
    """An open account with a role in at least one service, or a superuser's admin account.

    Checked on every request: a closed account, or someone whose last role was removed, is
    signed out at their next page rather than when their session happens to end.
    """
    from resettle.access import memberships_of

    if not user.is_active:
        return False
    return user.is_superuser or bool(memberships_of(user))


# --- Sign-in throttling (django-axes) ------------------------------------------------------


def sign_in_name(request, credentials: dict | None = None) -> str | None:
    """The name failed sign-ins are counted under: the email address as typed, trimmed and
    lower-cased, because sign-in ignores case and 'A@x' must not get a fresh count."""
    value = None
    if credentials:
        value = credentials.get("username") or credentials.get(User.USERNAME_FIELD)
    if value is None and request is not None:
        value = request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else value


def lockout_message() -> str:
    """The same words whether or not the account exists, so they reveal nothing."""
    minutes = settings.AXES_COOLOFF_MINUTES
    return (
        f"Too many failed attempts. Wait {minutes} minute{pluralize(minutes)} and try again, "
        "or ask an administrator to unlock your account."
    )


def unlock_sign_in(*, user: User, actor: User | None) -> int:
    """Clear the failed sign-ins counted against this person from every address."""
    return reset_axes_attempts(username=sign_in_name(None, {"username": user.email}))


# --- Two-factor sign-in (django-otp TOTP) --------------------------------------------------

TWO_FACTOR_DEVICE_NAME = "Authenticator app"
# The unconfirmed device this browser session is setting up: each session gets its own secret.
PENDING_DEVICE_SESSION_KEY = "resettle_two_factor_pending_device"
WRONG_CODE = (
    "The code is not right, or it has already been used. Enter the code your app shows now."
)
SETUP_EXPIRED = (
    "This set-up was replaced by a newer one. Add the new key below to your app and enter "
    "the code it shows."
)

NO_DEVICE = "You have no authenticator app set up. Sign out and sign in again to set one up."


def two_factor_pending(user) -> bool:
    """Whether this signed-in person must still give a code before they see any page."""
    if not settings.REQUIRE_TWO_FACTOR or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)
    return not (is_verified and is_verified())


def has_two_factor_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_two_factor_setup(*, user: User, session) -> TOTPDevice:
    """The unconfirmed device (a new random secret) this session is setting up.

    A new session replaces any half-finished set-up, so a secret is only ever shown in the
    session that will confirm it.
    """
    device_id = session.get(PENDING_DEVICE_SESSION_KEY)
    device = (
        TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
        if device_id
        else None
    )
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=TWO_FACTOR_DEVICE_NAME, confirmed=False)
        session[PENDING_DEVICE_SESSION_KEY] = device.pk
    return device


def confirm_two_factor_device(*, request, code: str) -> TOTPDevice:
    """Confirm the device being set up with a code from it; the session is then verified.

    Raises ValidationError (on "code") for a wrong, reused or throttled code.
    """
    user = request.user
    pending = TOTPDevice.objects.filter(
        pk=request.session.get(PENDING_DEVICE_SESSION_KEY), user=user, confirmed=False
    )
    with transaction.atomic():
        device, refusal = _check_code(pending, code, missing=SETUP_EXPIRED)
        if refusal is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    # Outside the transaction: a refused code's throttling count must be kept.
    if refusal is not None:
        raise ValidationError({"code": refusal})
    request.session.pop(PENDING_DEVICE_SESSION_KEY, None)
    _mark_verified(request, device)
    return device


def verify_two_factor_code(*, request, code: str) -> TOTPDevice:
    """Check a sign-in code against the person's device; the session is then verified.

    A code is accepted once only: the device keeps the time step of the last code used and
    accepts only later ones. Wrong codes are throttled by django-otp (1, 2, 4, 8… seconds).
    """
    devices = TOTPDevice.objects.filter(user=request.user, confirmed=True)
    with transaction.atomic():
        device, refusal = _check_code(devices, code, missing=NO_DEVICE)
    if refusal is not None:
        raise ValidationError({"code": refusal})
    _mark_verified(request, device)
    return device


def _check_code(devices, code: str, *, missing: str) -> tuple[TOTPDevice | None, str | None]:
    """(device, None) when the code is right, else (device or None, the reason refused)."""
    device = devices.select_for_update().order_by("pk").first()
    if device is None:
        return None, missing
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return device, _throttled_message(details)
    if device.verify_token(code):
        return device, None
    return device, WRONG_CODE


def _throttled_message(details: dict | None) -> str:
    seconds = 1
    locked_until = (details or {}).get("locked_until")
    if locked_until is not None:
        seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    return (
        f"Too many wrong codes. Wait {seconds} second{pluralize(seconds)}, then enter the "
        "code your app shows."
    )


def _mark_verified(request, device) -> None:
    """The session now holds the second factor: give it a new id, as at password sign-in."""
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def reset_two_factor(*, user: User, actor: User | None) -> int:
    """Remove the person's authenticator app (lost or replaced phone). At their next page
    they are asked to set up a new one. Returns how many devices were removed."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    return removed
