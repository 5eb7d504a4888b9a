"""Sign-in throttling (django-axes): 5 failures lock one email address *at one network
address* for 15 minutes. The locked-out answer is the sign-in page with status 429 and the
same words whether or not the account exists; administrators unlock from the admin."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.accounts.conftest import sign_in_with_password

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many failed attempts. Wait 15 minutes and try again, or ask an administrator to "
    "unlock your account."
)
GATEWAY = "10.20.30.40"  # an NHS trust's shared internet gateway
ELSEWHERE = "192.0.2.77"


def fail(client, email: str, times: int, address: str = GATEWAY) -> list[int]:
    return [
        sign_in_with_password(client, email, "wrong-password", REMOTE_ADDR=address).status_code
        for _ in range(times)
    ]


def lockout_text(response) -> str:
    body = response.content.decode()
    start = body.index('data-testid="lockout"')
    return body[start : body.index("</div>\n    </div>", start)]


def test_five_failures_lock_the_sign_in_with_a_clear_message(client, personas):
    keyworker = personas["keyworker"]
    assert fail(client, keyworker.email, 4) == [200, 200, 200, 200]
    fifth = sign_in_with_password(client, keyworker.email, "wrong-password", REMOTE_ADDR=GATEWAY)
    assert fifth.status_code == 429
    body = fifth.content.decode()
    assert LOCKED in body
    assert "There is a problem" in body
    assert '<h1 class="govuk-heading-l">Sign in to Resettle</h1>' in body
    assert "The email address or password is not right" not in body


def test_the_right_password_is_refused_while_locked_out(client, personas):
    keyworker = personas["keyworker"]
    fail(client, keyworker.email, 5)
    response = sign_in_with_password(client, keyworker.email, REMOTE_ADDR=GATEWAY)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unknown_email_gets_exactly_the_same_answer(client, personas):
    fail(client, personas["keyworker"].email, 5)
    known = sign_in_with_password(client, personas["keyworker"].email, REMOTE_ADDR=GATEWAY)
    fail(Client(), "nobody@service.example", 5)
    unknown = sign_in_with_password(Client(), "nobody@service.example", REMOTE_ADDR=GATEWAY)
    assert unknown.status_code == known.status_code == 429
    assert lockout_text(unknown) == lockout_text(known)
    assert "nobody@service.example" not in unknown.content.decode()


def test_a_colleague_behind_the_same_gateway_is_not_locked_out(client, personas):
    fail(client, personas["keyworker"].email, 5)
    colleague = Client()
    response = sign_in_with_password(colleague, personas["colleague"].email, REMOTE_ADDR=GATEWAY)
    assert response.status_code == 302
    assert colleague.get(reverse("core:home")).status_code == 200


def test_the_same_person_elsewhere_is_not_locked_out(client, personas):
    keyworker = personas["keyworker"]
    fail(client, keyworker.email, 5)
    response = sign_in_with_password(Client(), keyworker.email, REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 302


def test_changing_the_case_of_the_email_does_not_get_a_fresh_count(client, personas):
    email = personas["keyworker"].email
    spellings = [email.upper(), email, f" {email.title()}", email.upper()]
    statuses = [
        sign_in_with_password(client, spelling, "wrong", REMOTE_ADDR=GATEWAY).status_code
        for spelling in spellings
    ]
    assert statuses == [200, 200, 200, 200]
    assert fail(client, email.capitalize(), 1) == [429]


def test_the_lockout_ends_after_15_minutes(client, personas):
    keyworker = personas["keyworker"]
    fail(client, keyworker.email, 5)
    attempt = AccessAttempt.objects.get()
    attempt.attempt_time = timezone.now() - datetime.timedelta(minutes=14)
    attempt.save()
    assert sign_in_with_password(client, keyworker.email, REMOTE_ADDR=GATEWAY).status_code == 429

    attempt.attempt_time = timezone.now() - datetime.timedelta(minutes=15, seconds=5)
    attempt.save()
    assert sign_in_with_password(client, keyworker.email, REMOTE_ADDR=GATEWAY).status_code == 302


def test_trying_again_while_locked_does_not_restart_the_wait(client, personas):
    keyworker = personas["keyworker"]
    fail(client, keyworker.email, 5)
    locked_at = AccessAttempt.objects.get().attempt_time
    fail(client, keyworker.email, 3)
    assert AccessAttempt.objects.get().attempt_time == locked_at


def test_a_successful_sign_in_clears_the_count(client, personas):
    keyworker = personas["keyworker"]
    fail(client, keyworker.email, 4)
    assert sign_in_with_password(client, keyworker.email, REMOTE_ADDR=GATEWAY).status_code == 302
    client.post(reverse("accounts:logout"))
    assert fail(client, keyworker.email, 4) == [200, 200, 200, 200]


def test_the_admin_sign_in_is_throttled_the_same_way(client, personas):
    administrator = personas["administrator"]
    for _ in range(5):
        response = client.post(
            reverse("admin:login"),
            {"username": administrator.email, "password": "wrong"},
            REMOTE_ADDR=GATEWAY,
        )
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_the_emergency_superuser_unlocks_an_account_from_the_admin(
    client, personas, emergency_superuser
):
    keyworker = personas["keyworker"]
    fail(Client(), keyworker.email, 5)
    fail(Client(), keyworker.email.upper(), 5, address=ELSEWHERE)
    assert AccessAttempt.objects.count() == 2

    client.force_login(emergency_superuser)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [str(keyworker.pk)]},
        follow=True,
    )
    assert "Sign-in unlocked for 1 account" in response.content.decode()
    assert not AccessAttempt.objects.exists()
    assert sign_in_with_password(Client(), keyworker.email, REMOTE_ADDR=GATEWAY).status_code == 302


def test_throttling_settings(settings):
    assert settings.AXES_ENABLED
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    backends = settings.AUTHENTICATION_BACKENDS
    assert backends[0] == "axes.backends.AxesStandaloneBackend"
    assert backends[1:] == [
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
