"""Who may open which report page: every URL of reports/urls.py against every persona.

The rules (resettle/access.py, "Reports"): anonymous people are sent to sign in. Reports are
for offender managers, service managers and commissioners; every other role is refused the
whole app (403). A licence-compliance report is seen by the offender manager who asked for it
while he is still the man's offender manager, and by the service's manager; to everyone else
with a report role (the commissioner, the other service's manager) it does not exist (404).
A commissioner report is the service manager's draft until he approves it; only then do the
service's commissioners see it. The national roll-up is the commissioners'. Approving and
producing a draft again are the service manager's; trying a failed report again is for those
who may act on it.
"""

import datetime
import re
import uuid
from types import SimpleNamespace
from typing import NamedTuple

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from reports import services
from reports.models import ReportKind, ReportRequest, ReportStatus
from reports.quarters import completed_quarters
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog
from tests.access_matrix import PERSONAS, assert_status, persona_cases, sign_in_as
from tests.factories import staff_member
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, personas, participant = from_world("service", "personas", "participant")


# What each kind of page allows. Columns are the kinds; every persona has one row.
#   list         – the list of reports: anyone with a report role (the outsider manager sees
#                  his own service's)
#   compliance   – asking for a licence-compliance report: offender and service managers
#   commissioner – producing a commissioner report: service managers
#   national     – producing the national roll-up: commissioners
#   comp_obj     – the OM's licence-compliance report about Jamal (detail, progress, download)
#   draft_obj    – the service's unapproved commissioner report
#   approved_obj – the same report once its service manager approved it
#   national_obj – the quarter's national roll-up
KINDS = (
    "list",
    "compliance",
    "commissioner",
    "national",
    "comp_obj",
    "draft_obj",
    "approved_obj",
    "national_obj",
)
EXPECTED = {
    #                  list compl comm  natl  comp  draft appr  natl_obj
    "anonymous": (302, 302, 302, 302, 302, 302, 302, 302),
    "offender_manager": (200, 200, 403, 403, 200, 404, 404, 404),
    "keyworker": (403, 403, 403, 403, 403, 403, 403, 403),
    "psychologist": (403, 403, 403, 403, 403, 403, 403, 403),
    "colleague": (403, 403, 403, 403, 403, 403, 403, 403),
    "service_manager": (200, 200, 200, 403, 200, 200, 200, 404),
    "crisis_worker": (403, 403, 403, 403, 403, 403, 403, 403),
    "administrator": (403, 403, 403, 403, 403, 403, 403, 403),
    "commissioner": (200, 403, 403, 200, 404, 404, 200, 200),
    "outsider": (403, 403, 403, 403, 403, 403, 403, 403),
    "outsider_manager": (200, 200, 200, 403, 404, 404, 404, 404),
}


def expected_status(persona: str, kind: str) -> int:
    return EXPECTED[persona][KINDS.index(kind)]


class Page(NamedTuple):
    case: str
    name: str
    kind: str
    report: str | None = None  # the fixture naming the report it is about


# Every GET page in reports/urls.py; the pages about one report once for each kind of report.
OBJECT_PAGES = ("detail", "progress", "download")
REPORTS = {
    "comp_obj": "compliance_report",
    "draft_obj": "draft_report",
    "approved_obj": "approved_report",
    "national_obj": "national_report",
}
GET_PAGES = (
    Page("list", "list", "list"),
    Page("compliance_new", "compliance_new", "compliance"),
    Page("commissioner_new", "commissioner_new", "commissioner"),
    Page("national_new", "national_new", "national"),
    *(
        Page(f"{name}-{fixture}", name, kind, fixture)
        for kind, fixture in REPORTS.items()
        for name in OBJECT_PAGES
    ),
)
# POST-only URLs (each has its own tests below).
POST_ONLY = ("retry", "approve", "produce_again")


def test_the_table_covers_every_url_of_the_app():
    from reports.urls import urlpatterns

    covered = {page.name for page in GET_PAGES} | set(POST_ONLY)
    assert covered == {pattern.name for pattern in urlpatterns}


def test_every_persona_has_a_row_and_every_row_every_kind():
    assert set(EXPECTED) == set(PERSONAS)
    assert all(len(row) == len(KINDS) for row in EXPECTED.values())


# --- The reports --------------------------------------------------------------------------


# WeasyPrint's PDFs by the report's <title>, kept for the whole run.
RENDERED = {}


@pytest.fixture(autouse=True)
def render_each_kind_once(monkeypatch):
    """These tests ask who may see a report, not what it says: the first report of each kind
    is rendered by WeasyPrint and its PDF reused for the others (keyed by its <title>)."""
    real_render = services.render_pdf

    def render_once(html: str):
        key = re.search(r"<title>(.*?)</title>", html, re.S)
        key = key.group(1).strip() if key else html
        if key not in RENDERED:
            RENDERED[key] = real_render(html)
        return RENDERED[key]

    monkeypatch.setattr(services, "render_pdf", render_once)


def last_quarter():
    return completed_quarters(timezone.localdate(), 1)[0]


@pytest.fixture
def compliance_report(personas, participant):
    """Sarah Okafor's licence-compliance report about Jamal for the last three months."""
    today = timezone.localdate()
    report, sent = services.request_compliance_report(
        actor=personas["offender_manager"],
        participant=participant,
        start=today - datetime.timedelta(days=90),
        end=today,
    )
    assert sent
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    return report


@pytest.fixture
def draft_report(personas, service):
    """The last quarter's commissioner report for Resettle Merseyside, not yet approved."""
    report, sent = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=last_quarter()
    )
    assert sent
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    assert not report.is_approved
    return report


@pytest.fixture
def approved_report(personas, draft_report):
    return services.approve_report(actor=personas["service_manager"], report=draft_report)


@pytest.fixture
def national_report(personas, approved_report):
    report, _sent = services.request_national_rollup(
        actor=personas["commissioner"], quarter=last_quarter()
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    return report


def url_of(name: str, report=None) -> str:
    return reverse(f"reports:{name}", args=[report.pk] if report is not None else [])


def open_page(browser, name: str, report=None):
    if name == "progress":  # the fragment htmx polls
        return browser.get(url_of(name, report), headers={"HX-Request": "true"})
    return browser.get(url_of(name, report))


def pdf_bytes(response) -> bytes:
    # Reading the stream to its end closes the file (the test client's closing wrapper).
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("page", "persona", "expected"), persona_cases(GET_PAGES, expected_status))
def test_each_page_answers_each_persona_as_the_rules_say(
    request, client, client_for, personas, page, persona, expected
):
    report = request.getfixturevalue(page.report) if page.report else None
    browser = sign_in_as(client, client_for, personas, persona)
    response = open_page(browser, page.name, report)
    if page.name == "download" and expected == 200:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert {"no-store", "private"} <= set(response["Cache-Control"].split(", "))
        assert pdf_bytes(response).startswith(b"%PDF")
        return
    assert_status(response, expected)


# --- What the pages show ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("offender_manager", {"compliance"}),
        ("service_manager", {"compliance", "commissioner"}),
        ("commissioner", {"commissioner", "national"}),
        ("outsider_manager", set()),
    ],
)
def test_the_list_shows_each_persona_only_the_reports_they_may_see(
    client_for, personas, compliance_report, national_report, persona, visible
):
    response = client_for(personas[persona]).get(url_of("list"))
    assert response.status_code == 200
    assert {report.kind for report in response.context["reports"]} == visible
    body = response.content.decode()
    assert ("Jamal Okoro" in body) is ("compliance" in visible)
    if not visible:
        assert "There are no reports yet." in body


def test_the_commissioner_does_not_see_a_draft_in_the_list(
    client_for, personas, compliance_report, draft_report
):
    response = client_for(personas["commissioner"]).get(url_of("list"))
    assert list(response.context["reports"]) == []
    assert str(draft_report.pk) not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "buttons"),
    [
        ("offender_manager", ["Ask for a licence-compliance report"]),
        (
            "service_manager",
            ["Ask for a licence-compliance report", "Produce a commissioner report"],
        ),
        ("commissioner", ["Produce the national roll-up"]),
    ],
)
def test_the_list_offers_only_what_each_role_may_ask_for(client_for, personas, persona, buttons):
    body = client_for(personas[persona]).get(url_of("list")).content.decode()
    offered = re.findall(r'class="govuk-button[^"]*"[^>]*>([^<]+)</a>', body)
    assert offered == buttons


def test_the_progress_page_without_htmx_sends_to_the_report(
    client_for, personas, compliance_report
):
    response = client_for(personas["offender_manager"]).get(url_of("progress", compliance_report))
    assert response.status_code == 302
    assert response.url == url_of("detail", compliance_report)


def test_the_progress_fragment_of_a_finished_report_stops_polling(
    client_for, personas, compliance_report
):
    browser = client_for(personas["offender_manager"])
    fragment = open_page(browser, "progress", compliance_report).content.decode()
    assert "Ready" in fragment
    assert "hx-get" not in fragment
    row = browser.get(
        url_of("progress", compliance_report) + "?as=row", headers={"HX-Request": "true"}
    ).content.decode()
    assert row.lstrip().startswith("<tr")
    assert "hx-get" not in row
    assert "Download" in row


# --- The offender manager who is no longer his ----------------------------------------------


@pytest.fixture
def new_om(service):
    return staff_member(Role.OFFENDER_MANAGER, service, full_name="Daniel Price")


@pytest.fixture
def reallocated(personas, participant, new_om, compliance_report):
    """Jamal is given a new offender manager: Sarah Okafor's allocation ends today."""
    participant_services.allocate(
        participant=participant,
        role=Role.OFFENDER_MANAGER,
        staff=new_om,
        actor=personas["service_manager"],
        started_on=timezone.localdate(),
    )
    allocation = participant.allocations.get(staff=personas["offender_manager"])
    assert allocation.ended_on == timezone.localdate()
    return compliance_report


def test_an_om_no_longer_allocated_cannot_download_his_old_report(
    client_for, personas, participant, reallocated
):
    former = personas["offender_manager"]
    browser = client_for(former)
    for name in ("download", "detail"):
        assert_status(browser.get(url_of(name, reallocated)), 403)
    refused = AccessLog.objects.filter(user=former, participant_id=participant.pk)
    assert [(row.allowed, row.view_name) for row in refused] == [
        (False, "reports:detail"),
        (False, "reports:download"),
    ]
    # He may no longer ask for one either.
    response = browser.get(url_of("compliance_new") + f"?participant={participant.pk}")
    assert_status(response, 403)


def test_the_new_om_does_not_see_his_predecessors_report(client_for, personas, new_om, reallocated):
    assert_status(client_for(new_om).get(url_of("detail", reallocated)), 404)
    # The service manager still does.
    response = client_for(personas["service_manager"]).get(url_of("download", reallocated))
    assert response.status_code == 200
    pdf_bytes(response)


# --- The access log -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["offender_manager", "service_manager"])
def test_each_download_of_a_compliance_report_is_in_the_access_log(
    client_for, personas, participant, compliance_report, persona
):
    user = personas[persona]
    browser = client_for(user)
    before = AccessLog.objects.count()
    for _ in range(2):
        response = browser.get(url_of("download", compliance_report))
        assert response.status_code == 200
        pdf_bytes(response)
    logged = AccessLog.objects.filter(user=user, participant_id=participant.pk).order_by("at")
    assert [(row.allowed, row.view_name, row.role) for row in logged] == [
        (True, "reports:download", persona),
        (True, "reports:download", persona),
    ]
    assert all(row.page == url_of("download", compliance_report) for row in logged)
    assert AccessLog.objects.count() == before + 2


def test_opening_a_compliance_report_is_logged_but_polling_its_progress_is_not(
    client_for, personas, participant, compliance_report
):
    user = personas["offender_manager"]
    browser = client_for(user)
    assert browser.get(url_of("detail", compliance_report)).status_code == 200
    for _ in range(3):
        response = browser.get(url_of("progress", compliance_report), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
    logged = AccessLog.objects.filter(user=user, participant_id=participant.pk)
    assert [(row.allowed, row.view_name) for row in logged] == [(True, "reports:detail")]


def test_downloads_of_reports_about_no_one_are_not_in_the_access_log(
    client_for, personas, approved_report
):
    response = client_for(personas["commissioner"]).get(url_of("download", approved_report))
    assert response.status_code == 200
    pdf_bytes(response)
    assert not AccessLog.objects.exists()


# --- POST-only URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_urls_refuse_a_get(client_for, personas, draft_report, name):
    response = client_for(personas["service_manager"]).get(url_of(name, draft_report))
    assert response.status_code == 405


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_urls_of_a_made_up_report_are_not_found(client_for, personas, name):
    made_up = SimpleNamespace(pk=uuid.uuid4())
    response = client_for(personas["service_manager"]).post(url_of(name, made_up), {})
    assert_status(response, 404)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Approve: the draft's service manager only.
@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "draft_obj")) for p in PERSONAS]
)
def test_only_the_service_manager_approves_the_draft(
    client, client_for, personas, draft_report, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_of("approve", draft_report), {"confirmed": "on"})
    draft_report.refresh_from_db()
    if expected == 200:
        assert response.status_code == 302
        assert response.url == url_of("detail", draft_report)
        assert "Report approved: commissioners can now see it" in said(response)
        assert draft_report.approved_by == personas[persona]
        assert draft_report.approved_at is not None
        page = browser.get(response.url).content.decode()
        assert "Approved by Joanne Kirkby" in page
        assert "Approve the report" not in page
    else:
        assert_status(response, expected)
        assert not draft_report.is_approved


def test_approving_without_the_confirmation_is_refused(client_for, personas, draft_report):
    response = client_for(personas["service_manager"]).post(url_of("approve", draft_report), {})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Confirm that you have read the draft" in body
    assert "govuk-error-summary" in body
    draft_report.refresh_from_db()
    assert not draft_report.is_approved


def test_the_commissioner_cannot_approve_an_approved_report(client_for, personas, approved_report):
    response = client_for(personas["commissioner"]).post(
        url_of("approve", approved_report), {"confirmed": "on"}
    )
    assert_status(response, 403)
    approved_report.refresh_from_db()
    assert approved_report.approved_by == personas["service_manager"]


def test_a_report_is_approved_once(client_for, personas, approved_report):
    approved_at = approved_report.approved_at
    response = client_for(personas["service_manager"]).post(
        url_of("approve", approved_report), {"confirmed": "on"}
    )
    assert response.status_code == 400
    assert "Already approved by Joanne Kirkby" in response.content.decode()
    approved_report.refresh_from_db()
    assert approved_report.approved_at == approved_at


def test_a_compliance_report_is_not_approved(client_for, personas, compliance_report):
    for persona in ("offender_manager", "service_manager"):
        response = client_for(personas[persona]).post(
            url_of("approve", compliance_report), {"confirmed": "on"}
        )
        assert response.status_code == 403
    compliance_report.refresh_from_db()
    assert compliance_report.approved_at is None


# Retry: a failed report, by those who may act on it.
def fail(report) -> ReportRequest:
    ReportRequest.objects.filter(pk=report.pk).update(
        status=ReportStatus.FAILED, step="Failed", error_message="The worker was lost"
    )
    report.refresh_from_db()
    return report


@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "comp_obj")) for p in PERSONAS]
)
def test_those_who_may_act_on_a_failed_report_try_it_again(
    client, client_for, personas, compliance_report, persona, expected
):
    failed = fail(compliance_report)
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_of("retry", failed))
    failed.refresh_from_db()
    if expected == 200:  # produced again (eagerly), and back to the report
        assert response.status_code == 302
        assert response.url == url_of("detail", failed)
        assert any("your report has been asked for" in m for m in said(response))
        assert failed.status == ReportStatus.SUCCEEDED
        assert failed.error_message == ""
    else:
        assert_status(response, expected)
        assert failed.status == ReportStatus.FAILED
        assert failed.error_message == "The worker was lost"


@pytest.mark.parametrize("persona", ["offender_manager", "service_manager"])
def test_a_failed_report_offers_to_try_again(client_for, personas, compliance_report, persona):
    failed = fail(compliance_report)
    body = client_for(personas[persona]).get(url_of("detail", failed)).content.decode()
    assert "Try again" in body
    assert "The worker was lost" in body
    assert "Download the PDF" not in body


def test_a_report_that_has_not_failed_is_not_tried_again(client_for, personas, compliance_report):
    before = ReportRequest.objects.values().get(pk=compliance_report.pk)
    response = client_for(personas["offender_manager"]).post(url_of("retry", compliance_report))
    assert response.status_code == 302
    assert response.url == url_of("detail", compliance_report)
    assert said(response) == ["Only a failed report can be tried again"]
    assert ReportRequest.objects.values().get(pk=compliance_report.pk) == before


@pytest.mark.parametrize("persona", ["commissioner", "outsider_manager"])
def test_retry_by_someone_who_cannot_see_the_report_is_not_found(
    client_for, personas, compliance_report, persona
):
    failed = fail(compliance_report)
    response = client_for(personas[persona]).post(url_of("retry", failed))
    assert_status(response, 404)
    failed.refresh_from_db()
    assert failed.status == ReportStatus.FAILED


# Produce again: the service manager replaces his unapproved draft.
@pytest.mark.parametrize(
    ("persona", "expected"), [(p, expected_status(p, "draft_obj")) for p in PERSONAS]
)
def test_only_the_service_manager_produces_the_draft_again(
    client, client_for, personas, draft_report, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(url_of("produce_again", draft_report))
    draft_report.refresh_from_db()
    current = ReportRequest.objects.filter(
        kind=ReportKind.COMMISSIONER, superseded_at__isnull=True
    ).get()
    if expected == 200:
        assert draft_report.superseded_at is not None
        assert current.pk != draft_report.pk
        assert response.status_code == 302
        assert response.url == url_of("detail", current)
        assert current.status == ReportStatus.SUCCEEDED
        assert current.requested_by == personas[persona]
    else:
        assert_status(response, expected)
        assert draft_report.superseded_at is None
        assert current.pk == draft_report.pk


def test_an_approved_report_is_not_produced_again(client_for, personas, approved_report):
    response = client_for(personas["commissioner"]).post(url_of("produce_again", approved_report))
    assert_status(response, 403)
    response = client_for(personas["service_manager"]).post(
        url_of("produce_again", approved_report)
    )
    assert response.status_code == 302
    assert response.url == url_of("detail", approved_report)
    assert said(response) == ["Only a draft commissioner report can be produced again"]
    approved_report.refresh_from_db()
    assert approved_report.superseded_at is None
    assert ReportRequest.objects.count() == 1


# --- Asking through the forms -------------------------------------------------------------


def date_fields(prefix: str, day: datetime.date) -> dict:
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("offender_manager", 302),
        ("service_manager", 302),
        ("outsider_manager", 200),  # Jamal is not among the men he may choose
        ("commissioner", 403),
        ("keyworker", 403),
    ],
)
def test_asking_for_a_compliance_report_about_jamal(
    client_for, personas, participant, persona, expected
):
    today = timezone.localdate()
    response = client_for(personas[persona]).post(
        url_of("compliance_new"),
        {
            "participant": participant.pk,
            **date_fields("start", today - datetime.timedelta(days=30)),
            **date_fields("end", today),
        },
    )
    asked = ReportRequest.objects.filter(kind=ReportKind.COMPLIANCE)
    if expected == 302:
        report = asked.get()
        assert response.url == url_of("detail", report)
        assert report.requested_by == personas[persona]
        assert report.status == ReportStatus.SUCCEEDED
    else:
        assert_status(response, expected)
        assert not asked.exists()
        if expected == 200:
            assert "Choose a man whose offender manager you are" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("service_manager", 302), ("outsider_manager", 200), ("commissioner", 403)],
)
def test_only_its_service_manager_produces_a_services_report(
    client_for, personas, service, persona, expected
):
    response = client_for(personas[persona]).post(
        url_of("commissioner_new"), {"service": service.pk, "quarter": last_quarter().key}
    )
    asked = ReportRequest.objects.filter(kind=ReportKind.COMMISSIONER)
    if expected == 302:
        report = asked.get()
        assert response.url == url_of("detail", report)
        assert (report.service, report.requested_by) == (service, personas[persona])
    else:
        assert_status(response, expected)
        assert not asked.exists()
        if expected == 200:  # the other service's manager: not a service he manages
            assert "Choose a service you manage" in response.content.decode()
