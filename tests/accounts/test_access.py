"""Who may open which accounts page: every URL of resettle/accounts/urls.py against every
persona, with two-factor sign-in off (the demo) and on (production).

Signing in and out, and setting up an account with a one-time set-up code, are open to
everyone. The two-factor pages are for anyone signed in with a password; with two-factor
sign-in off they have nothing to do and go to the home page. With it on, adding an
authenticator app is refused (403) to someone who signed in with a password alone: only a
set-up code opens it (issue 19: no trust on first use). The staff account pages are the
administrators'; the account log is also their service manager's. With two-factor sign-in
on, every other page waits until the person has set up their app (none of the personas has
one yet).
"""

from typing import NamedTuple

import pytest
from django.urls import reverse

from resettle.accounts.urls import urlpatterns
from tests.access_matrix import PERSONAS, assert_status, sign_in_as
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The personas are built once for the module; each case has its own copy (tests/world.py).
personas = from_world("personas")


class Page(NamedTuple):
    name: str
    method: str = "get"
    # The URL's arguments, from the personas: the keyworker's account (in the administrator's
    # service) and her membership.
    args: object = None


def _keyworker(personas):
    return [personas["keyworker"].pk]


def _keyworker_membership(personas):
    keyworker = personas["keyworker"]
    return [keyworker.pk, keyworker.memberships.get().pk]


PAGES = (
    Page("login"),
    Page("logout", "post"),
    Page("two_factor_setup"),
    Page("two_factor_verify"),
    Page("set_up"),
    Page("stay_signed_in", "post"),
    Page("staff_list"),
    Page("staff_add"),
    Page("account_log"),
    Page("staff_detail", args=_keyworker),
    Page("staff_work_phone", args=_keyworker),
    Page("membership_add", args=_keyworker),
    Page("membership_remove", args=_keyworker_membership),
    Page("account_action", args=lambda personas: [personas["keyworker"].pk, "unlock"]),
)
ADMINISTRATOR_PAGES = (
    "staff_list",
    "staff_add",
    "staff_detail",
    "staff_work_phone",
    "membership_add",
    "membership_remove",
    "account_action",
)

# What a signed-in persona gets (anonymous has its own row below):
#   200 / 403 – the page / refused;  "home" – sent to the home page;
#   "signed_out" – signed out and sent to sign in;  "setup" – sent to set up two-factor.
TWO_FACTOR_OFF = {
    "login": "home",
    "logout": "signed_out",
    "two_factor_setup": "home",
    "two_factor_verify": "home",
    "set_up": 200,
    "stay_signed_in": 204,
    "account_log": 403,
    **dict.fromkeys(ADMINISTRATOR_PAGES, 403),
}
TWO_FACTOR_ON = {
    "login": "home",
    "logout": "signed_out",
    # A password alone never adds an authenticator app: a set-up code is needed (403).
    "two_factor_setup": 403,
    "two_factor_verify": "setup",
    "set_up": 200,
    "stay_signed_in": "setup",
    "account_log": "setup",
    **dict.fromkeys(ADMINISTRATOR_PAGES, "setup"),
}
ANONYMOUS = {
    "login": 200,
    "logout": "signed_out",
    "two_factor_setup": 302,
    "two_factor_verify": 302,
    "set_up": 200,
    "stay_signed_in": 302,
    "account_log": 302,
    **dict.fromkeys(ADMINISTRATOR_PAGES, 302),
}
# Administrators open the staff account pages once they are fully signed in; the account
# log is theirs and every service manager's (each sees their own services' entries).
ADMINISTRATOR_OFF = {
    **TWO_FACTOR_OFF,
    "account_log": 200,
    **dict.fromkeys(ADMINISTRATOR_PAGES, 200),
}
SERVICE_MANAGER_OFF = {**TWO_FACTOR_OFF, "account_log": 200}


def expected(persona: str, page: Page, two_factor: bool):
    if persona == "anonymous":
        return ANONYMOUS[page.name]
    if persona == "administrator" and not two_factor:
        return ADMINISTRATOR_OFF[page.name]
    if persona in {"service_manager", "outsider_manager"} and not two_factor:
        return SERVICE_MANAGER_OFF[page.name]
    return (TWO_FACTOR_ON if two_factor else TWO_FACTOR_OFF)[page.name]


def test_the_table_covers_every_url_of_the_app():
    assert {page.name for page in PAGES} == {pattern.name for pattern in urlpatterns}
    for table in (TWO_FACTOR_OFF, TWO_FACTOR_ON, ANONYMOUS, ADMINISTRATOR_OFF, SERVICE_MANAGER_OFF):
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
    url = reverse(f"accounts:{page.name}", args=page.args(personas) if page.args else None)
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
