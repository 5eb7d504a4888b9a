"""Every URL the project has is in an access table: a new page without a row fails here.

The URL conf is walked, not listed by hand. Each app's tests/<app>/test_access.py holds the
table of its pages × every persona of tests/access_matrix.py (anonymous; the allocated team;
a colleague of the same service who is not allocated; the service manager; the crisis-line
worker, administrator and commissioner; staff and a manager of another service) with the
status each must get. This module collects those tables, adds the rows for the core pages
and the admin site, and proves the discovery itself on a URL conf with one page too many.
"""

import sys
import types

import pytest
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from tests.access_matrix import PERSONAS, assert_status, sign_in_as
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
personas = from_world("personas")


def url_names(urlconf=None) -> set[str]:
    """Every named URL pattern, with its namespace ("participants:overview")."""

    def walk(patterns, namespace: str):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name or pattern.pattern}"

    return set(walk(get_resolver(urlconf).url_patterns, ""))


def _names(namespace: str, entries) -> set[str]:
    names = set()
    for entry in entries:
        name = entry if isinstance(entry, str) else getattr(entry, "name", None) or entry[1]
        names.add(f"{namespace}:{name}")
    return names


def covered_url_names() -> set[str]:
    """The URL names the access tables have rows for."""
    from tests.accounts import test_access as accounts
    from tests.crisisline import test_access as crisisline
    from tests.participants import test_access as participants
    from tests.reports import test_access as reports
    from tests.riskplans import test_access as riskplans
    from tests.sessions import test_access as sessions

    covered = set(CORE_PAGES)
    covered |= _names("accounts", accounts.PAGES)
    covered |= _names("participants", [(c, n) for c, n, _k, _a in participants.GET_PAGES])
    covered |= _names("participants", participants.POST_ONLY)
    for namespace, module in (
        ("riskplans", riskplans),
        ("crisisline", crisisline),
        ("keywork", sessions),
        ("reports", reports),
    ):
        covered |= _names(namespace, module.GET_PAGES) | _names(namespace, module.POST_ONLY)
    return covered


def uncovered(urlconf=None) -> set[str]:
    """URL names without a row. The admin site is covered as a whole (see below)."""
    return {
        name
        for name in url_names(urlconf)
        if not name.startswith("admin:") and name not in covered_url_names()
    }


def test_every_url_of_the_project_has_an_access_row():
    assert uncovered() == set()


def test_a_page_added_without_a_row_is_caught():
    """The discovery itself: a URL conf with one page more than the project's."""
    module = types.ModuleType("tests_core_extra_urlconf")
    module.urlpatterns = [
        path("", include("resettle.urls")),
        path("brand-new/", lambda request: HttpResponse("new"), name="brand_new"),
        path("more/", include(([path("x/", lambda r: HttpResponse(), name="x")], "more"))),
    ]
    sys.modules[module.__name__] = module
    try:
        assert uncovered(module.__name__) == {"brand_new", "more:x"}
    finally:
        del sys.modules[module.__name__]


# --- Core pages -----------------------------------------------------------------------------

# Home: everyone signed in (each role has its own home page). /healthz: anyone, for probes.
# /accounts/login/: Django's usual sign-in address sends everyone on to ours (302).
CORE_PAGES = {"core:home": 200, "core:healthz": 200, "core:sign_in_redirect": 302}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CORE_PAGES))
def test_core_pages(client, client_for, personas, persona, name):
    browser = sign_in_as(client, client_for, personas, persona)
    expected = CORE_PAGES[name]
    if persona == "anonymous" and name == "core:home":
        expected = 302
    response = browser.get(reverse(name))
    if name == "core:sign_in_redirect":  # no ?next= of its own to keep
        assert (response.status_code, response["Location"]) == (302, reverse("accounts:login"))
        return
    assert_status(response, expected)


def test_accounts_login_sends_on_to_sign_in_keeping_next(client):
    response = client.get("/accounts/login/?next=/participants/caseload/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/participants/caseload/"


# --- The admin site -------------------------------------------------------------------------
#
# Django's admin checks every one of its URLs the same way (admin_site.admin_view). Since
# issue 19 only an active superuser, kept for emergencies, gets in: administrators do their
# work on the Staff accounts pages, and every persona (administrator included) is sent to the
# admin sign-in. Its lists are asked here for each model it offers.


def admin_pages() -> list[str]:
    """The index and each model's list."""
    from django.contrib import admin

    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return pages


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_emergency_superuser_gets_into_the_admin_site(
    client, client_for, personas, persona
):
    browser = sign_in_as(client, client_for, personas, persona)
    for url in admin_pages():
        response = browser.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), response.url


def test_the_emergency_superuser_opens_every_admin_list(client, db):
    from resettle.accounts.models import User

    superuser = User.objects.create_superuser(
        email="it-emergency@trust.example", full_name="IT Emergency Access", password="x" * 20
    )
    client.force_login(superuser)
    for url in admin_pages():
        assert client.get(url).status_code == 200, url
