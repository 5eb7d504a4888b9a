"""The load test's simulated staff: keyworkers, offender managers and crisis-line workers doing
what their day is made of, each signed in (password and authenticator app) with their own
session, against gunicorn with the production settings.

benchmarks/run.py writes the plan (sessions, their men, search words) and starts locust with
BENCH_LOAD_PLAN pointing at it. Requests go over plain HTTP on loopback with the header a
TLS-terminating proxy adds, so the production settings (secure cookies, HTTPS redirect, strict
CSRF origin checks) apply unchanged.
"""

import datetime
import itertools
import json
import os
import random
import re
from zoneinfo import ZoneInfo

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
ORIGIN = PLAN["origin"]
STAFF = itertools.cycle(PLAN["staff"])
REGISTER_ROW = re.compile(r'name="(a\d+)_outcome"')
LONDON = ZoneInfo("Europe/London")
SAMPLES: list[tuple[str, str, float, bool]] = []  # method, name, milliseconds, failed


@events.request.add_listener
def keep_sample(request_type, name, response_time, exception, **kwargs):
    SAMPLES.append((request_type, name, response_time, exception is not None))


@events.quitting.add_listener
def write_samples(environment, **kwargs):
    with open(os.environ["BENCH_LOAD_SAMPLES"], "w", encoding="utf-8") as out:
        json.dump(SAMPLES, out)


class Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # reading the page, typing: a person, not a script

    def on_start(self):
        self.me = next(STAFF)
        while self.me["role"] != self.role:
            self.me = next(STAFF)
        self.random = random.Random(self.me["session"])
        self.client.headers.update(
            {
                "Cookie": f"sessionid={self.me['session']}; csrftoken={self.me['csrf']}",
                "X-Forwarded-Proto": "https",
                "Origin": ORIGIN,
                "Referer": ORIGIN + "/",
            }
        )

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} for {path}")
            return r

    def post(self, path: str, data: dict, name: str, expect_redirect: bool = True):
        form = {"csrfmiddlewaretoken": self.me["csrf"], **data}
        with self.client.post(
            path, data=form, name=name, allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != (302 if expect_redirect else 200):
                r.failure(f"{r.status_code} for POST {path}: {r.text[:300]!r}")
            return r

    def one_of_my_men(self) -> dict:
        return self.random.choice(self.me["participants"])


class Keyworker(Staff):
    role = "keyworker"
    weight = 5

    @task(4)
    def my_day(self):
        self.page("/sessions/", "my day")

    @task(2)
    def my_caseload(self):
        self.page("/participants/caseload/mine/", "my caseload")

    @task(4)
    def participant(self):
        man = self.one_of_my_men()
        self.page(f"/participants/{man['id']}/", "participant overview")
        self.page(f"/sessions/participants/{man['id']}/", "sessions list")

    @task(2)
    def record_a_session(self):
        """Yesterday's key-work session written up, then its outcome: the form, the session page,
        the outcome (a session that has not happened yet takes no outcome)."""
        man = self.one_of_my_men()
        self.page(f"/sessions/new/?participant={man['id']}", "session form")
        day = datetime.datetime.now(LONDON).date() - datetime.timedelta(days=1)
        started = self.random.choice(["09:00", "10:30", "11:15"])
        created = self.post(
            "/sessions/new/",
            {
                "service": self.me["service"],
                "session_type": "keywork",
                "title": "Key-work session",
                "date_day": day.day,
                "date_month": day.month,
                "date_year": day.year,
                "start_time": started,
                "end_time": started[:3] + "50",
                "location_kind": "centre",
                "enforceable": "on",
                "participants": man["id"],
            },
            "record a session",
        )
        location = created.headers.get("Location", "")
        if not location:
            return
        detail = self.page(location, "session page")
        row = REGISTER_ROW.search(detail.text or "")
        if row:
            self.post(location + "register/", {f"{row.group(1)}_outcome": "attended"}, "register")


class OffenderManager(Staff):
    role = "offender_manager"
    weight = 3

    @task(3)
    def caseload(self):
        self.page("/participants/caseload/", "caseload")

    @task(4)
    def participant(self):
        man = self.one_of_my_men()
        self.page(f"/participants/{man['id']}/", "participant overview")
        self.page(f"/participants/{man['id']}/timeline/", "timeline")

    @task(1)
    def plan_history(self):
        man = self.one_of_my_men()
        self.page(f"/participants/{man['id']}/risk/history/plan/", "plan history")


class CrisisWorker(Staff):
    role = "crisis_worker"
    weight = 2

    @task(4)
    def search_and_summary(self):
        man = self.one_of_my_men()
        self.page(f"/crisis/?q={man['family_name']}", "crisis search")
        self.page(f"/crisis/people/{man['id']}/", "crisis summary")

    @task(1)
    def handover(self):
        self.page("/crisis/calls/", "call list")

    @task(2)
    def log_a_call(self):
        man = self.one_of_my_men()
        self.page(f"/crisis/calls/new/?participant={man['id']}", "call form")
        now = datetime.datetime.now(LONDON)
        self.post(
            "/crisis/calls/new/",
            {
                "participant": man["id"],
                "service": self.me["service"],
                "presenting_issue": "Low mood, asked to talk",
                "urgency": "routine",
                "caller_type": "participant",
                "started_date_day": now.day,
                "started_date_month": now.month,
                "started_date_year": now.year,
                "started_time": now.strftime("%H:%M"),
                "narrative": "Talked it through; he agreed to call his keyworker in the morning.",
            },
            "log a call",
        )
