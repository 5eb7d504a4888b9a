"""Redis (the Celery broker) is down: the service keeps working (issue #10, item 1).

Celery is not eager and the broker address is a closed port, as when Redis has stopped. Every
network connection Python code opens (redis-py and kombu do; PostgreSQL's libpq and Django's
test client do not) and every task published is recorded: only asking for a report may try
the broker. That the kept request is sent once Redis is back is proved with a real worker in
test_report_worker.py::test_with_the_broker_down_the_request_is_kept_and_the_sweep_sends_it.
"""

import json
import re
import socket
import time
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.urls import reverse
from django.utils import timezone

from crisisline.models import CrisisCall
from reports.models import ReportRequest, ReportStatus
from reports.quarters import completed_quarters
from reports.views import BROKER_DOWN_MESSAGE
from sessions.models import Attendance, Outcome
from tests.crisisline.test_calls import call_form_data
from tests.factories import ParticipantFactory
from tests.factories.accounts import PASSWORD
from tests.sessions.test_access import group_session

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
# A request that works without Redis answers well within this (the broker timeout is 2 s).
FAST = 3.0


class Tripwire:
    """Records every outgoing connection made from Python and every Celery task published."""

    def __init__(self, monkeypatch, broker_url: str):
        self.broker_port = int(broker_url.rsplit(":", 1)[1].split("/")[0])
        self.connections: list = []
        self.published: list[str] = []
        real_connect = socket.socket.connect
        tripwire = self

        def recording_connect(sock, address):
            tripwire.connections.append(address)
            return real_connect(sock, address)

        monkeypatch.setattr(socket.socket, "connect", recording_connect)
        before_task_publish.connect(self._published, weak=False)

    def _published(self, sender=None, **_kwargs):
        self.published.append(sender)

    def stop(self):
        before_task_publish.disconnect(self._published)

    def ports_tried(self) -> set[int]:
        return {port for _host, port in self.connections}

    def assert_untouched(self):
        assert self.connections == [], f"a request path opened {self.connections}"
        assert self.published == [], f"a request path published {self.published}"


@pytest.fixture
def tripwire(broker_unreachable, monkeypatch):
    wire = Tripwire(monkeypatch, broker_unreachable)
    yield wire
    wire.stop()


def sign_in(client, user):
    """Through the real sign-in form (django-axes counts attempts on the way)."""
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def timed(call, *args, **kwargs):
    began = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - began


def test_the_crisis_worker_signs_in_and_logs_a_call_at_once(
    client, personas, participant, service, tripwire
):
    sign_in(client, personas["crisis_worker"])
    form, _took = timed(client.get, reverse("crisisline:call_add"))
    assert form.status_code == 200
    data = call_form_data(
        participant=participant.pk,
        service=service.pk,
        presenting_issue="Says he cannot cope tonight",
        narrative="Talked it through; agreed he will call his keyworker in the morning.",
    )
    response, took = timed(client.post, reverse("crisisline:call_add"), data, follow=True)
    call = CrisisCall.objects.get()
    assert response.redirect_chain == [(reverse("crisisline:call_detail", args=[call.pk]), 302)]
    assert "Call logged" in response.content.decode()
    assert took < FAST, f"logging a call took {took:.1f}s with Redis down"
    assert call.presenting_issue == "Says he cannot cope tonight"
    assert call.recorded_by == personas["crisis_worker"]
    assert participant.timeline_events.filter(category="crisis").count() == 1
    tripwire.assert_untouched()


def test_a_keyworker_records_attendance_and_a_register(
    client, personas, participant, service, tripwire
):
    keyworker = personas["keyworker"]
    daniel = ParticipantFactory(service=service, given_name="Daniel", family_name="Hughes")
    session = group_session(service, keyworker, [participant, daniel])
    jamal_there = Attendance.objects.get(session=session, participant=participant)
    daniel_there = Attendance.objects.get(session=session, participant=daniel)
    sign_in(client, keyworker)

    one, took_one = timed(
        client.post,
        reverse("keywork:record_outcome", args=[session.pk, jamal_there.pk]),
        {"outcome": Outcome.ATTENDED},
    )
    register, took_register = timed(
        client.post,
        reverse("keywork:register", args=[session.pk]),
        {f"a{daniel_there.pk}_outcome": Outcome.LATE},
    )

    assert one.status_code == 302
    assert register.status_code == 302
    assert max(took_one, took_register) < FAST
    jamal_there.refresh_from_db()
    daniel_there.refresh_from_db()
    assert (jamal_there.outcome, jamal_there.recorded_by) == (Outcome.ATTENDED, keyworker)
    assert (daniel_there.outcome, daniel_there.recorded_by) == (Outcome.LATE, keyworker)
    page = client.get(reverse("keywork:session_detail", args=[session.pk])).content.decode()
    assert "1 outcome recorded" in page
    tripwire.assert_untouched()


def main_pages(participant) -> dict[str, list[str]]:
    record = [participant.pk]
    return {
        "crisis_worker": [
            reverse("core:home"),
            reverse("crisisline:search") + "?q=Okoro",
            reverse("crisisline:summary", args=record),
            reverse("crisisline:call_list"),
            reverse("crisisline:call_add"),
        ],
        "keyworker": [
            reverse("core:home"),
            reverse("keywork:my_day"),
            reverse("participants:my_caseload"),
            reverse("participants:overview", args=record),
            reverse("participants:timeline", args=record),
            reverse("riskplans:overview", args=record),
            reverse("keywork:participant_sessions", args=record),
            reverse("crisisline:handover"),
        ],
        "service_manager": [
            reverse("core:home"),
            reverse("participants:caseload"),
            reverse("participants:referral_list"),
            reverse("reports:list"),
            reverse("reports:commissioner_new"),
        ],
    }


@pytest.mark.parametrize("persona", ["crisis_worker", "keyworker", "service_manager"])
def test_the_main_pages_open(client, personas, participant, persona, tripwire):
    sign_in(client, personas[persona])
    for url in main_pages(participant)[persona]:
        response, took = timed(client.get, url)
        assert response.status_code == 200, url
        assert took < FAST, f"{url} took {took:.1f}s with Redis down"
    tripwire.assert_untouched()


def test_healthz_reports_redis_down_and_the_database_up(client, tripwire):
    response, took = timed(client.get, reverse("core:healthz"))
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    report = json.loads(response.content)
    assert report["status"] == "unhealthy"
    assert report["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert report["checks"]["database"]["ok"] is True
    assert took < FAST
    # /healthz is the one place besides report requests that goes to Redis: to check it.
    assert tripwire.ports_tried() == {tripwire.broker_port}


# Committed for real, as in a request (no test transaction around it): the request is handed
# to the broker at once, not after an outer commit that never comes.
@pytest.mark.django_db(transaction=True)
def test_a_report_asked_for_is_kept_and_the_user_told_plainly(client, personas, service, tripwire):
    quarter = completed_quarters(timezone.localdate(), 1)[0]
    sign_in(client, personas["service_manager"])
    response, took = timed(
        client.post,
        reverse("reports:commissioner_new"),
        {"service": service.pk, "quarter": quarter.key},
        follow=True,
    )
    report = ReportRequest.objects.get()
    assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
    assert BROKER_DOWN_MESSAGE in response.content.decode()
    assert took < FAST, f"asking took {took:.1f}s with the broker down"
    assert report.status == ReportStatus.QUEUED
    assert report.last_sent_at is None  # so the sweep sends it when Redis is back
    # Only the hand-over to the broker was tried, and it went nowhere else.
    assert tripwire.published == ["reports.produce_report"]
    assert tripwire.ports_tried() == {tripwire.broker_port}


# Application code that may publish a task or reach Redis, and why. Anything else in a request
# path doing so would make pages depend on Redis being up.
ALLOWED_BROKER_USE = {
    "reports/services.py": "send_to_worker: hands a saved report request to the broker",
    "resettle/core/health.py": "/healthz checks Redis",
}
BROKER_USE = re.compile(
    r"\.delay\(|\.apply_async\(|\.send_task\(|^\s*(?:import|from) (?:redis|kombu)\b"
    r"|django\.core\.cache|SESSION_ENGINE|AXES_HANDLER|MESSAGE_STORAGE|CACHES",
    re.MULTILINE,
)


def test_only_report_requests_and_healthz_reach_the_broker_in_the_code():
    apps = ["resettle", "participants", "riskplans", "sessions", "crisisline", "reports"]
    users = set()
    for app in apps:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name in {"tasks.py", "celery.py"}:
                continue  # tasks run on the worker; celery.py configures the app
            if BROKER_USE.search(path.read_text()):
                users.add(str(path.relative_to(ROOT)))
    assert users == set(ALLOWED_BROKER_USE)
    # Sessions, sign-in throttling and messages keep to the database (and cookies).
    from axes.conf import settings as axes_settings
    from django.conf import settings

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert axes_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
