"""Small steps every browser journey takes: banners, errors, signing out, the navigation."""

import re


def success_banner(page):
    return page.locator(".govuk-notification-banner--success")


def no_errors(page) -> None:
    summary = page.locator(".govuk-error-summary")
    assert summary.count() == 0, summary.first.inner_text()


def sign_out(page) -> None:
    page.get_by_role("navigation", name="Account navigation").get_by_role(
        "button", name="Sign out", exact=True
    ).click()
    page.wait_for_url("**/accounts/sign-in/**")


def switch_to(page, sign_in, user) -> None:
    sign_out(page)
    sign_in(user)
    page.wait_for_url(re.compile(r"/$"))


def primary_nav(page, label: str) -> None:
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name=label, exact=True
    ).click()
