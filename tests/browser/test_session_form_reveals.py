"""Issue 27: on the session form the prison's name, the address and the series' days show
under the choice they belong to; with JavaScript off every one of them shows."""

import pytest
from django.urls import reverse

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_place_and_series_fields_open_under_their_choice(page, sign_in, personas):
    sign_in(personas["keyworker"])
    page.goto(reverse("keywork:session_add"))
    prison, address = (
        page.get_by_label("Which prison", exact=True),
        page.get_by_label("Address", exact=True),
    )
    days = page.get_by_role("group", name="On these days")
    assert not prison.is_visible() and not address.is_visible() and not days.is_visible()
    page.get_by_label("A prison", exact=True).check()
    assert prison.is_visible() and not address.is_visible()
    # The radio names what it reveals, and carries no aria-expanded (not allowed on a radio).
    prison_radio = page.get_by_label("A prison", exact=True)
    assert prison_radio.get_attribute("aria-controls")
    assert prison_radio.get_attribute("aria-expanded") is None
    page.get_by_label("A community address", exact=True).check()
    assert address.is_visible() and not prison.is_visible()
    page.get_by_label("Repeat every week (a series)").check()
    assert days.is_visible()
    assert page.get_by_role("group", name="Last date of the series").is_visible()


def test_without_javascript_every_field_shows(browser, live_server, personas):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/sign-in/")
        page.get_by_label("Email address").fill(personas["keyworker"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(reverse("keywork:session_add"))
        assert page.get_by_label("Which prison", exact=True).is_visible()
        assert page.get_by_label("Address", exact=True).is_visible()
        assert page.get_by_role("group", name="On these days").is_visible()
    finally:
        context.close()
