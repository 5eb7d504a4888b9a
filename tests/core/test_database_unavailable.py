"""The "service unavailable" page for when the database cannot be reached, and the middleware
that must not reach for the database again while showing it. The outage itself, through a
real server process, is in tests/integration/test_database_outage.py."""

from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.utils.functional import SimpleLazyObject

from resettle.core import outage
from resettle.core.middleware import NoStoreForSignedInMiddleware, SessionMiddleware
from resettle.core.outage import service_unavailable, unreachable_database_error
from resettle.core.views import error_500

pytestmark = pytest.mark.django_db

NARRATIVE = "Says he can't sleep & is scared\nAgreed to call back at 06:00"


@pytest.fixture
def database_gone(monkeypatch):
    """Django's connection object as it is after connecting failed (no live connection)."""
    monkeypatch.setattr(outage, "connection", SimpleNamespace(connection=None))


@pytest.mark.parametrize("error", [OperationalError("refused"), InterfaceError("closed")])
def test_an_unreachable_database_is_told_apart_from_other_errors(error, database_gone):
    assert unreachable_database_error(error) is error
    assert unreachable_database_error(ValueError("a bug")) is None
    assert unreachable_database_error(DatabaseError("not a connection problem")) is None
    try:
        try:
            raise error
        except Exception:
            raise UpdateError from None  # as Django's session store does (context kept)
    except UpdateError as raised:
        assert unreachable_database_error(raised) is error


def raised_through_django(action) -> BaseException:
    """What Django raises when psycopg2 raises during `action` (its error, with psycopg2's as
    the cause)."""
    from django.db import connection

    try:
        with connection.wrap_database_errors:
            action()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def test_postgresql_not_answering_or_ending_the_session_is_an_outage():
    import psycopg2
    from django.db import connection

    from tests.integration.conftest import free_port

    refused = raised_through_django(
        lambda: psycopg2.connect(host="127.0.0.1", port=free_port(), connect_timeout=2)
    )
    assert unreachable_database_error(refused) is refused  # though Django's own connection works
    # A restart ends every session, as this does.
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    doomed = psycopg2.connect(**params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [doomed.get_backend_pid()])
    ended = raised_through_django(lambda: doomed.cursor().execute("SELECT 1"))
    assert unreachable_database_error(ended) is ended


def test_an_error_on_a_working_connection_is_not_an_outage():
    from django.db import connection

    def too_slow():
        with connection.connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    timed_out = raised_through_django(too_slow)
    assert isinstance(timed_out, OperationalError)
    assert unreachable_database_error(timed_out) is None
    assert unreachable_database_error(OperationalError("deadlock detected")) is None


def test_the_server_error_handler_answers_503_when_the_database_is_what_failed(
    rf, database_gone, django_assert_num_queries
):
    with django_assert_num_queries(0):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = error_500(rf.get("/crisis/calls/"))  # as Django calls it
    body = response.content.decode()
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in body
    assert "may not have been saved" not in body  # nothing was being saved
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert "connection refused" not in body


def test_any_other_error_is_still_the_500_page(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = error_500(rf.get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_after_a_form_is_sent_the_page_says_it_may_not_be_saved_and_shows_what_was_typed(
    rf, django_assert_num_queries
):
    request = rf.post(
        "/crisis/calls/new/",
        {
            "csrfmiddlewaretoken": "secret-form-token",
            "participant": "0b7c3a52-2f27-4a57-9a8e-1c1f4b7b2e10",
            "presenting_issue": "Cannot cope tonight",
            "narrative": NARRATIVE,
            "risk_indicators": ["self_harm", "alcohol"],
            "caller_name": "",
            "password": "correct-horse-battery",
        },
    )
    with django_assert_num_queries(0):
        response = service_unavailable(request, OperationalError("refused"))
    body = response.content.decode()
    assert response.status_code == 503
    assert "What you just entered may not have been saved." in body
    assert "For a crisis call, check the call log." in body
    assert "Cannot cope tonight" in body
    assert "Says he can&#x27;t sleep &amp; is scared<br>Agreed to call back at 06:00" in body
    assert "self_harm" in body and "alcohol" in body
    for never_shown in ("secret-form-token", "correct-horse-battery", "0b7c3a52", "Caller name"):
        assert never_shown not in body


def test_an_error_page_leaves_the_session_unread_and_its_cookie_alone(
    rf, django_assert_num_queries
):
    store = SessionStore()
    store["kept"] = "yes"
    store.create()
    request = rf.get("/")
    request.COOKIES["sessionid"] = store.session_key
    middleware = SessionMiddleware(lambda request: HttpResponse(status=503))
    with django_assert_num_queries(0):
        response = middleware(request)
    assert "sessionid" not in response.cookies
    # Any other answer: Django's behaviour, the session saved and its cookie refreshed.
    middleware = SessionMiddleware(lambda request: HttpResponse(request.session["kept"]))
    response = middleware(request)
    assert response.content == b"yes"
    assert response.cookies["sessionid"].value == store.session_key


def test_a_session_the_database_went_away_before_saving_gives_the_503_page(
    rf, monkeypatch, database_gone
):
    def database_went_away(self, must_create=False):
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError:
            raise UpdateError from None

    monkeypatch.setattr(SessionStore, "save", database_went_away)
    request = rf.get("/crisis/calls/")
    request.COOKIES["sessionid"] = "a" * 32
    middleware = SessionMiddleware(lambda request: HttpResponse("the call log"))
    response = middleware(request)  # Django alone: SessionInterrupted, an unstyled 400
    assert response.status_code == 503
    assert "Sorry, the service is unavailable" in response.content.decode()


def test_an_error_page_is_never_stored_without_asking_who_is_signed_in(rf):
    def database_down():
        raise OperationalError("refused")

    request = rf.get("/")
    request.user = SimpleLazyObject(database_down)
    response = NoStoreForSignedInMiddleware(lambda request: HttpResponse(status=503))(request)
    assert "no-store" in response["Cache-Control"]


def test_a_page_waits_at_most_5_seconds_for_a_database_connection(settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["connect_timeout"] == 5
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
