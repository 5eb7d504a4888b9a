"""Repeated database outages while a crisis worker keeps logging calls (`make reliability`).

Marcus logs a call after another through the production server while his keyworker colleague
keeps opening the call log; meanwhile the database goes away again and again: restarts and silent
hosts of different lengths, and cuts just before a call's statement reaches the database or
just after its COMMIT did. Afterwards every call the server acknowledged exists exactly once,
none exists twice or half-saved, every refusal was the styled 503 page, and the same
processes served throughout. A summary is written to test-artifacts/reliability-summary.txt.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from crisisline.models import CrisisCall
from participants.models import TimelineEvent
from tests.integration.live_server import CONNECT_TIMEOUT, LOG_DIR
from tests.integration.test_database_outage import (
    CALLS,
    NEW_CALL,
    assert_unavailable_page,
    signed_in,
    the_call,
    wait_until_loads,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]

# (what happens, seconds the database stays away); the database is back for UP seconds between.
OUTAGES = [
    ("restart", 0.3),
    ("restart", 2.0),
    ("hang", 1.0),
    ("before the call is written", 1.0),
    ("restart", 0.05),
    ("after its COMMIT", 1.5),
    ("hang", CONNECT_TIMEOUT + 2),
    ("restart", 5.0),
    ("before the call is written", 0.5),
    ("after its COMMIT", 0.5),
    ("restart", 1.0),
    ("hang", 3.0),
]
UP = 3.0
# Worst case for one request: a connection lost mid-transaction, then Django's reconnect to
# restore autocommit, each waiting out the connect timeout.
SLOWEST_ANSWER = 2 * CONNECT_TIMEOUT + 2


@dataclass
class Sent:
    issue: str
    status: int
    took: float
    page_ok: bool


class CallLogger(threading.Thread):
    """Logs "Soak call 1", "Soak call 2"… one after another until stopped."""

    def __init__(self, browser, participant, service):
        super().__init__(daemon=True)
        self.browser = browser
        self.participant = participant
        self.service = service
        self.sent: list[Sent] = []
        self.stop = threading.Event()

    def run(self):
        number = 0
        while not self.stop.is_set():
            number += 1
            issue = f"Soak call {number}"
            try:
                page = self.browser.post(NEW_CALL, the_call(self.participant, self.service, issue))
            except OSError:  # no answer at all: that would be a failure of its own
                self.sent.append(Sent(issue, 0, 0.0, False))
                continue
            self.sent.append(Sent(issue, page.status, page.took, _page_ok(page)))
            time.sleep(0.05)


class Reader(threading.Thread):
    """Keeps opening the call log, as the day team would."""

    def __init__(self, browser):
        super().__init__(daemon=True)
        self.browser = browser
        self.statuses: Counter = Counter()
        self.slowest = 0.0
        self.bad_pages = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            try:
                page = self.browser.get(CALLS)
            except OSError:
                self.statuses[0] += 1
                continue
            self.statuses[page.status] += 1
            self.slowest = max(self.slowest, page.took)
            if not _page_ok(page):
                self.bad_pages += 1
            time.sleep(0.1)


def _page_ok(page) -> bool:
    if page.status in (200, 302):
        return True
    try:
        assert_unavailable_page(page)
    except AssertionError:
        return False
    return True


def _go_away(proxy, kind: str) -> None:
    if kind == "restart":
        proxy.cut()
    elif kind == "hang":
        proxy.cut(hang=True)
    elif kind == "before the call is written":
        proxy.cut_when_sent(b'INSERT INTO "crisisline_crisiscall"')
    else:
        proxy.cut_when_sent(
            b"COMMIT", after_forwarding=0.3, once_sent=b'INSERT INTO "crisisline_crisiscall"'
        )


def test_every_acknowledged_call_survives_repeated_outages_exactly_once(
    live, personas, participant, service
):
    poster = signed_in(live, personas["crisis_worker"])
    poster.open_form(NEW_CALL)
    reader = signed_in(live, personas["keyworker"])  # the day team reads the call log
    workers = live.worker_pids()
    logger, colleague = CallLogger(poster, participant, service), Reader(reader)
    logger.start()
    colleague.start()
    recoveries = []
    began = time.monotonic()
    try:
        for kind, seconds in OUTAGES:
            time.sleep(UP)
            _go_away(live.proxy, kind)
            time.sleep(seconds)
            live.proxy.restore()
            recoveries.append(wait_until_loads(reader, CALLS, within=20)[1])
        time.sleep(UP)
    finally:
        logger.stop.set()
        colleague.stop.set()
        logger.join(timeout=30)
        colleague.join(timeout=30)
        live.proxy.restore()
    took = time.monotonic() - began

    acknowledged = [s.issue for s in logger.sent if s.status == 302]
    refused = [s.issue for s in logger.sent if s.status == 503]
    saved = Counter(CrisisCall.objects.values_list("presenting_issue", flat=True))
    on_timeline = Counter(
        title.split(": ", 1)[1]
        for title in TimelineEvent.objects.filter(category="crisis").values_list("title", flat=True)
    )
    in_doubt = [issue for issue in refused if saved[issue]]
    summary = "\n".join(
        [
            f"{len(OUTAGES)} outages in {took:.0f}s: "
            + ", ".join(f"{kind} {seconds:g}s" for kind, seconds in OUTAGES),
            f"calls sent {len(logger.sent)}: acknowledged {len(acknowledged)}, "
            f"refused with the 503 page {len(refused)} "
            f"(of which saved all the same, the page having said 'may not have been saved': "
            f"{len(in_doubt)}), other answers "
            f"{len(logger.sent) - len(acknowledged) - len(refused)}",
            f"slowest answer to a call: {max(s.took for s in logger.sent):.1f}s; "
            f"slowest refusal: {max((s.took for s in logger.sent if s.status == 503), default=0):.1f}s",
            f"call log opened: {dict(colleague.statuses)}, slowest {colleague.slowest:.1f}s",
            "pages loading again after the database came back: "
            + ", ".join(f"{r:.1f}s" for r in recoveries),
            f"gunicorn workers before {sorted(workers)}, after {sorted(live.worker_pids())}",
        ]
    )
    (LOG_DIR / "reliability-summary.txt").write_text(summary + "\n")
    print("\n" + summary)

    assert all(s.status in (302, 503) for s in logger.sent), summary
    assert all(s.page_ok for s in logger.sent), "a refusal was not the styled 503 page"
    assert set(colleague.statuses) <= {200, 503} and colleague.bad_pages == 0, summary
    assert refused, "no call was sent during an outage: the run proved nothing"
    assert len(acknowledged) > len(OUTAGES)
    for issue in acknowledged:
        assert saved[issue] == 1, f"{issue} was acknowledged but saved {saved[issue]} times"
    assert all(count == 1 for count in saved.values()), "a call was saved twice"
    assert on_timeline == saved, "a call was saved without its timeline entry, or the reverse"
    assert max(s.took for s in logger.sent) < SLOWEST_ANSWER, summary
    assert max(recoveries) < 5, summary
    assert live.worker_pids() == workers, "a worker was restarted"
