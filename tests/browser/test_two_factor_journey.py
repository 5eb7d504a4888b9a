"""Two-factor sign-in in a real browser, as production runs it (REQUIRE_TWO_FACTOR on).

A keyworker's password alone never adds an authenticator app (issue 19: no trust on first
use): signing in with it shows that she needs a set-up code. With the one-time code her
administrator gave her she sets her own password, is sent to set up an authenticator app,
reads the key off the page (this test is her app: it makes the codes from that key),
confirms and reaches her home page. Next time she is asked for a code; a
wrong one is refused with an error, the right one lets her in. Every page stays within the
Content-Security-Policy: the browser reports no refused script or style.
"""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.conftest import NEW_PASSWORD, issue_code

from .conftest import serious_accessibility_violations
from .steps import no_errors, sign_out, success_banner

pytestmark = pytest.mark.django_db(transaction=True)

CODE_LABEL = "Code from your authenticator app"


def code_from(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for this key now (or that many 30-second steps on)."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")), step=30)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def a_wrong_code(secret: str) -> str:
    taken = {code_from(secret, steps_ahead=step) for step in range(-2, 3)}
    return next(f"{n:06d}" for n in range(654321, 1_000_000) if f"{n:06d}" not in taken)


@pytest.fixture
def policy_violations(page):
    """What the browser refused under the Content-Security-Policy, from its console."""
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            or "Refused to" in message.text
            else None
        ),
    )
    return refused


def test_first_sign_in_sets_up_the_app_and_later_ones_ask_for_its_code(
    page, sign_in, personas, settings, policy_violations
):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]

    # The sign-in page no longer carries the demo label.
    page.goto("/accounts/sign-in/")
    assert page.get_by_test_id("two-factor-off").count() == 0

    # A password alone does not add an authenticator app: she is told to ask for a code.
    sign_in(keyworker)
    page.wait_for_url(re.compile(r"/accounts/two-factor/set-up/"))
    assert page.get_by_role("heading", level=1).inner_text() == "You need a set-up code"
    assert page.get_by_test_id("two-factor-secret").count() == 0
    sign_out(page)

    # With the set-up code she was given she sets her own password, then adds her app.
    code = issue_code(keyworker)
    page.goto("/accounts/set-up/")
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Email address").fill(keyworker.email)
    page.get_by_label("Set-up code").fill(code)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/set-up/"))
    assert page.get_by_role("heading", level=1).inner_text() == "Set up two-factor sign-in"
    qr = page.get_by_role("img", name="QR code that adds Resettle to your authenticator app")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] >= 150
    assert page.get_by_role("navigation", name="Primary navigation").count() == 0
    assert serious_accessibility_violations(page) == []

    secret = page.get_by_test_id("two-factor-secret").inner_text().strip()
    assert re.fullmatch(r"(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret), secret

    page.get_by_label(CODE_LABEL).fill(code_from(secret))
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url(re.compile(r"/$"))
    assert "Two-factor sign-in is set up" in success_banner(page).inner_text()
    assert page.get_by_test_id("signed-in-user").inner_text().startswith("Aisha Rahman")
    assert TOTPDevice.objects.get(user=keyworker).confirmed

    # Next time: her own password, then a code.
    sign_out(page)
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email address").fill(keyworker.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/\?next="))
    assert page.get_by_role("heading", level=1).inner_text() == "Enter your sign-in code"
    assert serious_accessibility_violations(page) == []

    page.get_by_label(CODE_LABEL).fill(a_wrong_code(secret))
    page.get_by_role("button", name="Continue", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    summary.wait_for()
    assert "The code is not right, or it has already been used" in summary.inner_text()
    assert page.title().startswith("Enter your sign-in code (error)")
    assert serious_accessibility_violations(page) == []

    # django-otp makes her wait a second after a wrong code; then the next code works (the
    # one used at set-up may not be used again).
    page.wait_for_timeout(1100)
    page.get_by_label(CODE_LABEL).fill(code_from(secret, steps_ahead=1))
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    no_errors(page)
    assert page.get_by_test_id("signed-in-user").inner_text().startswith("Aisha Rahman")
    assert page.get_by_role("navigation", name="Primary navigation").is_visible()
    assert serious_accessibility_violations(page) == []

    assert policy_violations == []


def test_live_search_works_within_the_content_security_policy(
    page, sign_in, personas, participant, policy_violations
):
    """htmx swaps results in without any inline script or injected style."""
    sign_in(personas["crisis_worker"])
    page.goto("/crisis/")
    page.get_by_label(re.compile("^Name, prison number")).fill("Okoro")
    results = page.locator("#crisis-results")
    results.get_by_role("link", name="Jamal Okoro", exact=True).wait_for()
    assert page.locator("head style").count() == 0  # htmx's indicator style stayed out
    assert policy_violations == []


def test_the_demo_sign_in_page_says_two_factor_is_off(page, db):
    page.goto("/accounts/sign-in/")
    assert (
        "Demo: two-factor sign-in is turned off"
        in page.get_by_test_id("two-factor-off").inner_text()
    )
    assert serious_accessibility_violations(page) == []
