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

pytestmark = pytest.mark.django_db


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
CORE_PAGES = {"core:home": 200, "core:healthz": 200}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(CORE_PAGES))
def test_core_pages(client, client_for, personas, persona, name):
    browser = sign_in_as(client, client_for, personas, persona)
    expected = CORE_PAGES[name]
    if persona == "anonymous" and name == "core:home":
        expected = 302
    assert_status(browser.get(reverse(name)), expected)


# --- The admin site -------------------------------------------------------------------------
#
# Django's admin checks every one of its URLs the same way (admin_site.admin_view): only
# active staff accounts (administrators) get in; anyone else is sent to the admin sign-in.
# Its lists and add pages are asked here for each model it offers.


# What administrators may manage there: staff accounts (with their roles) and services.
# Other registered models (role groups, sign-in attempt records) are the superuser's: 403.
ADMINISTRATOR_MODELS = {"accounts.User", "accounts.Service"}


def admin_pages() -> list[tuple[str, int]]:
    """(url, status for an administrator) for the index and each model's list."""
    from django.contrib import admin

    pages = [(reverse("admin:index"), 200)]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(
            (
                reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
                200 if meta.label in ADMINISTRATOR_MODELS else 403,
            )
        )
    return pages


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_administrators_get_into_the_admin_site(client, client_for, personas, persona):
    browser = sign_in_as(client, client_for, personas, persona)
    for url, administrator_status in admin_pages():
        response = browser.get(url)
        if persona == "administrator":
            assert response.status_code == administrator_status, url
        else:
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("admin:login")), response.url
