"""A report whose rendering takes too long ends, within its time limit, as a plain "could not
be generated" — never left running — and leaves no file.

The document is real content: a licence condition holding a 30,000-character run with no
space (a pasted encoded attachment, say). Breaking it into lines takes WeasyPrint tens of
seconds. A worker of this module's own, on its own queue, runs with a 2-second soft limit
and a 20-second hard limit (REPORT_SOFT_TIME_LIMIT / REPORT_TIME_LIMIT in its environment,
and on the task as it is sent, as in a deployment where both read the same environment).
"""

import datetime
import time

import pytest
from django.utils import timezone

from participants import services as participant_services
from participants.models import Licence, LicenceCondition
from reports import services
from reports.models import ReportRequest, ReportStatus
from reports.tasks import produce_report_task
from tests.integration.conftest import (
    PRIVATE_ROOT,
    database_name,
    start_worker,
    stop_worker,
    tasks_through_redis,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUEUE = "reports-pathological"
SOFT_LIMIT, HARD_LIMIT = 2, 20
# Saving the failure, and the worker noticing the limit between two steps of the layout.
MARGIN = 5


@pytest.fixture(scope="module")
def slow_report_worker(django_db_setup, django_db_blocker):
    worker, log = start_worker(
        database_name(django_db_blocker),
        hostname="pathological-worker@%h",
        log_name="celery-pathological-worker.log",
        queues=QUEUE,
        extra_env={
            "REPORT_SOFT_TIME_LIMIT": str(SOFT_LIMIT),
            "REPORT_TIME_LIMIT": str(HARD_LIMIT),
        },
    )
    yield worker
    stop_worker(worker, log)


@pytest.fixture
def sent_to_the_slow_worker(slow_report_worker, settings, monkeypatch):
    with tasks_through_redis(settings):
        monkeypatch.setattr(
            services,
            "send_to_worker",
            lambda report_id: bool(
                produce_report_task.apply_async(
                    args=[str(report_id)],
                    queue=QUEUE,
                    retry=False,
                    # Celery sends the task's limits with it, read where it is sent from: here
                    # the deployment's REPORT_*_TIME_LIMIT as the worker's environment has them.
                    soft_time_limit=SOFT_LIMIT,
                    time_limit=HARD_LIMIT,
                )
            ),
        )
        yield


def wait_until_finished(report: ReportRequest, timeout: float) -> list[str]:
    """Poll the row until it has finished; the statuses seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if not seen or seen[-1] != report.status:
            seen.append(report.status)
        if report.status in (ReportStatus.SUCCEEDED, ReportStatus.FAILED):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"still {report.status} after {timeout}s ({report.step}): {seen}")


def test_a_report_too_slow_to_render_fails_plainly_within_its_limit(
    sent_to_the_slow_worker, personas, participant
):
    om = personas["offender_manager"]
    today = timezone.localdate()
    start = today - datetime.timedelta(days=28)
    licence = participant_services.save_licence(
        participant=participant, actor=om,
        licence=Licence(starts_on=start, ends_on=today + datetime.timedelta(days=300)),
    )  # fmt: skip
    participant_services.save_condition(
        licence=licence, actor=om,
        condition=LicenceCondition(
            category="other", text="Attachment: " + "QUJD" * 7500, starts_on=start
        ),
    )  # fmt: skip

    report, sent = services.request_compliance_report(
        actor=om, participant=participant, start=start, end=today
    )
    assert sent
    seen = wait_until_finished(report, timeout=HARD_LIMIT * 3)

    assert report.status == ReportStatus.FAILED, seen
    assert report.error_message == (
        f"The report could not be generated within the {SOFT_LIMIT}-second limit. Try a "
        f"shorter period, or tell the service desk (reference {report.pk})."
    )
    assert report.step == "Failed"
    assert report.attempts == 1  # stopped by the soft limit, not killed and sent again
    # From the moment it was asked for, it was finished within the limit and a small margin.
    took = (report.finished_at - report.requested_at).total_seconds()
    assert took <= SOFT_LIMIT + MARGIN, f"it took {took:.1f}s"
    assert not report.file
    assert sorted(PRIVATE_ROOT.glob(f"reports/*/{report.pk}*")) == []
