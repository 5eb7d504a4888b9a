"""Shared by the account-security tests: signing in through the real pages, TOTP codes."""

import time

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

# Models (and the factories) are imported inside the helpers: this conftest can load before
# Django is set up.


@pytest.fixture
def two_factor_on(settings):
    settings.REQUIRE_TWO_FACTOR = True


def code_for(device, *, steps_ahead: int = 0) -> str:
    """The code the person's authenticator app shows now (or `steps_ahead` 30-second steps on)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code_for(device) -> str:
    """A 6-digit code that no nearby time step of this device accepts."""
    taken = {code_for(device, steps_ahead=step) for step in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(123456, 1_000_000) if f"{n:06d}" not in taken)


def confirmed_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in_with_password(client, email: str, password: str | None = None, **extra):
    from tests.factories.accounts import PASSWORD

    if password is None:
        password = PASSWORD
    return client.post(
        reverse("accounts:login"), {"username": email, "password": password}, **extra
    )


def mark_verified(client, device) -> None:
    """As if the person had just entered a right code in this browser."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture
def emergency_superuser(db):
    """The superuser kept for emergencies: the only account Django's admin lets in."""
    from resettle.accounts.models import User

    return User.objects.create_superuser(
        email="it-emergency@trust.example", full_name="IT Emergency Access", password="x" * 20
    )


def issue_code(user, purpose: str = "new_account") -> str:
    """A set-up code for `user`, as an administrator would hand it over."""
    from resettle.accounts import services

    return services.issue_set_up_code(user=user, actor=None, purpose=purpose)


NEW_PASSWORD = "kettle-harbour-violet-42"


def set_up_with_code(client, user, code: str, password: str = NEW_PASSWORD):
    return client.post(
        reverse("accounts:set_up"),
        {
            "email": user.email,
            "code": code,
            "new_password1": password,
            "new_password2": password,
        },
    )
