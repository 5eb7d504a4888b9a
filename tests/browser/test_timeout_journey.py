"""The idle sign-out in a real browser (issue 19, point 4).

Two minutes before the sign-in ends an accessible dialog warns, and "Stay signed in"
restarts the time on the server. A referral typed by an offender manager whose sign-in then
ends is kept when she presses save: she is told she was signed out after 30 minutes without
activity, signs in again and sees the form filled in with what she typed, with nothing saved
until she saves it again.
"""

import re

import pytest
from django.contrib.sessions.models import Session

from participants.models import Referral
from tests.factories.accounts import PASSWORD

from .conftest import serious_accessibility_violations
from .test_participant_journey import fill_referral

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_warning_comes_two_minutes_before_and_staying_signed_in_extends(
    page, sign_in, personas, settings
):
    settings.SESSION_COOKIE_AGE = 126  # the warning shows 6 seconds after the page loads
    sign_in(personas["keyworker"])
    page.goto("/")
    dialog = page.get_by_test_id("timeout-warning")
    assert not dialog.is_visible()

    dialog.get_by_role("heading", name="You’re about to be signed out").wait_for(timeout=20_000)
    assert dialog.is_visible()
    assert "we will sign you out in" in dialog.inner_text()
    assert serious_accessibility_violations(page) == []
    before = Session.objects.get().expire_date

    with page.expect_response(re.compile(r"/accounts/stay-signed-in/$")) as answer:
        dialog.get_by_role("button", name="Stay signed in").click()
    assert answer.value.status == 204
    dialog.wait_for(state="hidden")
    assert Session.objects.get().expire_date > before

    page.reload()
    assert page.get_by_test_id("signed-in-user").inner_text().startswith("Aisha Rahman")


def test_a_referral_typed_before_the_sign_in_ended_is_shown_back_after_signing_in(
    page, sign_in, personas, settings
):
    officer = personas["offender_manager"]
    sign_in(officer)
    page.goto("/participants/referrals/new/")
    fill_referral(page, prison_number="A9876ZZ")
    page.get_by_label("Current prison", exact=True).fill("HMP Liverpool, typed before sign-out")

    Session.objects.all().delete()  # 30 minutes pass without a page being opened
    page.get_by_role("button", name="Save referral").click()

    page.wait_for_url(re.compile(r"/accounts/sign-in/\?next="))
    banner = page.locator(".govuk-notification-banner, .moj-banner, [role=alert]").first
    assert (
        "You were signed out after 30 minutes without activity" in page.locator("main").inner_text()
    ), banner.inner_text()
    assert Referral.objects.count() == 0

    page.get_by_label("Email address").fill(officer.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/participants/referrals/new/$"))
    assert "Nothing has been saved yet" in page.locator("main").inner_text()
    assert (
        page.get_by_label("Current prison", exact=True).input_value()
        == "HMP Liverpool, typed before sign-out"
    )
    assert page.get_by_label("Prison number", exact=True).input_value() == "A9876ZZ"
    assert Referral.objects.count() == 0

    # Saved only when she saves it again.
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_load_state()
    assert Referral.objects.filter(prison_number="A9876ZZ").count() == 1
