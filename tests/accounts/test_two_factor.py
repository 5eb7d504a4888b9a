"""Two-factor sign-in with an authenticator app (TOTP, django-otp).

With REQUIRE_TWO_FACTOR on, a password alone reaches no page: the person is sent to set up
an authenticator app (first time) or to enter its code. A code works once; wrong codes are
refused with a clear message and throttled. Administrators reset a lost device.
"""

import base64
import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettle.accounts import services
from tests.accounts.conftest import (
    code_for,
    confirmed_device,
    issue_code,
    mark_verified,
    set_up_with_code,
    sign_in_with_password,
    wrong_code_for,
)
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
personas, participant = from_world("personas", "participant")

SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")
HOME = reverse("core:home")
SECRET_IN_FOURS = re.compile(r"^(?:[A-Z2-7]{4} )+[A-Z2-7]{1,4}$")


def shown_secret(response) -> str:
    match = re.search(
        r'<code id="two-factor-secret"[^>]*>([^<]+)</code>', response.content.decode()
    )
    assert match, "the set-up page shows the secret as text"
    return match.group(1)


def pending_device(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=False)


# --- Set-up on first sign-in -----------------------------------------------------------------


def test_a_password_alone_leads_to_set_up_which_asks_for_a_set_up_code(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    response = sign_in_with_password(client, keyworker.email)
    assert response.status_code == 302
    home = client.get(response.url)
    assert home.status_code == 302
    assert home.url == f"{SETUP}?next=%2F"
    page = client.get(home.url)
    # No trust on first use: whoever knows the password cannot add their own phone.
    assert page.status_code == 403
    assert "You need a set-up code" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=keyworker).exists()


def start_set_up(client, user):
    """The person uses the set-up code their administrator gave them: signed in, and this
    session may add an authenticator app."""
    response = set_up_with_code(client, user, issue_code(user))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_set_up_shows_the_secret_in_fours_and_an_inline_svg_qr_code(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    start_set_up(client, keyworker)
    page = client.get(SETUP)
    body = page.content.decode()
    secret = shown_secret(page)
    assert SECRET_IN_FOURS.match(secret), secret
    device = pending_device(keyworker)
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key
    # The QR code is drawn in the page: SVG markup, no image fetched from anywhere.
    svg = re.search(r"<svg [^>]*>.*?</svg>", body, re.S)
    assert svg and 'role="img"' in svg.group(0) and "<title>" in svg.group(0)
    assert "<img" not in body.split('id="main-content"')[1]
    assert "chart.googleapis" not in body and "otpauth://" not in body
    # The code field is labelled and tuned for one-time codes.
    assert '<label class="govuk-label govuk-label--s" for="id_code">' in body
    assert 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body


def test_reloading_set_up_keeps_the_secret_but_another_session_gets_its_own(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    start_set_up(client, keyworker)
    first = shown_secret(client.get(SETUP))
    assert shown_secret(client.get(SETUP)) == first

    elsewhere = Client()
    start_set_up(elsewhere, keyworker)
    assert shown_secret(elsewhere.get(SETUP)) != first
    assert TOTPDevice.objects.filter(user=keyworker).count() == 1  # the older set-up is gone

    # The newer code set a new password: the older browser is signed out, its set-up void.
    response = client.post(SETUP, {"code": "123456"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_confirming_the_app_with_its_code_goes_on_to_the_page_asked_for(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    start_set_up(client, keyworker)
    client.get(f"{SETUP}?next=/participants/caseload/")
    device = pending_device(keyworker)
    key_before = client.session.session_key

    response = client.post(
        SETUP, {"code": code_for(device), "next": "/participants/caseload/"}, follow=True
    )
    assert response.redirect_chain[0] == ("/participants/caseload/", 302)
    assert response.status_code == 200
    assert "Two-factor sign-in is set up" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != key_before  # a new session id once verified
    assert client.get(HOME).status_code == 200


def test_next_never_leaves_the_site(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    start_set_up(client, keyworker)
    client.get(SETUP)
    device = pending_device(keyworker)
    response = client.post(SETUP, {"code": code_for(device), "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response.url == HOME


def test_a_wrong_code_at_set_up_is_refused_with_a_clear_message(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    start_set_up(client, keyworker)
    client.get(SETUP)
    device = pending_device(keyworker)
    response = client.post(SETUP, {"code": wrong_code_for(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert 'href="#id_code"' in body
    assert "The code is not right, or it has already been used" in body
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(HOME).status_code == 302


def test_someone_with_an_app_cannot_replace_it_with_a_password_alone(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"}).url.startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=keyworker)) == [device]


# --- Every later sign-in ---------------------------------------------------------------------


def test_every_later_sign_in_asks_for_a_code(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    response = client.get(HOME)
    assert response.url == f"{VERIFY}?next=%2F"
    page = client.get(response.url)
    assert "Enter your sign-in code" in page.content.decode()

    verified = client.post(VERIFY, {"code": code_for(device), "next": "/"})
    assert verified.status_code == 302
    assert verified.url == "/"
    assert client.get(HOME).status_code == 200


def test_the_same_code_is_refused_the_second_time(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    code = code_for(device)

    sign_in_with_password(client, keyworker.email)
    assert client.post(VERIFY, {"code": code}).status_code == 302

    # Someone who saw the code (over a shoulder, in a log) tries it in another browser.
    elsewhere = Client()
    sign_in_with_password(elsewhere, keyworker.email)
    again = elsewhere.post(VERIFY, {"code": code})
    assert again.status_code == 200
    assert "it has already been used" in again.content.decode()
    assert elsewhere.get(HOME).status_code == 302
    device.refresh_from_db()
    assert device.last_t >= 0


def test_a_wrong_code_is_refused_clearly_and_counted(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    response = client.post(VERIFY, {"code": wrong_code_for(device)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<title>Enter your sign-in code (error)" in body
    assert "The code is not right, or it has already been used" in body
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_repeated_wrong_codes_are_throttled_even_for_the_right_code(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    client.post(VERIFY, {"code": wrong_code_for(device)})

    right_too_soon = client.post(VERIFY, {"code": code_for(device)})
    assert "Too many wrong codes. Wait 1 second" in right_too_soon.content.decode()
    assert client.get(HOME).status_code == 302

    # Each further wrong code doubles the wait: after 4 in a row, 8 seconds.
    device.refresh_from_db()
    device.throttling_failure_count = 4
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    response = client.post(VERIFY, {"code": code_for(device)})
    assert "Wait 8 seconds" in response.content.decode()

    # Once the wait is over the right code works, and the count starts again.
    device.throttling_failure_timestamp = timezone.now() - datetime.timedelta(seconds=9)
    device.save()
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the 6-digit code from your authenticator app"),
        ("12345", "The code must be 6 digits, like 123456"),
        ("12345a", "The code must be 6 digits, like 123456"),
        ("١٢٣٤٥٦", "The code must be 6 digits, like 123456"),  # non-ASCII digits
    ],
)
def test_badly_typed_codes_get_a_message_and_are_not_counted(
    client, personas, two_factor_on, typed, message
):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    response = client.post(VERIFY, {"code": typed})
    assert message in response.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_spaces_in_a_code_are_ignored(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    sign_in_with_password(client, keyworker.email)
    code = code_for(device)
    assert client.post(VERIFY, {"code": f" {code[:3]} {code[3:]} "}).status_code == 302


# --- The rule holds on every page ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/participants/caseload/",
        "/accounts/staff/",
        "/reports/",
        "/crisis/",
        "/sessions/",
        "/admin/",
        "/admin/accounts/user/",
        "/no-such-page/",
    ],
)
def test_every_page_waits_for_the_code(client, personas, two_factor_on, path):
    client.force_login(personas["administrator"])
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(f"{SETUP}?next=")


def test_a_participant_page_and_a_post_wait_for_the_code_too(
    client, personas, participant, two_factor_on
):
    keyworker = personas["keyworker"]
    confirmed_device(keyworker)
    client.force_login(keyworker)
    page = client.get(reverse("participants:overview", args=[participant.pk]))
    assert page.url.startswith(VERIFY)
    post = client.post(reverse("participants:edit_details", args=[participant.pk]), {})
    assert post.url.startswith(VERIFY)


def test_an_htmx_request_is_sent_to_the_code_page_as_a_whole_page(client, personas, two_factor_on):
    client.force_login(personas["crisis_worker"])
    response = client.get(reverse("crisisline:search"), {"q": "Jamal"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(SETUP)


def test_signing_out_health_check_and_static_files_stay_open(client, personas, two_factor_on):
    client.force_login(personas["keyworker"])
    assert client.get(reverse("core:healthz")).status_code in {200, 503}
    assert client.get("/static/resettle.css").status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_a_verified_session_sees_pages(client, personas, two_factor_on):
    keyworker = personas["keyworker"]
    client.force_login(keyworker)
    mark_verified(client, confirmed_device(keyworker))
    assert client.get(HOME).status_code == 200
    assert client.get("/participants/caseload/").status_code == 200


def test_the_menu_is_hidden_until_the_code_is_given(client, personas, two_factor_on):
    client.force_login(personas["administrator"])
    body = client.get(SETUP).content.decode()
    assert 'aria-label="Primary navigation"' not in body
    assert "Sign out" in body


# --- Turned off (the demo and most tests) ----------------------------------------------------


def test_with_two_factor_off_a_password_is_enough_and_the_page_says_so(client, personas):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Demo: two-factor sign-in is turned off" in page
    sign_in_with_password(client, personas["keyworker"].email)
    assert client.get(HOME).status_code == 200
    assert client.get(SETUP).url == HOME
    assert client.get(VERIFY).url == HOME


def test_with_two_factor_on_the_sign_in_page_has_no_demo_label(client, db, two_factor_on):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Demo: two-factor sign-in is turned off" not in page
    assert "a code from the authenticator app" in page


def test_setting_is_on_in_production_and_off_here_by_default(settings):
    assert settings.REQUIRE_TWO_FACTOR is False
    assert "django_otp.plugins.otp_totp" in settings.INSTALLED_APPS
    middleware = settings.MIDDLEWARE
    assert middleware.index("django_otp.middleware.OTPMiddleware") == (
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    )
    assert middleware.index("resettle.core.middleware.TwoFactorRequiredMiddleware") > (
        middleware.index("django_otp.middleware.OTPMiddleware")
    )


# --- Administrators reset a lost app ---------------------------------------------------------


def shown_set_up_code(response) -> str:
    match = re.search(r'data-testid="set-up-code">([A-Z0-9-]+)<', response.content.decode())
    assert match, "the page shows the set-up code once"
    return match.group(1)


def test_an_administrator_resets_a_lost_app_and_only_the_code_lets_the_person_set_up_again(
    client, personas, two_factor_on
):
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    their_browser = Client()
    their_browser.force_login(keyworker)
    mark_verified(their_browser, device)
    assert their_browser.get(HOME).status_code == 200

    admin = personas["administrator"]
    client.force_login(admin)
    mark_verified(client, confirmed_device(admin))
    url = reverse("accounts:account_action", args=[keyworker.pk, "two-factor"])
    response = client.post(url)
    assert response.status_code == 200
    assert "Two-factor sign-in reset" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    code = shown_set_up_code(response)
    assert not TOTPDevice.objects.filter(user=keyworker).exists()
    assert TOTPDevice.objects.filter(user=admin).exists()

    # Their old session (and anyone with their password) cannot add a phone without the code.
    assert their_browser.get(HOME).url.startswith(SETUP)
    assert their_browser.get(SETUP).status_code == 403

    fresh = Client()
    assert set_up_with_code(fresh, keyworker, code).url == SETUP
    page = fresh.get(SETUP)
    assert page.status_code == 200 and "Set up two-factor sign-in" in page.content.decode()
    assert set_up_with_code(Client(), keyworker, code).status_code == 200  # used once only


def test_people_without_the_admin_role_cannot_reset_anyone(client, personas):
    keyworker = personas["keyworker"]
    confirmed_device(keyworker)
    client.force_login(personas["service_manager"])
    url = reverse("accounts:account_action", args=[keyworker.pk, "two-factor"])
    assert client.post(url).status_code == 403
    assert client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [str(keyworker.pk)]},
    ).url.startswith("/admin/login/")
    assert TOTPDevice.objects.filter(user=keyworker).exists()


def test_the_device_admin_that_would_show_secrets_is_not_offered(client, personas):
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert services.TWO_FACTOR_DEVICE_NAME == "Authenticator app"
