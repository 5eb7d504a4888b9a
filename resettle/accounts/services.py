"""Changes to staff accounts and memberships, and the rules for signing in.

Every change to an account is checked against the administration rules
(`resettle.accounts.administration`) with its actor, and written to the append-only account
log in the same transaction. Membership changes keep the user's role groups in step.
Signing in: who may stay signed in, the name failed sign-ins are counted under
(django-axes), one-time set-up codes, and two-factor set-up and codes (django-otp TOTP).
Passwords are set only by their owner, with a set-up code: nobody else sees or sets one.
"""

import math

import django_otp
from axes.utils import reset as reset_axes_attempts
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettle.audit import current_client_address
from resettle.core.validators import uk_phone

from . import setup_codes
from .administration import (
    AccountChangeRefused,
    AdminAction,
    check,
    grant_refusal,
    removal_refusal,
)
from .models import AccountEvent, Membership, Service, SetUpCode, User
from .roles import FIXED_AGENCY, Role, group_name

Kind = AccountEvent.Kind


def sync_user_role_groups(user: User) -> None:
    """The person's role groups match their memberships. The admin site is the emergency
    superuser's alone: no role gives it (administrators use the Staff accounts pages)."""
    roles = set(user.memberships.values_list("role", flat=True))
    wanted = Group.objects.filter(name__in=[group_name(role) for role in roles])
    role_group_names = [group_name(role) for role in Role]
    user.groups.remove(*user.groups.filter(name__in=role_group_names).exclude(pk__in=wanted))
    user.groups.add(*wanted)
    if user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def _log(*, kind: str, subject: User, actor: User | None, service=None, detail: str = "") -> None:
    AccountEvent.objects.create(
        kind=kind,
        subject=subject,
        actor=actor if getattr(actor, "pk", None) else None,
        service=service,
        detail=detail[:300],
        ip_address=current_client_address(),
    )


def _log_for_each_service(*, kind: str, subject: User, actor: User | None, detail: str = ""):
    """A change to the whole account, kept in the log of every service they work in."""
    services = list(Service.objects.filter(memberships__user=subject).distinct())
    for service in services or [None]:
        _log(kind=kind, subject=subject, actor=actor, service=service, detail=detail)


def _refuse(reason: str | None) -> None:
    if reason:
        raise AccountChangeRefused(reason, code="refused")


def _role_words(role: str, service: Service) -> str:
    return f"{Role(role).label}, {service.name}"


@transaction.atomic
def grant_membership(
    *, user: User, service: Service, role: str, agency: str = "", actor: User | None = None
) -> Membership:
    """Give `user` the `role` in `service` (replacing any role they had there).

    With an `actor` (a person, not set-up or a migration) the administration rules apply.
    An administrator account never also holds another role, whoever asks.
    """
    _refuse(grant_refusal(actor, user, service, role))
    agency = FIXED_AGENCY.get(role, agency) or "probation"
    before = Membership.objects.filter(user=user, service=service).first()
    membership, _ = Membership.objects.update_or_create(
        user=user, service=service, defaults={"role": role, "agency": agency}
    )
    sync_user_role_groups(user)
    if before is None:
        _log(kind=Kind.ROLE_GIVEN, subject=user, actor=actor, service=service,
             detail=_role_words(role, service))  # fmt: skip
    elif (before.role, before.agency) != (role, agency):
        _log(
            kind=Kind.ROLE_CHANGED,
            subject=user,
            actor=actor,
            service=service,
            detail=f"{Role(before.role).label} to {Role(role).label}, {service.name}",
        )
    return membership


@transaction.atomic
def revoke_membership(*, membership: Membership, actor: User | None = None) -> None:
    _refuse(removal_refusal(actor, membership))
    user, service = membership.user, membership.service
    detail = _role_words(membership.role, service)
    membership.delete()
    sync_user_role_groups(user)
    _log(kind=Kind.ROLE_REMOVED, subject=user, actor=actor, service=service, detail=detail)


@transaction.atomic
def create_staff_account(
    *,
    email: str,
    full_name: str,
    memberships: list[tuple[Service, str, str]],
    actor: User | None = None,
    password: str | None = None,
    work_phone: str = "",
) -> User:
    """A new account with its roles. Without a password it cannot sign in until its owner
    uses a set-up code (`issue_set_up_code`); a password is given only by set-up scripts."""
    if not memberships and actor is not None:
        raise AccountChangeRefused("Give the new account a role in a service you administer.")
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "There is already an account with this email address"})
    for service, role, _agency in memberships:
        _refuse(grant_refusal(actor, User(), service, role))
    roles = {role for _service, role, _agency in memberships}
    if Role.ADMINISTRATOR in roles and len(roles) > 1:
        _refuse("An administrator account cannot also hold any other role.")
    user = User.objects.create_user(
        email=email, full_name=full_name, password=password, work_phone=work_phone
    )
    for service, role, agency in memberships:
        _log(kind=Kind.ACCOUNT_CREATED, subject=user, actor=actor, service=service)
        grant_membership(user=user, service=service, role=role, agency=agency, actor=actor)
    return user


@transaction.atomic
def set_work_phone(*, user: User, work_phone: str, actor: User | None) -> bool:
    """Record (or clear, with "") the number they are reached on at work, already normalised
    by the form ("+441514960000"). False when it is unchanged."""
    if actor is not None:
        check(actor, user, AdminAction.CHANGE_WORK_PHONE)
    if work_phone:
        uk_phone(work_phone)
    if user.work_phone == work_phone:
        return False
    user.work_phone = work_phone
    user._history_user = actor
    user.save(update_fields=["work_phone"])
    _log_for_each_service(
        kind=Kind.WORK_PHONE_CHANGED,
        subject=user,
        actor=actor,
        detail=f"now {user.work_phone_display}" if work_phone else "removed",
    )
    return True


# --- Leavers -------------------------------------------------------------------------------


@transaction.atomic
def disable_account(*, user: User, actor: User | None) -> bool:
    """Close a leaver's account: kept with its history, never deleted. False if already closed.

    The person is signed out at their next request (see `may_stay_signed_in`).
    """
    if actor is not None:
        check(actor, user, AdminAction.CLOSE)
    if not user.is_active:
        return False
    user.is_active = False
    user._history_user = actor
    user.save(update_fields=["is_active"])
    SetUpCode.objects.filter(user=user, used_at=None, withdrawn_at=None).update(
        withdrawn_at=timezone.now()
    )
    _log_for_each_service(kind=Kind.CLOSED, subject=user, actor=actor)
    return True


# --- One-time set-up codes -----------------------------------------------------------------

SET_UP_REFUSED = (
    "The email address or set-up code is not right, or the code has expired or been used. "
    "Check them, or ask your administrator for a new code."
)


@transaction.atomic
def issue_set_up_code(*, user: User, actor: User | None, purpose: str) -> str:
    """A new one-time set-up code for `user`, returned once to be handed over in person or by
    phone; only its hash is kept. Any earlier code stops working.

    For a password reset the old password stops working now. For a two-factor reset (see
    `reset_two_factor`) the authenticator app has already gone.
    """
    if actor is not None:
        check(actor, user, AdminAction.ISSUE_SET_UP_CODE)
    if not user.is_active:
        raise AccountChangeRefused("This account is closed: a closed account cannot be set up.")
    now = timezone.now()
    SetUpCode.objects.filter(user=user, used_at=None, withdrawn_at=None).update(withdrawn_at=now)
    code = setup_codes.new_code()
    SetUpCode.objects.create(
        user=user,
        purpose=purpose,
        code_hash=setup_codes.hash_code(code),
        issued_by=actor if getattr(actor, "pk", None) else None,
        issued_at=now,
        expires_at=now + setup_codes.LIFETIME,
    )
    if purpose == SetUpCode.Purpose.PASSWORD_RESET:
        user.set_unusable_password()
        user._history_user = actor
        user.save(update_fields=["password"])
    _log_for_each_service(
        kind=Kind.SET_UP_CODE_ISSUED,
        subject=user,
        actor=actor,
        detail=SetUpCode.Purpose(purpose).label,
    )
    return code


def redeem_set_up_code(*, email: str, code: str, new_password: str) -> tuple[User, SetUpCode]:
    """The person sets their own password with the code they were given. Returns them and
    the code used (its purpose says whether they now add an authenticator app).

    Refused with the same words whether the account or the code is wrong, so nothing is
    learnt about who has an account. Each wrong code counts; after five the code is void.
    """
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
        live = (
            SetUpCode.objects.select_for_update()
            .filter(user=user, used_at=None, withdrawn_at=None, expires_at__gt=now)
            .order_by("-issued_at")
            .first()
            if user is not None
            else None
        )
        if live is None or not live.is_live(now):
            raise ValidationError({"code": SET_UP_REFUSED})
        if not setup_codes.matches(code, live.code_hash):
            SetUpCode.objects.filter(pk=live.pk).update(failed_attempts=live.failed_attempts + 1)
            wrong = True
        else:
            wrong = False
            try:
                password_validation.validate_password(new_password, user)
            except ValidationError as error:
                raise ValidationError({"new_password1": error.messages}) from error
            user.set_password(new_password)
            user._history_user = user
            user.save(update_fields=["password"])
            live.used_at = now
            live.save(update_fields=["used_at"])
            _log_for_each_service(
                kind=Kind.SET_UP_CODE_USED,
                subject=user,
                actor=user,
                detail=live.get_purpose_display(),
            )
    if wrong:  # outside the atomic block above only in effect: the count is kept
        raise ValidationError({"code": SET_UP_REFUSED})
    return user, live


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
    if actor is not None:
        check(actor, user, AdminAction.UNLOCK)
    cleared = reset_axes_attempts(username=sign_in_name(None, {"username": user.email}))
    _log_for_each_service(kind=Kind.UNLOCKED, subject=user, actor=actor)
    return cleared


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

NO_DEVICE = (
    "You have no authenticator app set up. Ask your administrator for a set-up code, then "
    "use it on the set-up page."
)
# The set-up code redeemed in this browser session: only such a session may add an app.
ENROLMENT_SESSION_KEY = "resettle_two_factor_enrolment_code"
ENROLMENT_WINDOW = setup_codes.LIFETIME


def allow_enrolment(*, session, set_up_code: SetUpCode) -> None:
    """After a set-up code was used in this session: this session may add an app."""
    session[ENROLMENT_SESSION_KEY] = str(set_up_code.pk)


def may_enrol(user, session) -> bool:
    """No trust on first use: an authenticator app is added only in a session where its
    owner has just used a set-up code they were given in person, never on a password alone."""
    code_id = session.get(ENROLMENT_SESSION_KEY)
    if not code_id or not getattr(user, "is_authenticated", False):
        return False
    return SetUpCode.objects.filter(
        pk=code_id,
        user=user,
        used_at__gte=timezone.now() - ENROLMENT_WINDOW,
    ).exists()


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
    session that will confirm it. Only a session that used a set-up code may start one.
    """
    if not may_enrol(user, session):
        raise AccountChangeRefused(NO_DEVICE, code="no_set_up_code")
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
    if not may_enrol(user, request.session):
        raise ValidationError({"code": NO_DEVICE})
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
    request.session.pop(ENROLMENT_SESSION_KEY, None)
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
def reset_two_factor(*, user: User, actor: User | None) -> str:
    """Remove the person's authenticator app (lost or replaced phone) and return the one-time
    set-up code with which they, and only they, add a new one."""
    if actor is not None:
        check(actor, user, AdminAction.RESET_TWO_FACTOR)
    TOTPDevice.objects.filter(user=user).delete()
    _log_for_each_service(kind=Kind.TWO_FACTOR_RESET, subject=user, actor=actor)
    return issue_set_up_code(user=user, actor=actor, purpose=SetUpCode.Purpose.TWO_FACTOR_RESET)
