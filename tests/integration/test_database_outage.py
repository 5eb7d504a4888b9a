"""The database goes away while the app runs, and comes back (issue #10, item 3).

The app runs as in production (gunicorn, two workers, production settings, persistent
connections with health checks) and reaches PostgreSQL through a proxy the tests cut: as a
restart (open connections dropped, new ones refused), as a host that stops answering (new
connections never answered), and just before a chosen statement reaches the database. The
shared PostgreSQL server itself is never touched.
"""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from crisisline.models import CrisisCall
from tests.accounts.conftest import code_for, confirmed_device
from tests.crisisline.test_calls import call_form_data
from tests.factories.accounts import PASSWORD
from tests.integration.live_server import CONNECT_TIMEOUT, Browser, Page, unescaped

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CALLS = "/crisis/calls/"
NEW_CALL = "/crisis/calls/new/"
NARRATIVE = "He said the voices are louder tonight & he's scared to be alone again."
# An answer while the database is refused comes at once; one while it hangs, after the
# connect timeout.
REFUSED_WITHIN = 2.0
HUNG_WITHIN = CONNECT_TIMEOUT + 2.0
LEAKS = ("Traceback", "OperationalError", "InterfaceError", "psycopg", "SELECT ", "postgres",
         'File "', "DATABASE", "SECRET_KEY", "settings.py")  # fmt: skip


def assert_unavailable_page(page: Page) -> None:
    assert page.status == 503, page.body[:1000]
    assert "Sorry, the service is unavailable" in page.body
    assert 'class="govuk-template' in page.body and "resettle.css" in page.body  # styled
    for leak in LEAKS:
        assert leak not in page.body, f"the error page shows {leak!r}"
    assert page.headers["Retry-After"] == "30"
    assert "no-store" in page.headers["Cache-Control"]


def health(live) -> tuple[Page, dict]:
    """As a monitor asks: no cookies."""
    page = Browser(live.port).get("/healthz")
    return page, json.loads(page.body)


def wait_until_loads(browser: Browser, path: str, within: float = 10) -> tuple[Page, float]:
    began = time.monotonic()
    while True:
        page = browser.get(path)
        if page.status == 200 or time.monotonic() - began > within:
            return page, time.monotonic() - began
        time.sleep(0.2)


def signed_in(live, user) -> Browser:
    """Through the real sign-in pages: password, then the authenticator app's code."""
    # Hashed as production hashes it (the tests' fast hasher is not one production accepts).
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())
    user.save(update_fields=["password"])
    device = confirmed_device(user)
    browser = Browser(live.port)
    home = browser.sign_in(user.email, PASSWORD, lambda: code_for(device))
    assert home.status == 200
    assert user.full_name in home.body
    return browser


def the_call(participant, service, issue: str) -> dict:
    return call_form_data(
        participant=participant.pk,
        service=service.pk,
        presenting_issue=issue,
        narrative=NARRATIVE,
        caller_type="participant",
    )


def test_during_a_restart_pages_fail_cleanly_and_recover_in_the_same_processes(
    live, personas, participant, service
):
    marcus = signed_in(live, personas["crisis_worker"])
    marcus.open_form(NEW_CALL)
    workers = live.worker_pids()

    live.proxy.cut()
    outage = [marcus.get(CALLS) for _ in range(4)]  # each worker's persistent connection
    for page in outage:
        assert_unavailable_page(page)
        assert page.took < REFUSED_WITHIN, f"an error page took {page.took:.1f}s"
    page, report = health(live)
    assert page.status == 503
    assert report["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    typed = the_call(participant, service, "Cannot cope tonight")
    lost = marcus.post(NEW_CALL, typed)
    assert_unavailable_page(lost)
    assert "may not have been saved" in lost.body
    assert NARRATIVE in unescaped(lost)  # what he typed, to copy before trying again
    assert lost.took < REFUSED_WITHIN

    live.proxy.restore()
    back, took = wait_until_loads(marcus, CALLS)
    assert back.status == 200, back.body[:1000]
    assert took < 5, f"pages came back {took:.1f}s after the database"
    assert "Marcus Bell" in back.body  # still signed in: the session outlived the outage
    assert live.worker_pids() == workers  # no worker restarted, nothing restarted by hand
    assert not CrisisCall.objects.exists()  # the call sent during the outage was not saved
    page, report = health(live)
    assert page.status == 200, report
    saved = marcus.post(NEW_CALL, typed)
    assert saved.status == 302
    assert CrisisCall.objects.get().presenting_issue == "Cannot cope tonight"


def test_when_the_database_stops_answering_pages_fail_after_the_connect_timeout(
    live, personas, participant, service
):
    marcus = signed_in(live, personas["crisis_worker"])
    workers = live.worker_pids()

    live.proxy.cut(hang=True)
    with ThreadPoolExecutor(max_workers=2) as both:  # one request on each worker
        asked = both.submit(marcus.get, CALLS)
        checked = both.submit(health, live)
        page = asked.result()
        health_page, report = checked.result()
    assert_unavailable_page(page)
    assert page.took < HUNG_WITHIN, f"the error page took {page.took:.1f}s"
    assert health_page.status == 503
    assert report["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert health_page.took < HUNG_WITHIN

    live.proxy.restore()
    back, _took = wait_until_loads(marcus, CALLS)
    assert back.status == 200
    assert "Marcus Bell" in back.body
    assert live.worker_pids() == workers


def test_a_call_being_saved_when_the_database_goes_is_not_half_saved(
    live, personas, participant, service
):
    marcus = signed_in(live, personas["crisis_worker"])
    marcus.open_form(NEW_CALL)
    # The call's row is written; the database goes before the timeline entry is.
    live.proxy.cut_when_sent(b'INSERT INTO "participants_timelineevent"')
    lost = marcus.post(NEW_CALL, the_call(participant, service, "Cut mid-save"))
    assert_unavailable_page(lost)
    assert NARRATIVE in unescaped(lost)

    live.proxy.restore()
    assert wait_until_loads(marcus, CALLS)[0].status == 200
    assert not CrisisCall.objects.exists()
    assert not participant.timeline_events.filter(category="crisis").exists()


def test_a_call_whose_save_was_not_confirmed_is_saved_once_and_the_page_says_to_check(
    live, personas, participant, service
):
    marcus = signed_in(live, personas["crisis_worker"])
    marcus.open_form(NEW_CALL)
    # The database commits the call, but its answer never reaches the app.
    live.proxy.cut_when_sent(
        b"COMMIT", after_forwarding=0.5, once_sent=b'INSERT INTO "crisisline_crisiscall"'
    )
    unconfirmed = marcus.post(NEW_CALL, the_call(participant, service, "Commit unconfirmed"))
    assert_unavailable_page(unconfirmed)
    assert "may not have been saved" in unconfirmed.body
    assert "check the call log" in unconfirmed.body

    live.proxy.restore()
    assert wait_until_loads(marcus, CALLS)[0].status == 200
    call = CrisisCall.objects.get()  # saved, once, with its timeline entry
    assert call.presenting_issue == "Commit unconfirmed"
    assert participant.timeline_events.filter(category="crisis").count() == 1
