"""Reports through a real Celery worker (prefork, as in production) consuming from Redis.

The request row in PostgreSQL is the source of truth: these tests read it, never the task
result. Faults are real: the worker's child is killed with SIGKILL mid-report, the report
store refuses the file, the broker address does not answer.
"""

import datetime
import os
import shutil
import signal
import subprocess
import time

import pytest
from django.utils import timezone

from reports import services
from reports.models import ReportRequest, ReportStatus
from reports.quarters import completed_quarters
from tests.integration.conftest import PRIVATE_ROOT, free_port, use_broker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(report, statuses=(ReportStatus.SUCCEEDED, ReportStatus.FAILED), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status in statuses:
            return report
        time.sleep(0.05)
    raise AssertionError(f"report still {report.status} after {timeout}s ({report.step})")


def files_for(report) -> list:
    return sorted(PRIVATE_ROOT.glob(f"reports/*/{report.pk}*"))


def ask_commissioner_report(personas, service):
    quarter = completed_quarters(timezone.localdate(), 1)[0]
    return services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )


def ask_compliance_report(personas, participant, days=120):
    today = timezone.localdate()
    return services.request_compliance_report(
        actor=personas["offender_manager"],
        participant=participant,
        start=today - datetime.timedelta(days=days),
        end=today,
    )


def test_both_reports_are_produced_by_the_worker(
    celery_through_worker, personas, service, participant
):
    commissioner_report, sent = ask_commissioner_report(personas, service)
    assert sent
    compliance_report, sent = ask_compliance_report(personas, participant)
    assert sent
    for report in (commissioner_report, compliance_report):
        wait_for(report)
        assert report.status == ReportStatus.SUCCEEDED, report.error_message
        assert report.progress == 100
        assert report.attempts == 1
        assert report.page_count >= 1
        with report.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
        assert files_for(report) == [PRIVATE_ROOT / report.file.name]


def test_a_failed_report_says_why_and_succeeds_when_tried_again(
    celery_through_worker, personas, service
):
    store = PRIVATE_ROOT / "reports"
    aside = PRIVATE_ROOT / "reports-aside"
    store.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(aside, ignore_errors=True)
    store.rename(aside)
    store.write_text("not a directory: the report store is broken")
    try:
        report, _sent = ask_commissioner_report(personas, service)
        wait_for(report)
        assert report.status == ReportStatus.FAILED
        assert "could not be saved" in report.error_message
        assert "Traceback" not in report.error_message
        assert not report.file
    finally:
        store.unlink()
        aside.rename(store)
    services.retry_report(actor=personas["service_manager"], report=report)
    wait_for(report)
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    assert report.error_message == ""
    assert files_for(report) == [PRIVATE_ROOT / report.file.name]


def _worker_children(worker) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def test_a_worker_killed_mid_report_leaves_one_report_and_one_file(
    celery_through_worker, celery_worker_process, personas, participant
):
    report, _sent = ask_compliance_report(personas, participant, days=3 * 365)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        report.refresh_from_db()
        if report.status == ReportStatus.RUNNING:
            break
        time.sleep(0.005)
    assert report.status == ReportStatus.RUNNING
    children = _worker_children(celery_worker_process)
    assert children, "the prefork worker has no child process"
    for pid in children:
        os.kill(pid, signal.SIGKILL)
    wait_for(report, timeout=90)
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    assert report.attempts == 2  # the killed run, then the redelivered one
    assert files_for(report) == [PRIVATE_ROOT / report.file.name]
    # Running it again (a duplicate delivery) changes nothing.
    before = (report.file.name, report.finished_at, report.file_size)
    assert services.produce_report(report.pk) == "nothing to do"
    report.refresh_from_db()
    assert (report.file.name, report.finished_at, report.file_size) == before


def test_with_the_broker_down_the_request_is_kept_and_the_sweep_sends_it(
    celery_through_worker, personas, service
):
    app = celery_through_worker
    working_broker = app.conf.broker_url
    use_broker(app, f"redis://127.0.0.1:{free_port()}/14")  # nothing listens here
    try:
        began = time.monotonic()
        report, sent = ask_commissioner_report(personas, service)
        took = time.monotonic() - began
    finally:
        use_broker(app, working_broker)
    assert not sent
    assert took < 10, f"asking took {took:.1f}s with the broker down"
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    assert report.last_sent_at is None
    outcome = services.sweep_reports(now=timezone.now() + datetime.timedelta(minutes=10))
    assert outcome["resent"] == 1
    wait_for(report)
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    assert ReportRequest.objects.filter(kind="commissioner", service=service).count() == 1
