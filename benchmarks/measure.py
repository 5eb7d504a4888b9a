"""Measure the main pages, or the three PDFs, against one generated database; print JSON.

Run by benchmarks/run.py in a fresh process per database (settings are read once):

    DATABASE_URL=... DJANGO_SETTINGS_MODULE=benchmarks.settings python -m benchmarks.measure pages
    DATABASE_URL=... DJANGO_SETTINGS_MODULE=benchmarks.settings python -m benchmarks.measure pdfs

Server time is the wall time of one request through the whole middleware stack in this
process (Django's test client: no sockets, so only the server's own work is counted).
"""

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from benchmarks.constants import (
    FOCUS_EMAILS,
    FOCUS_PARTICIPANT_PRISON_NUMBER,
    FOCUS_SERVICE_NAME,
)
from participants.models import Allocation, Participant, ParticipantQuerySet, Stage
from reports import commissioner
from reports.models import ReportKind, ReportRequest
from reports.pdf import render_pdf
from reports.quarters import Quarter
from reports.services import build_html
from resettle.access import access_for
from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import Role


@dataclass(frozen=True)
class Page:
    name: str
    persona: str
    path: Callable[[Participant], str]


PAGES = [
    Page("trivial signed-in page", "keyworker", lambda p: reverse("bench_trivial")),
    Page("caseload", "offender_manager", lambda p: reverse("participants:caseload")),
    Page("my caseload", "keyworker", lambda p: reverse("participants:my_caseload")),
    Page("participant overview", "offender_manager", lambda p: p_url("participants:overview", p)),
    Page("timeline", "offender_manager", lambda p: p_url("participants:timeline", p)),
    Page("change history", "offender_manager", lambda p: p_url("participants:history", p)),
    Page("sessions list", "keyworker", lambda p: p_url("keywork:participant_sessions", p)),
    Page("my day", "keyworker", lambda p: reverse("keywork:my_day")),
    Page(
        "plan history",
        "offender_manager",
        lambda p: reverse("riskplans:history", args=[p.pk, "plan"]),
    ),
    Page(
        "crisis search",
        "crisis_worker",
        lambda p: reverse("crisisline:search") + f"?q={p.family_name}",
    ),
    Page("crisis summary", "crisis_worker", lambda p: p_url("crisisline:summary", p)),
    Page("handover", "keyworker", lambda p: reverse("crisisline:handover")),
    Page("reports list", "service_manager", lambda p: reverse("reports:list")),
    Page("home (service manager)", "service_manager", lambda p: reverse("core:home")),
]


def p_url(name: str, participant: Participant) -> str:
    return reverse(name, args=[participant.pk])


def signed_in_client(persona: str) -> Client:
    """A client signed in with password and authenticator app, as in production."""
    user = User.objects.get(email=FOCUS_EMAILS[persona])
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Benchmark", defaults={"confirmed": True}
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def timed_get(client: Client, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}, not 200")
    return elapsed


def median_time(client: Client, path: str, repeats: int, warm_up: int) -> float:
    for _ in range(warm_up):
        timed_get(client, path)
    return statistics.median(timed_get(client, path) for _ in range(repeats))


def query_count(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries.captured_queries)


@contextmanager
def without_permission_filter():
    """The same caseload with the access filter taken away: every participant in the database."""
    with mock.patch.object(ParticipantQuerySet, "visible_to", lambda self, access: self.all()):
        yield


def measure_pages(repeats: int, warm_up: int) -> dict:
    participant = Participant.objects.get(prison_number=FOCUS_PARTICIPANT_PRISON_NUMBER)
    clients = {persona: signed_in_client(persona) for persona in {p.persona for p in PAGES}}
    results = {}
    # Interleave the pages round by round so a slow moment of the machine hits all of them.
    samples: dict[str, list[float]] = {page.name: [] for page in PAGES}
    for page in PAGES:
        for _ in range(warm_up):
            timed_get(clients[page.persona], page.path(participant))
    for _ in range(repeats):
        for page in PAGES:
            samples[page.name].append(timed_get(clients[page.persona], page.path(participant)))
    for page in PAGES:
        results[page.name] = {
            "seconds": statistics.median(samples[page.name]),
            "queries": query_count(clients[page.persona], page.path(participant)),
            "path": page.path(participant),
        }
    caseload = reverse("participants:caseload")
    om = clients["offender_manager"]
    filtered, unfiltered = [], []
    for _ in range(repeats):
        filtered.append(timed_get(om, caseload))
        with without_permission_filter():
            unfiltered.append(timed_get(om, caseload))
    results["_caseload_filter"] = {
        "filtered": statistics.median(filtered),
        "unfiltered": statistics.median(unfiltered),
        "rows_visible": Participant.objects.visible_to(
            access_for(User.objects.get(email=FOCUS_EMAILS["offender_manager"]))
        ).count(),
        "rows_all": Participant.objects.count(),
    }
    results["_dataset"] = {
        "participants": Participant.objects.count(),
        "services": Service.objects.count(),
    }
    return results


def measure_pdfs(repeats: int) -> dict:
    today = timezone.localdate()
    quarter = Quarter.containing(today).previous()
    participant = Participant.objects.get(prison_number=FOCUS_PARTICIPANT_PRISON_NUMBER)
    service = Service.objects.get(name=FOCUS_SERVICE_NAME)
    one_page = (
        "<html><head><title>One page</title></head><body><h1>One page</h1>"
        "<p>A one-page document, for comparison.</p></body></html>"
    )

    def produce(report: ReportRequest | None) -> tuple[float, int]:
        began = time.perf_counter()
        html = build_html(report)[0] if report is not None else one_page
        rendered = render_pdf(html)
        return time.perf_counter() - began, rendered.pages

    def median_of(report) -> dict:
        runs = [produce(report) for _ in range(repeats)]
        return {"seconds": statistics.median(s for s, _ in runs), "pages": runs[0][1]}

    results = {
        "_repeats": repeats,
        "one-page document": median_of(None),
        "licence compliance (12 months)": median_of(
            ReportRequest(
                kind=ReportKind.COMPLIANCE,
                service=service,
                participant=participant,
                period_start=today - datetime.timedelta(days=365),
                period_end=today,
            )
        ),
        "commissioner (one service, one quarter)": median_of(
            ReportRequest(
                kind=ReportKind.COMMISSIONER,
                service=service,
                period_start=quarter.start,
                period_end=quarter.end,
            )
        ),
        "national roll-up": median_of(
            ReportRequest(
                kind=ReportKind.NATIONAL, period_start=quarter.start, period_end=quarter.end
            )
        ),
    }
    began = time.perf_counter()
    service_ids = list(Service.objects.values_list("pk", flat=True))
    for service_id in service_ids:
        commissioner.gather_counts([service_id], quarter)
    results["_all_services_counted"] = {
        "seconds": time.perf_counter() - began,
        "services": len(service_ids),
        "quarter": quarter.label,
    }
    return results


LOAD_ROLES = {"keyworker": 25, "offender_manager": 15, "crisis_worker": 10}


def write_load_plan(origin: str) -> dict:
    """Signed-in sessions for the load test's staff, from services other than the focus one (so
    the focus service stays as generated), with the men each of them works with."""
    role_names = {
        "keyworker": Role.HEALTH_KEYWORKER,
        "offender_manager": Role.OFFENDER_MANAGER,
        "crisis_worker": Role.CRISIS_LINE_WORKER,
    }
    active = [Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON]
    staff: list[dict] = []
    for role, wanted in LOAD_ROLES.items():
        memberships = (
            Membership.objects.filter(role=role_names[role], user__is_active=True)
            .exclude(service__name=FOCUS_SERVICE_NAME)
            .select_related("user", "service")
            .order_by("user__email")
        )
        for membership in memberships:
            if sum(1 for s in staff if s["role"] == role) == wanted:
                break
            user = membership.user
            if role == "crisis_worker":
                men = Participant.objects.filter(service=membership.service, stage__in=active)
            else:
                men = Participant.objects.filter(
                    pk__in=Allocation.objects.filter(staff=user, ended_on__isnull=True).values(
                        "participant"
                    ),
                    stage__in=active,
                )
            picked = list(men.order_by("pk").values("id", "family_name")[:30])
            if not picked:
                continue
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="Benchmark", defaults={"confirmed": True}
            )
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.create()
            staff.append(
                {
                    "role": role,
                    "session": session.session_key,
                    "csrf": get_random_string(32),
                    "service": membership.service_id,
                    "participants": [
                        {"id": str(m["id"]), "family_name": m["family_name"]} for m in picked
                    ],
                }
            )
    missing = {
        role: wanted - sum(1 for s in staff if s["role"] == role)
        for role, wanted in LOAD_ROLES.items()
    }
    if any(missing.values()):
        raise SystemExit(f"Not enough staff with men in the dataset for the load test: {missing}")
    return {"origin": origin, "staff": staff}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["pages", "pdfs", "load-plan"])
    parser.add_argument("--origin", default="https://127.0.0.1:8000")
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--warm-up", type=int, default=3)
    args = parser.parse_args(argv)
    if args.what == "pages":
        results = measure_pages(args.repeats, args.warm_up)
    elif args.what == "pdfs":
        results = measure_pdfs(max(3, args.repeats // 5))
    else:
        results = write_load_plan(args.origin)
    json.dump(results, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
