"""Reports: the service manager produces, checks and approves the quarter's commissioner
report, which the commissioner then downloads; the offender manager asks for a
licence-compliance report about Jamal; a report page follows its progress by itself.

Celery runs eagerly in these tests, so a report is ready by the time its page opens; the last
test moves a report along in the database to watch the page poll for its progress.
"""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from reports.models import ReportKind, ReportRequest, ReportStatus
from reports.quarters import completed_quarters

from .conftest import serious_accessibility_violations
from .steps import no_errors, primary_nav, success_banner, switch_to

pytestmark = pytest.mark.django_db(transaction=True)

REPORT_URL = re.compile(r"/reports/[0-9a-f-]{36}/$")
APPROVAL = "I have read this draft and its figures are right to share with commissioners"


# --- helpers -------------------------------------------------------------------------------

PDF_TIMEOUT = 60_000  # ms: producing a report's PDF in the request (eager Celery)


def open_reports(page) -> None:
    primary_nav(page, "Reports")
    page.wait_for_url("**/reports/")
    assert page.get_by_role("heading", name="Reports", level=1).is_visible()


def report_on_page(page) -> ReportRequest:
    return ReportRequest.objects.get(pk=page.url.rstrip("/").rsplit("/", 1)[-1])


def progress_of(page, report):
    return page.locator(f"#report-progress-{report.pk}")


def fill_date(page, group: str, day: datetime.date) -> None:
    date = page.get_by_role("group", name=group, exact=True)
    date.get_by_label("Day", exact=True).fill(str(day.day))
    date.get_by_label("Month", exact=True).fill(str(day.month))
    date.get_by_label("Year", exact=True).fill(str(day.year))


def download(page, link) -> tuple[str, bytes]:
    """Click `link` and return the file's suggested name and its bytes."""
    with page.expect_download() as started:
        link.click()
    downloaded = started.value
    assert downloaded.failure() is None, downloaded.failure()
    return downloaded.suggested_filename, Path(downloaded.path()).read_bytes()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF"), content[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def assert_ready(page, report) -> None:
    """Produced: the bar has given way to "Ready" and the page has stopped polling."""
    progress = progress_of(page, report)
    expect(progress).to_have_attribute("data-status", ReportStatus.SUCCEEDED)
    expect(progress.get_by_text("Ready", exact=True)).to_be_visible()
    assert progress.locator("progress").count() == 0
    assert page.locator("[hx-get]").count() == 0


# --- the commissioner report ---------------------------------------------------------------


def test_the_service_manager_approves_the_quarter_and_the_commissioner_downloads_it(
    page, sign_in, personas, participant, service
):
    manager, commissioner = personas["service_manager"], personas["commissioner"]
    quarter = completed_quarters(timezone.localdate(), 1)[0]

    # 1. The service manager produces last quarter's draft from the Reports page.
    sign_in(manager)
    page.wait_for_url(re.compile(r"/$"))
    open_reports(page)
    assert "There are no reports yet." in page.locator("main").inner_text()
    list_page = serious_accessibility_violations(page)
    page.get_by_role("link", name="Produce a commissioner report", exact=True).click()
    page.wait_for_url("**/reports/commissioner/new/")
    assert page.get_by_role("heading", name="Produce a commissioner report").is_visible()
    form_page = serious_accessibility_violations(page)
    page.get_by_label(quarter.label, exact=True).check()
    # Celery runs eagerly here: the request returns once the PDF is made, which on a busy
    # 2-core machine can take longer than a page usually may.
    with page.expect_navigation(timeout=PDF_TIMEOUT):
        page.get_by_role("button", name="Produce the draft", exact=True).click(timeout=PDF_TIMEOUT)
    no_errors(page)
    page.wait_for_url(REPORT_URL)
    report = report_on_page(page)
    title = f"Commissioner report, {quarter.label}"
    assert (report.kind, report.service, report.period_start) == (
        ReportKind.COMMISSIONER,
        service,
        quarter.start,
    )
    assert f"{title}: your report has been asked for" in success_banner(page).inner_text()
    assert page.get_by_role("heading", name=title, level=1).is_visible()

    # 2. It is ready (Celery runs eagerly here), and its PDF is marked.
    assert_ready(page, report)
    main = page.locator("main").inner_text()
    assert "Draft: commissioners cannot see it until the service manager approves it" in main
    detail_page = serious_accessibility_violations(page)
    name, content = download(page, page.get_by_role("link", name="Download the PDF"))
    report.refresh_from_db()
    assert name == report.download_name
    text = pdf_text(content)
    assert "OFFICIAL-SENSITIVE" in text
    assert service.name in text
    assert "Jamal" not in text and "Okoro" not in text  # no names in a commissioner report

    # 3. Approving needs the box ticked.
    with page.expect_navigation():
        page.get_by_role("button", name="Approve the report", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Confirm that you have read the draft")
    assert not ReportRequest.objects.get(pk=report.pk).is_approved
    page.get_by_label(APPROVAL, exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Approve the report", exact=True).click()
    no_errors(page)
    page.wait_for_url(REPORT_URL)
    assert "Report approved: commissioners can now see it" in success_banner(page).inner_text()
    assert "Approved by Joanne Kirkby" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Approve the report").count() == 0
    report.refresh_from_db()
    assert report.approved_by == manager
    open_reports(page)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
    expect(row.get_by_text("Approved", exact=True)).to_be_visible()

    # 4. The commissioner finds it among his reports and downloads it.
    switch_to(page, sign_in, commissioner)
    open_reports(page)
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))
    assert service.name in row.inner_text()
    name, content = download(
        page, row.get_by_role("link", name=f"Download {title} (PDF)", exact=True)
    )
    assert name == report.download_name
    assert "OFFICIAL-SENSITIVE" in pdf_text(content)
    row.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(f"**/reports/{report.pk}/")
    assert "Approved by Joanne Kirkby" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Approve the report").count() == 0
    commissioner_page = serious_accessibility_violations(page)

    assert list_page == [], "Reports list"
    assert form_page == [], "commissioner report form"
    assert detail_page == [], "the draft, with the approval form"
    assert commissioner_page == [], "the approved report, as the commissioner"


# --- the licence-compliance report ---------------------------------------------------------


def test_the_offender_manager_asks_for_jamals_licence_compliance_report(
    page, sign_in, personas, participant
):
    today = timezone.localdate()
    start = today - datetime.timedelta(days=60)

    sign_in(personas["offender_manager"])
    page.wait_for_url(re.compile(r"/$"))
    open_reports(page)
    page.get_by_role("link", name="Ask for a licence-compliance report", exact=True).click()
    page.wait_for_url("**/reports/compliance/new/")
    form_page = serious_accessibility_violations(page)
    page.get_by_label("Who is the report about", exact=True).select_option(
        label="Jamal Okoro (A1234BC)"
    )
    fill_date(page, "Start date", start)
    fill_date(page, "End date", today)
    with page.expect_navigation():
        page.get_by_role("button", name="Produce the report", exact=True).click()
    no_errors(page)
    page.wait_for_url(REPORT_URL)
    report = report_on_page(page)
    assert (report.kind, report.participant, report.requested_by) == (
        ReportKind.COMPLIANCE,
        participant,
        personas["offender_manager"],
    )
    assert (report.period_start, report.period_end) == (start, today)
    assert "your report has been asked for" in success_banner(page).inner_text()
    assert page.get_by_text("Jamal Okoro", exact=True).is_visible()

    assert_ready(page, report)
    detail_page = serious_accessibility_violations(page)
    name, content = download(page, page.get_by_role("link", name="Download the PDF"))
    assert name == f"licence-compliance-{report.pk}-{start:%Y-%m-%d}-to-{today:%Y-%m-%d}.pdf"
    text = pdf_text(content)
    assert "OFFICIAL-SENSITIVE" in text
    assert "Jamal" in text and "Okoro" in text
    assert "A1234BC" in text

    # It is in his list, ready to download again.
    open_reports(page)
    row = page.get_by_role("row").filter(has=page.get_by_text("Jamal Okoro", exact=True))
    expect(row.get_by_text("Ready", exact=True)).to_be_visible()
    list_page = serious_accessibility_violations(page)

    assert form_page == [], "licence-compliance report form"
    assert detail_page == [], "the ready report"
    assert list_page == [], "Reports list with a report"


# --- progress while it is produced -----------------------------------------------------------


def test_the_report_page_follows_the_progress_and_stops_when_ready(
    page, sign_in, personas, participant
):
    """Made running at 40% in the database; the page polls every 2 seconds without a reload
    and, once the row says it is ready, shows "Ready" and polls no more."""
    today = timezone.localdate()
    report = ReportRequest.objects.create(
        kind=ReportKind.COMPLIANCE,
        service=participant.service,
        participant=participant,
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
        requested_by=personas["offender_manager"],
        status=ReportStatus.RUNNING,
        attempts=1,
        started_at=timezone.now(),
        progress=40,
        step="Reading attendance, licence and decisions",
    )

    sign_in(personas["offender_manager"])
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/reports/{report.pk}/")
    progress = progress_of(page, report)
    bar = progress.get_by_role("progressbar")
    expect(bar).to_have_attribute("value", "40")
    assert "Reading attendance, licence and decisions – 40%" in progress.inner_text()
    status_region = page.locator("#report-status")
    assert status_region.get_attribute("hx-get") == f"/reports/{report.pk}/progress/?as=detail"
    assert "This page updates by itself" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Download the PDF").count() == 0
    running_page = serious_accessibility_violations(page)
    page.evaluate("window.notReloaded = true")

    # The worker moves on: the page follows without a reload.
    ReportRequest.objects.filter(pk=report.pk).update(progress=65, step="Laying out the pages")
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", "65", timeout=6_000)
    assert "Laying out the pages – 65%" in progress.inner_text()

    ReportRequest.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUCCEEDED,
        progress=100,
        step="Ready",
        finished_at=timezone.now(),
    )
    expect(progress).to_have_attribute("data-status", ReportStatus.SUCCEEDED, timeout=6_000)
    assert_ready(page, report)
    assert page.evaluate("window.notReloaded") is True
    # The download arrives with the status, without a reload, and the "updates" hint goes.
    expect(page.get_by_role("link", name="Download the PDF")).to_be_visible()
    assert "This page updates by itself" not in page.locator("main").inner_text()
    assert page.locator("#report-status").get_attribute("hx-get") is None

    # Polling has stopped: no request for the progress in the next two rounds.
    polled = []
    page.on("request", lambda request: polled.append(request.url))
    page.wait_for_timeout(4_500)
    assert [url for url in polled if "/progress/" in url] == []
    assert page.evaluate("window.notReloaded") is True

    assert running_page == [], "a report being produced"


def test_the_reports_list_follows_a_report_being_produced(page, sign_in, personas, participant):
    """A row of the list polls too: it turns "Ready", with its download link, by itself."""
    today = timezone.localdate()
    report = ReportRequest.objects.create(
        kind=ReportKind.COMPLIANCE,
        service=participant.service,
        participant=participant,
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
        requested_by=personas["offender_manager"],
        status=ReportStatus.QUEUED,
    )

    sign_in(personas["offender_manager"])
    page.wait_for_url(re.compile(r"/$"))
    open_reports(page)
    row = page.locator(f"#report-row-{report.pk}")
    assert "Waiting to start – 0%" in row.inner_text()
    assert row.get_attribute("hx-get") == f"/reports/{report.pk}/progress/?as=row"
    assert row.get_by_role("link", name=re.compile("^Download")).count() == 0
    page.evaluate("window.notReloaded = true")

    ReportRequest.objects.filter(pk=report.pk).update(
        status=ReportStatus.SUCCEEDED, progress=100, step="Ready", finished_at=timezone.now()
    )
    expect(row.get_by_text("Ready", exact=True)).to_be_visible(timeout=6_000)
    expect(row.get_by_role("link", name=f"Download {report.title} (PDF)")).to_be_visible()
    assert row.get_attribute("hx-get") is None
    assert page.locator("[hx-get]").count() == 0
    assert page.evaluate("window.notReloaded") is True
