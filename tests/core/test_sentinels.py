"""Sentinels: a unique marker in each kind of record, and a crawl of everything each persona
can reach (their home page's links followed breadth first, htmx fragments, PDF downloads, and
every page of the URL conf filled with the world's ids). A marker seen by someone the access
matrix (README, "The access matrix") forbids fails the test, naming persona, page and record;
a marker someone may see but never does fails too, so a crawl that reaches nothing proves
nothing.
"""

import pytest
from django.db import transaction
from django.test import Client

from tests.crawl import (
    GIVEN_NAMES,
    PERSONA_NAMES,
    build_world,
    crawl,
    report_files_in,
    urlconf_pages,
)

pytestmark = pytest.mark.django_db

CASE_STAFF = {"offender_manager", "keyworker", "colleague", "psychologist", "service_manager"}
NHS = {"keyworker", "colleague", "psychologist", "service_manager"}  # the manager is NHS staff
PROBATION = {"offender_manager"}
CRISIS = CASE_STAFF | {"crisis_worker"}
OUTSIDERS = {"outsider", "outsider_manager"}

# Who may see each kind of record (the README's matrix). Administrator and commissioner see no
# personal data; outsiders nothing of this service; the colleague nothing of the excluded man.
MAY_SEE: dict[str, set[str]] = {
    "his name": CRISIS,
    "unallocated man": CRISIS,
    "ended man": CRISIS,
    "shared note": CASE_STAFF,
    "addendum": CASE_STAFF,
    "health-only note": NHS,
    "probation-only note": PROBATION | ({"service_manager"} & PROBATION),
    "formulation": CASE_STAFF,
    "plan actions": CASE_STAFF,
    "contingency plan": CRISIS,  # the crisis worker: in the crisis summary only
    "crisis call": CRISIS,
    "report": {"offender_manager", "service_manager"},  # who asked, and the service's manager
    "other service's man": OUTSIDERS,
    "excluded man": CRISIS - {"colleague"},
    "excluded man's note": CASE_STAFF - {"colleague"},
    "excluded man's call": CRISIS - {"colleague"},
    # Why an outcome was corrected: on the session page and his timeline (case staff).
    "outcome correction": CASE_STAFF,
    "excluded man's correction": CASE_STAFF - {"colleague"},
    # His keyworker's work phone: in his crisis summary (who to call) and on her staff account
    # (its administrator). Never a commissioner's, never another service's.
    "staff work phone": CRISIS | {"administrator"},
}

# May see, but no page need show it them: (persona, kind) -> why.
NEED_NOT_SEE: dict[tuple[str, str], str] = {
    ("crisis_worker", "ended man"): "the crisis line finds men in the service now "
    "(crisisline/selectors.py leaves ended records out of its search)",
}

PAGE_CAP = 80


def forbidden_for(persona: str, markers) -> set[str]:
    return {kind for kind in markers if persona not in MAY_SEE[kind]}


def search_pages() -> list[str]:
    """Searches are lists too: the caseload and the crisis line, for every man's given name
    (not the family name the marker is: a page that says what was searched for would show it)."""
    pages = []
    for name in GIVEN_NAMES.values():
        pages += [
            f"/participants/caseload/?q={name}",
            f"/participants/caseload/?q={name}&stage=ended",
            f"/crisis/?q={name}",
        ]
    return pages


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("sentinel-reports")
    with django_db_blocker.unblock(), report_files_in(root), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def crawl_as(world, persona: str, **kwargs):
    client = Client()
    client.force_login(world.personas[persona])
    urls, _unfilled = urlconf_pages(world)
    return crawl(
        client,
        persona=persona,
        markers=world.markers,
        forbidden=forbidden_for(persona, world.markers),
        seeds=search_pages() + urls,
        cap=PAGE_CAP,
        **kwargs,
    )


def test_the_matrix_names_every_marker(world):
    assert set(MAY_SEE) == set(world.markers)


def test_every_url_of_the_project_is_filled_from_the_world(world):
    """Every page of the URL conf is asked for; the only ones left out name no record."""
    _urls, unfilled = urlconf_pages(world)
    assert set(unfilled) == {
        # A member of staff's account (administrators' pages): names no man.
        "accounts/staff/<uuid:pk>/",
        "accounts/staff/<uuid:pk>/work-phone/",
        "accounts/staff/<uuid:pk>/roles/add/",
        "accounts/staff/<uuid:pk>/roles/<int:membership_id>/remove/",
        "accounts/staff/<uuid:pk>/<slug:action>/",
        "participants/<uuid:pk>/contacts/<int:contact_id>/",
        "participants/<uuid:pk>/contacts/<int:contact_id>/remove/",
        "participants/<uuid:pk>/goals/<int:goal_id>/",
        "participants/<uuid:pk>/licence/conditions/<int:condition_id>/",
        "participants/<uuid:pk>/access/temporary/<uuid:grant_id>/end/",
        "sessions/participants/<uuid:pk>/enforcement/<uuid:decision_id>/recall/",
        "crisis/bank-holidays/<int:holiday_id>/remove/",
        "crisis/closure-days/<int:day_id>/remove/",
    }


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_no_marker_reaches_a_persona_the_matrix_forbids(world, persona):
    result = crawl_as(world, persona)
    missing = {
        kind
        for kind in world.markers
        if persona in MAY_SEE[kind]
        and kind not in result.seen
        and (persona, kind) not in NEED_NOT_SEE
    }
    assert result.signed_out == [], "the crawl signed itself out"
    assert not result.findings, "\n".join(str(finding) for finding in result.findings)
    assert missing == set(), f"{persona} never saw {sorted(missing)} in {len(result.pages)} pages"


def test_the_offender_manager_reads_the_report_pdf(world):
    """The crawl downloads files and reads their text: his report names him and prints the
    shared note of the session he missed."""
    result = crawl_as(world, "offender_manager")
    assert result.pdfs, "no PDF was downloaded"
    kinds = set().union(*result.pdfs.values())
    assert {"his name", "shared note"} <= kinds
    assert "health-only note" not in kinds and "probation-only note" not in kinds
    assert result.fragments > 0, "no progress fragment was fetched"


def test_a_planted_leak_is_reported(world, monkeypatch):
    """Timeline entries of a restricted note show that they exist, not what they say. Let the
    timeline's rule answer yes to everyone and the crawl must name the leak."""
    from participants import timeline

    monkeypatch.setattr(timeline, "may_read", lambda *args, **kwargs: True)
    result = crawl_as(world, "keyworker")
    assert any(f.marker == "probation-only note" for f in result.findings), result.findings
    assert any("/timeline/" in f.url for f in result.findings)
