"""No 500 from a query string: the five the issue found, then Hypothesis over every GET view of
the URL conf with NUL bytes, non-ASCII digits, huge numbers, repeated and unknown parameters.

A NUL (or any other control character) anywhere in the address is answered 400 by
RequestGuardMiddleware before a page sees it; everything else is ignored by the page (it
reads only plain ASCII numbers and known words, resettle/core/params.py) or refused clearly.
"""

import re
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resettle.core import params
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
personas, participant = from_world("personas", "participant")


# --- The five of the issue -------------------------------------------------------------------


def test_a_nul_in_the_timeline_category_is_a_clear_400(client_for, personas, participant):
    client = client_for(personas["keyworker"])
    response = client.get(f"/participants/{participant.pk}/timeline/?category=%00")
    assert response.status_code == 400
    assert "The web address has characters in it that the service does not accept" in (
        response.content.decode()
    )


@pytest.mark.parametrize("category", ["%C2%B2", "%E2%80%AEgoal", "x" * 300, "stage'--"])
def test_an_odd_timeline_category_is_ignored(client_for, personas, participant, category):
    client = client_for(personas["keyworker"])
    response = client.get(f"/participants/{participant.pk}/timeline/?category={category}")
    assert response.status_code == 200
    assert "Timeline" in response.content.decode()


@pytest.mark.parametrize("page", ["%C2%B2", "%D9%A3", "0", "-1", "9" * 40, "1e3"])
def test_an_odd_history_page_shows_the_first_page(client_for, personas, participant, page):
    client = client_for(personas["keyworker"])
    response = client.get(f"/participants/{participant.pk}/history/?page={page}")
    assert response.status_code == 200


@pytest.mark.parametrize(("a", "b"), [("%C2%B2", "1"), ("1", "%D9%A3"), ("9" * 40, "1")])
def test_an_odd_plan_comparison_shows_no_comparison(client_for, personas, participant, a, b):
    client = client_for(personas["keyworker"])
    response = client.get(f"/participants/{participant.pk}/risk/history/plan/?a={a}&b={b}")
    assert response.status_code == 200


@pytest.mark.parametrize("chosen", ["%C2%B2", "%D9%A3", "9" * 40, "-1", "abc"])
def test_an_odd_service_on_a_new_session_uses_their_own(client_for, personas, chosen):
    client = client_for(personas["keyworker"])
    response = client.get(f"/sessions/new/?service={chosen}")
    assert response.status_code == 200


# The simple-history admin's /history/password/ is in tests/accounts/test_admin_scope.py.


@pytest.mark.parametrize(
    "query", ["q=%00", "page=1%00", "%00=1", "next=%0d%0aSet-Cookie:x", "a=%1b%5b31m"]
)
def test_control_characters_anywhere_in_a_query_are_400_on_any_page(client_for, personas, query):
    client = client_for(personas["keyworker"])
    for path in ("/", "/participants/caseload/", "/crisis/"):
        assert client.get(f"{path}?{query}").status_code == 400


def test_a_control_character_in_the_path_is_400(client_for, personas):
    client = client_for(personas["keyworker"])
    assert client.get("/participants/%00/").status_code == 400


def test_plain_text_and_newlines_in_a_search_still_work(client_for, personas):
    client = client_for(personas["crisis_worker"])
    assert client.get("/crisis/?q=O%27Brien%0A").status_code == 200


# --- The readers themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), ("²", None), ("٣", None), ("", None), (None, None), ("9" * 19, None), ("-1", None)],
)
def test_ascii_int_reads_only_plain_numbers(value, expected):
    assert params.ascii_int(value) == expected


def test_page_number_is_one_unless_a_plain_number_in_range():
    assert params.page_number("4") == 4
    assert params.page_number("0") == 1
    assert params.page_number("²") == 1
    assert params.page_number("20000") == 1


# --- Every GET view, fuzzed ------------------------------------------------------------------


def _routes():
    """(route, {name: converter}) for every pattern of the URL conf except the admin site."""

    def walk(patterns, prefix, converters):
        for pattern in patterns:
            found = {**converters, **getattr(pattern.pattern, "converters", {})}
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("admin/"):
                    continue
                yield from walk(pattern.url_patterns, route, found)
            elif isinstance(pattern, URLPattern) and "(?P" not in route and "^" not in route:
                yield route, found

    return list(walk(get_resolver().url_patterns, "", {}))


def _fill(route: str, converters: dict, participant) -> str:
    """A real address: every <uuid> is his (other records' pages then answer 404), ids 1."""
    values = {"UUID": str(participant.pk), "Int": "1", "String": "plan", "Slug": "plan"}
    url = route
    for name, converter in converters.items():
        value = values.get(type(converter).__name__.removesuffix("Converter"), "1")
        if name == "kind" and "stage" in route:
            value = "released"
        url = re.sub(rf"<(?:\w+:)?{name}>", value, url)
    return "/" + url


HOSTILE = st.sampled_from(
    [
        "\x00",
        "²",
        "٣",
        "１",
        "-1",
        "0",
        "9" * 30,
        "1e9",
        "1.5",
        "",
        " ",
        "%",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "\u202egoal",
        "NaN",
        "00000000-0000-0000-0000-000000000000",
        "x" * 3000,
        "'; DROP TABLE participants_participant; --",
    ]
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "page",
            "referrals_page",
            "category",
            "a",
            "b",
            "service",
            "participant",
            "q",
            "sort",
            "status",
            "as",
            "next",
            "kind",
            "date",
            "week",
            "stage",
            "risk",
            "keyworker",
        ]
    ),
    st.text(max_size=8),
)
QUERIES = st.lists(st.tuples(KEYS, st.one_of(HOSTILE, st.text(max_size=12))), max_size=6)


@pytest.fixture
def every_get_url(participant):
    return sorted({_fill(route, converters, participant) for route, converters in _routes()})


@pytest.mark.parametrize("persona", ["service_manager", "keyworker"])
@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_query_string_gives_a_500_on_any_get_view(
    client_for, personas, every_get_url, persona, data
):
    client = client_for(personas[persona])
    url = data.draw(st.sampled_from(every_get_url), label="url")
    query = data.draw(QUERIES, label="query")
    response = client.get(f"{url}?{urlencode(query)}")
    assert response.status_code < 500, (url, query, response.status_code)


def test_the_fuzz_reaches_the_pages_of_the_issue(every_get_url, participant):
    for page in ("timeline/", "history/", "risk/history/plan/"):
        assert f"/participants/{participant.pk}/{page}" in every_get_url
    assert "/sessions/new/" in every_get_url
