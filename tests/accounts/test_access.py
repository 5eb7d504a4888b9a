"""Who may open which accounts page: every URL of resettle/accounts/urls.py against every
persona, with two-factor sign-in off (the demo) and on (production).

Signing in and out are open to everyone. The two-factor pages are for anyone signed in with
a password; with two-factor sign-in off they have nothing to do and go to the home page.
The staff accounts page is the administrators'. With two-factor sign-in on, every other
page waits until the person has set up their app (none of the personas has one yet).
"""

from typing import NamedTuple

import pytest
from django.urls import reverse

from resettle.accounts.urls import urlpatterns
from tests.access_matrix import PERSONAS, assert_status, sign_in_as

pytestmark = pytest.mark.django_db


class Page(NamedTuple):
    name: str
    method: str = "get"


PAGES = (
    Page("login"),
    Page("logout", "post"),
    Page("two_factor_setup"),
    Page("two_factor_verify"),
    Page("staff_list"),
)

# What a signed-in persona gets (anonymous has its own row below):
#   200 / 403 – the page / refused;  "home" – sent to the home page;
#   "signed_out" – signed out and sent to sign in;  "setup" – sent to set up two-factor.
TWO_FACTOR_OFF = {
    "login": "home",
    "logout": "signed_out",
    "two_factor_setup": "home",
    "two_factor_verify": "home",
    "staff_list": 403,
}
TWO_FACTOR_ON = {
    "login": "home",
    "logout": "signed_out",
    "two_factor_setup": 200,
    "two_factor_verify": "setup",
    "staff_list": "setup",
}
ANONYMOUS = {
    "login": 200,
    "logout": "signed_out",
    "two_factor_setup": 302,
    "two_factor_verify": 302,
    "staff_list": 302,
}
# Administrators open the staff accounts page once they are fully signed in.
ADMINISTRATOR_OFF = {**TWO_FACTOR_OFF, "staff_list": 200}


def expected(persona: str, page: Page, two_factor: bool):
    if persona == "anonymous":
        return ANONYMOUS[page.name]
    if persona == "administrator" and not two_factor:
        return ADMINISTRATOR_OFF[page.name]
    return (TWO_FACTOR_ON if two_factor else TWO_FACTOR_OFF)[page.name]


def test_the_table_covers_every_url_of_the_app():
    assert {page.name for page in PAGES} == {pattern.name for pattern in urlpatterns}
    for table in (TWO_FACTOR_OFF, TWO_FACTOR_ON, ANONYMOUS, ADMINISTRATOR_OFF):
        assert set(table) == {page.name for page in PAGES}


CASES = [
    pytest.param(
        page, persona, two_factor, id=f"{page.name}-{persona}-2fa_{'on' if two_factor else 'off'}"
    )
    for two_factor in (False, True)
    for page in PAGES
    for persona in PERSONAS
]


@pytest.mark.parametrize(("page", "persona", "two_factor"), CASES)
def test_access(client, client_for, personas, settings, page, persona, two_factor):
    settings.REQUIRE_TWO_FACTOR = two_factor
    browser = sign_in_as(client, client_for, personas, persona)
    url = reverse(f"accounts:{page.name}")
    response = getattr(browser, page.method)(url)
    want = expected(persona, page, two_factor)
    if want == "home":
        assert response.status_code == 302
        assert response.url == reverse("core:home")
    elif want == "signed_out":
        assert response.status_code == 302
        assert response.url == reverse("accounts:login")
        assert "_auth_user_id" not in browser.session
    elif want == "setup":
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:two_factor_setup"))
    else:
        assert_status(response, want)


def test_signing_out_needs_a_post(client_for, personas):
    response = client_for(personas["keyworker"]).get(reverse("accounts:logout"))
    assert response.status_code == 405
