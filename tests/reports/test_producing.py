"""Asking for reports and producing them: checks on what is asked, exactly one file however
often a task runs, plain messages when it fails, the sweep, the schedule and approval."""

import datetime

import pypdf
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from reports import services
from reports.models import ReportKind, ReportRequest, ReportStatus, report_storage
from reports.quarters import Quarter, completed_quarters
from reports.views import BROKER_DOWN_MESSAGE
from resettle.accounts.roles import Role
from resettle.audit import system_account
from tests.access_matrix import assert_status
from tests.factories import staff_member


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


@pytest.fixture
def ask_compliance(participant, personas):
    """The offender manager asks for Jamal's report for the last four weeks."""

    def ask(**overrides):
        fields = {
            "actor": personas["offender_manager"],
            "participant": participant,
            "start": days_ago(28),
            "end": days_ago(0),
        }
        return services.request_compliance_report(**(fields | overrides))

    return ask


@pytest.fixture
def ask_commissioner(service, personas, quarter):
    def ask():
        return services.request_commissioner_report(
            actor=personas["service_manager"], service=service, quarter=quarter
        )

    return ask


# --- Asking ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "start", "end", "message"),
    [
        ("offender_manager", 10, 20, "The end date must be the same as or after the start date"),
        ("offender_manager", 10, -1, "The end date must be today or in the past"),
        ("offender_manager", 3 * 366 + 1, 0, "A report can cover at most 3 years"),
        ("other_om", 28, 0, "Only his offender manager or a service manager can ask"),
        ("keyworker", 28, 0, "Only his offender manager or a service manager can ask"),
        ("outsider_manager", 28, 0, "Only his offender manager or a service manager can ask"),
    ],
)
def test_a_compliance_report_request_is_checked_before_it_is_saved(
    ask_compliance, personas, service, who, start, end, message
):
    personas["other_om"] = staff_member(Role.OFFENDER_MANAGER, service, full_name="Dev Patel")
    with pytest.raises(ValidationError) as error:
        ask_compliance(actor=personas[who], start=days_ago(start), end=days_ago(end))
    assert message in messages_of(error.value)
    assert not ReportRequest.objects.exists()


@pytest.mark.django_db
def test_a_commissioner_report_needs_an_ended_quarter_and_the_services_manager(
    service, personas, quarter
):
    current = Quarter.containing(timezone.localdate())
    with pytest.raises(ValidationError, match="Choose a quarter that has ended"):
        services.request_commissioner_report(
            actor=personas["service_manager"], service=service, quarter=current
        )
    for who in ("offender_manager", "commissioner", "outsider_manager"):
        with pytest.raises(ValidationError, match="Only the service's manager"):
            services.request_commissioner_report(
                actor=personas[who], service=service, quarter=quarter
            )
    with pytest.raises(ValidationError, match="Choose a quarter that has ended"):
        services.request_national_rollup(actor=personas["commissioner"], quarter=current)
    with pytest.raises(ValidationError, match="Only commissioners"):
        services.request_national_rollup(actor=personas["service_manager"], quarter=quarter)
    assert not ReportRequest.objects.exists()


# --- Producing exactly once -----------------------------------------------------------------


@pytest.mark.django_db
def test_producing_again_after_success_changes_nothing(ask_commissioner, files_of):
    report, sent = ask_commissioner()
    assert sent and report.status == ReportStatus.SUCCEEDED
    (path,) = files_of(report)
    content, figures, name = path.read_bytes(), report.figures, report.file.name
    assert name == f"reports/commissioner/{report.pk}.pdf"
    assert content.startswith(b"%PDF")

    assert services.produce_report(report.pk) == "nothing to do"
    report.refresh_from_db()
    assert files_of(report) == [path]
    assert path.read_bytes() == content
    assert (report.figures, report.file.name, report.attempts) == (figures, name, 1)
    # Asking again for the quarter gives the same report, not a second one.
    again, _ = ask_commissioner()
    assert again.pk == report.pk
    assert ReportRequest.objects.count() == 1


@pytest.mark.django_db
def test_a_failure_says_what_to_do_and_trying_again_produces_one_file(
    ask_compliance, personas, monkeypatch, files_of, read_pdf
):
    def broken(html):
        raise RuntimeError("Traceback (most recent call last): cairo at 0x7f secret-detail")

    monkeypatch.setattr(services, "render_pdf", broken)
    report, sent = ask_compliance()
    assert sent
    assert report.status == ReportStatus.FAILED
    assert report.error_message == (
        "The report could not be generated because of an unexpected error. Try again; "
        f"if it fails again, tell the service desk (reference {report.pk})."
    )
    assert "Traceback" not in report.error_message and "secret" not in report.error_message
    assert report.step == "Failed" and report.finished_at is not None
    assert files_of(report) == []

    monkeypatch.undo()  # rendering works again
    assert services.retry_report(actor=personas["offender_manager"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED
    assert (report.error_message, report.attempts, report.progress) == ("", 1, 100)
    assert len(files_of(report)) == 1
    assert "Jamal Okoro" in read_pdf(report).text
    with pytest.raises(ValidationError, match="Only a failed report can be tried again"):
        services.retry_report(actor=personas["offender_manager"], report=report)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (
            SoftTimeLimitExceeded(),
            f"could not be generated within the {settings.REPORT_SOFT_TIME_LIMIT}-second limit. "
            "Try a shorter period",
        ),
        (MemoryError(), "it needed more memory than a report may use. Try a shorter period"),
    ],
)
def test_a_report_too_big_to_make_says_so(ask_compliance, monkeypatch, files_of, problem, message):
    def render(html):
        raise problem

    monkeypatch.setattr(services, "render_pdf", render)
    report, _sent = ask_compliance()
    assert report.status == ReportStatus.FAILED
    assert message in report.error_message
    assert str(report.pk) in report.error_message
    assert files_of(report) == []


@pytest.mark.django_db
def test_a_report_whose_runs_all_stopped_fails_after_the_last_attempt(ask_compliance, broker_down):
    report, sent = ask_compliance()
    assert not sent
    ReportRequest.objects.filter(pk=report.pk).update(attempts=services.MAX_ATTEMPTS)
    broker_down.come_back()
    assert services.produce_report(report.pk) == "nothing to do"
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error_message.startswith(
        f"The report could not be produced after {services.MAX_ATTEMPTS} attempts"
    )
    assert not report.file


# --- The broker and the sweep ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_made_while_the_broker_is_down_is_sent_by_the_sweep(
    ask_compliance, broker_down, files_of
):
    report, sent = ask_compliance()
    assert sent is False
    assert broker_down.tries == 1
    report.refresh_from_db()
    assert (report.status, report.last_sent_at, report.attempts) == (ReportStatus.QUEUED, None, 0)

    later = timezone.now() + datetime.timedelta(minutes=10)
    # Too soon to re-send; then still down.
    assert services.sweep_reports(now=timezone.now())["resent"] == 0
    assert services.sweep_reports(now=later) == {"resent": 0, "rescued": 0, "still_queued": 1}
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED

    broker_down.come_back()
    assert services.sweep_reports(now=later) == {"resent": 1, "rescued": 0, "still_queued": 0}
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED
    assert len(files_of(report)) == 1


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_rescued_by_the_sweep_with_one_whole_file(
    ask_compliance, broker_down, files_of
):
    dead, _ = ask_compliance()
    working, _ = ask_compliance(start=days_ago(14))
    exhausted, _ = ask_compliance(start=days_ago(7))
    now = timezone.now()
    long_ago = now - datetime.timedelta(seconds=settings.REPORT_TIME_LIMIT + 61)
    ReportRequest.objects.filter(pk__in=[dead.pk, working.pk, exhausted.pk]).update(
        status=ReportStatus.RUNNING, attempts=1, started_at=long_ago, last_sent_at=long_ago
    )
    ReportRequest.objects.filter(pk=working.pk).update(
        started_at=now - datetime.timedelta(seconds=10)
    )
    ReportRequest.objects.filter(pk=exhausted.pk).update(attempts=services.MAX_ATTEMPTS)
    # The dead worker had begun writing the file.
    report_storage().save(services.file_name_for(dead), ContentFile(b"%PDF-1.7 par"))
    assert len(files_of(dead)) == 1

    broker_down.come_back()
    assert services.sweep_reports(now=now)["rescued"] == 1
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == (ReportStatus.SUCCEEDED, 2)
    (path,) = files_of(dead)
    with path.open("rb") as handle:
        assert len(pypdf.PdfReader(handle).pages) == dead.page_count
    working.refresh_from_db()
    assert working.status == ReportStatus.RUNNING  # still within its time limit
    exhausted.refresh_from_db()
    assert exhausted.status == ReportStatus.FAILED
    assert "stopped before it finished" in exhausted.error_message


# --- The quarterly schedule, approval and producing a draft again ---------------------------


@pytest.mark.django_db
def test_the_quarterly_schedule_makes_one_draft_per_service_and_only_once(
    service, other_service, quarter
):
    first = services.queue_quarterly_reports()
    assert sorted(r.service.name for r in first) == sorted([service.name, other_service.name])
    for draft in first:
        draft.refresh_from_db()
        assert draft.kind == ReportKind.COMMISSIONER
        assert (draft.period_start, draft.period_end) == (quarter.start, quarter.end)
        assert draft.scheduled and draft.requested_by == system_account()
        assert draft.status == ReportStatus.SUCCEEDED and not draft.is_approved

    second = services.queue_quarterly_reports()
    assert {r.pk for r in second} == {r.pk for r in first}
    assert ReportRequest.objects.count() == 2


@pytest.mark.django_db
def test_only_the_services_manager_approves_a_ready_report_and_only_once(
    ask_commissioner, personas, broker_down
):
    waiting, _ = ask_commissioner()
    with pytest.raises(ValidationError, match="must be ready before it can be approved"):
        services.approve_report(actor=personas["service_manager"], report=waiting)
    ReportRequest.objects.filter(pk=waiting.pk).update(status=ReportStatus.FAILED)
    broker_down.come_back()
    report, _ = ask_commissioner()  # asking again retries the failed one
    assert report.pk == waiting.pk and report.status == ReportStatus.SUCCEEDED

    for who in ("offender_manager", "commissioner", "outsider_manager"):
        with pytest.raises(ValidationError, match="Only the service's manager can approve"):
            services.approve_report(actor=personas[who], report=report)
    approved = services.approve_report(actor=personas["service_manager"], report=report)
    assert approved.approved_by == personas["service_manager"]
    with pytest.raises(ValidationError, match="Already approved by Joanne Kirkby on "):
        services.approve_report(actor=personas["service_manager"], report=report)
    with pytest.raises(ValidationError, match="Only a draft commissioner report"):
        services.produce_again(actor=personas["service_manager"], report=report)


@pytest.mark.django_db
def test_producing_a_draft_again_replaces_it(ask_commissioner, personas, files_of, client_for):
    manager = personas["service_manager"]
    draft, _ = ask_commissioner()
    client = client_for(manager)
    url = reverse("reports:produce_again", args=[draft.pk])
    response = client.post(url)
    fresh = ReportRequest.objects.get(superseded_at=None)
    assert response.url == reverse("reports:detail", args=[fresh.pk])
    assert fresh.pk != draft.pk
    assert fresh.status == ReportStatus.SUCCEEDED and len(files_of(fresh)) == 1
    draft.refresh_from_db()
    assert draft.superseded_at is not None
    with pytest.raises(ValidationError, match="A newer draft replaced this one"):
        services.approve_report(actor=manager, report=draft)

    # The button pressed twice: the second press is told, and makes nothing.
    again = client.post(url, follow=True)
    assert again.status_code == 200
    assert "A newer draft already replaced this one" in again.content.decode()
    assert ReportRequest.objects.count() == 2
    current, _ = ask_commissioner()
    assert current.pk == fresh.pk
    services.approve_report(actor=manager, report=fresh)


# --- Quarters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (datetime.date(2026, 2, 14), "Q4 2025/26 (1 January 2026 to 31 March 2026)"),
        (datetime.date(2026, 4, 1), "Q1 2026/27 (1 April 2026 to 30 June 2026)"),
        (datetime.date(2026, 9, 30), "Q2 2026/27 (1 July 2026 to 30 September 2026)"),
        (datetime.date(2026, 12, 31), "Q3 2026/27 (1 October 2026 to 31 December 2026)"),
    ],
)
def test_quarters_are_financial_year_quarters(day, label):
    assert Quarter.containing(day).label == label


def test_quarter_navigation_and_the_quarters_that_have_ended():
    january = Quarter.starting(datetime.date(2026, 1, 1))
    assert january.previous() == Quarter(datetime.date(2025, 10, 1))
    assert january.previous().next() == january
    assert january.previous().end == datetime.date(2025, 12, 31)
    assert january.key == "2026-01-01"
    with pytest.raises(ValueError, match="is not the first day of a quarter"):
        Quarter.starting(datetime.date(2026, 1, 2))

    # On the last day of a quarter it has not ended yet; on the next day it has.
    assert [q.start for q in completed_quarters(datetime.date(2026, 3, 31), 2)] == [
        datetime.date(2025, 10, 1),
        datetime.date(2025, 7, 1),
    ]
    assert [q.label[:10] for q in completed_quarters(datetime.date(2026, 4, 1), 3)] == [
        "Q4 2025/26",
        "Q3 2025/26",
        "Q2 2025/26",
    ]
    assert len(completed_quarters(datetime.date(2026, 4, 1))) == 8


# --- Through the pages ----------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_while_the_broker_is_down_tells_the_user_it_will_start_by_itself(
    client_for, personas, service, quarter, broker_down
):
    client = client_for(personas["service_manager"])
    response = client.post(
        reverse("reports:commissioner_new"),
        {"service": service.pk, "quarter": quarter.key},
        follow=True,
    )
    report = ReportRequest.objects.get()
    assert response.redirect_chain == [(reverse("reports:detail", args=[report.pk]), 302)]
    page = response.content.decode()
    assert BROKER_DOWN_MESSAGE in page
    assert "Waiting to start" in page
    assert "This page updates by itself" in page
    assert report.status == ReportStatus.QUEUED


@pytest.mark.django_db
def test_the_download_is_a_private_pdf_attachment_only_for_those_who_may_see_it(
    client_for, personas, ask_commissioner
):
    report, _ = ask_commissioner()
    url = reverse("reports:download", args=[report.pk])
    response = client_for(personas["service_manager"]).get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # the client closes the file after
    assert content.startswith(b"%PDF")
    assert content == report.file.open("rb").read()
    report.file.close()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{report.download_name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]

    outsider = client_for(personas["outsider_manager"]).get(url)
    assert_status(outsider, 404)
