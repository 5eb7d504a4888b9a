"""Issue 27: Django's admin (the emergency superuser's staff accounts pages) passes axe with no
serious or critical violation of WCAG 2.2 AA (target size included): its index, the staff
accounts list with its filters, and one account's page with its roles inline."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from resettle.accounts.models import User

from .conftest import WCAG_22_AA, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_as(page, live_server, user) -> None:
    """The superuser's session, as the admin's own sign-in would leave it."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_the_admin_pages_pass_axe(page, live_server, personas):
    superuser = User.objects.create_superuser(
        email="it-emergency@trust.example", full_name="IT Emergency Access", password="x" * 20
    )
    signed_in_as(page, live_server, superuser)
    keyworker = personas["keyworker"]
    problems = []
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[keyworker.pk]),
    ):
        response = page.goto(url)
        assert response.status < 400, f"{url}: {response.status}"
        assert "/admin/login" not in page.url
        page.wait_for_load_state()
        problems += [f"{url}: {v}" for v in serious_accessibility_violations(page, WCAG_22_AA)]
    assert not problems, "\n".join(problems)
