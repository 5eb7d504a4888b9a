import pytest

from tests.browser.conftest import serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_keyworker_signs_in_sees_their_home_and_signs_out(page, sign_in, personas):
    sign_in(personas["keyworker"])
    assert page.get_by_test_id("signed-in-user").inner_text().startswith("Aisha Rahman")
    assert page.get_by_role("heading", level=1).is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/sign-in/")
    page.goto("/")
    assert "/accounts/sign-in/" in page.url


def test_wrong_password_shows_the_error_summary_and_focuses_it(page, personas):
    page.goto("/accounts/sign-in/")
    page.get_by_label("Email address").fill(personas["keyworker"].email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "The email address or password is not right" in summary.inner_text()


def test_sign_in_page_has_no_serious_accessibility_violations(page, db):
    page.goto("/accounts/sign-in/")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Sign in").click()  # with errors shown too
    assert serious_accessibility_violations(page) == []


@pytest.mark.parametrize(
    "persona",
    ["offender_manager", "keyworker", "psychologist", "service_manager", "crisis_worker",
     "administrator", "commissioner"],
)  # fmt: skip
def test_home_pages_have_no_serious_accessibility_violations(page, sign_in, personas, persona):
    sign_in(personas[persona])
    assert serious_accessibility_violations(page) == []


def test_navigation_is_keyboard_reachable(page, sign_in, personas):
    sign_in(personas["administrator"])
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Staff accounts":
            break
    else:
        pytest.fail("The Staff accounts link is not reachable with the keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/staff/")
