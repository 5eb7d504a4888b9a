"""Query budgets: the report pages cost the same number of queries however many reports exist.

The list names, for each report, the man it is about, its service, who asked for it and who
approved it: read a row at a time, that is four queries per report. Each test measures a page
with 2 reports, adds 10 more (other men, other askers, other quarters, approved and not,
finished and still running), measures again, and asserts that the two counts are equal and
within an absolute budget. The rows are made with the model directly (nothing is rendered).
"""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant, Stage
from reports.models import ReportKind, ReportRequest, ReportStatus
from reports.quarters import completed_quarters
from tests.factories import ParticipantFactory
from tests.sessions.test_query_budgets import assert_same_cost, queries_for

pytestmark = pytest.mark.django_db

SMALL = 2
LARGE = 12

# Absolute budgets: the highest count measured for the page plus a margin of 2. Measured, the
# same at 2 and at 12 reports: the list 8, for the service manager and for the commissioner
# (3 for session, user and memberships, 3 for saving the session, the count for the pages and
# one page of reports joined to their service, man, asker and approver); a report 9 for the
# offender manager (the report with the same join, and guardian's two reads to check he is
# still the man's offender manager) and 7 for the service manager.
BUDGETS = {
    "list": 10,
    "detail": 11,
}


class Reports:
    """Report rows of Resettle Merseyside (and national roll-ups) made with the model."""

    STATUSES = itertools.cycle(
        [ReportStatus.SUCCEEDED] * 3 + [ReportStatus.RUNNING, ReportStatus.FAILED]
    )

    def __init__(self, personas, service, participant):
        self.personas = personas
        self.service = service
        self.jamal = participant
        self.quarters = iter(completed_quarters(timezone.localdate(), 3 * LARGE))
        built = ParticipantFactory.build_batch(LARGE, service=service, stage=Stage.COMMUNITY)
        self.men = itertools.cycle([participant, *Participant.objects.bulk_create(built)])
        self.made = 0

    def _row(self, **fields) -> ReportRequest:
        self.made += 1
        status = next(self.STATUSES) if self.made > 2 else ReportStatus.SUCCEEDED
        return ReportRequest(
            status=status,
            progress=100 if status == ReportStatus.SUCCEEDED else 40,
            step="Ready" if status == ReportStatus.SUCCEEDED else "Drawing the charts",
            requested_at=timezone.now() - datetime.timedelta(minutes=self.made),
            finished_at=timezone.now() if status == ReportStatus.SUCCEEDED else None,
            file_size=12_345 if status == ReportStatus.SUCCEEDED else None,
            page_count=3 if status == ReportStatus.SUCCEEDED else None,
            **fields,
        )

    def compliance(self, n: int) -> ReportRequest:
        today = timezone.localdate()
        askers = [self.personas["offender_manager"], self.personas["service_manager"]]
        return self._row(
            kind=ReportKind.COMPLIANCE,
            service=self.service,
            participant=next(self.men),
            period_start=today - datetime.timedelta(days=30 + n),
            period_end=today,
            requested_by=askers[n % 2],
        )

    def commissioner(self, n: int, *, approved: bool) -> ReportRequest:
        quarter = next(self.quarters)
        return self._row(
            kind=ReportKind.COMMISSIONER,
            service=self.service,
            period_start=quarter.start,
            period_end=quarter.end,
            requested_by=self.personas["service_manager"],
            scheduled=n % 3 == 0,
            approved_by=self.personas["service_manager"] if approved else None,
            approved_at=timezone.now() if approved else None,
        )

    def national(self, n: int) -> ReportRequest:
        quarter = next(self.quarters)
        return self._row(
            kind=ReportKind.NATIONAL,
            period_start=quarter.start,
            period_end=quarter.end,
            requested_by=self.personas["commissioner"],
        )

    def for_service_manager(self, count: int) -> None:
        """Licence-compliance reports and commissioner reports, approved or not."""
        rows = [
            self.compliance(n) if n % 2 == 0 else self.commissioner(n, approved=n % 4 == 3)
            for n in range(count)
        ]
        ReportRequest.objects.bulk_create(rows)

    def for_commissioner(self, count: int) -> None:
        """Approved commissioner reports and national roll-ups."""
        rows = [
            self.commissioner(n, approved=True) if n % 2 == 0 else self.national(n)
            for n in range(count)
        ]
        ReportRequest.objects.bulk_create(rows)


@pytest.fixture
def reports(personas, service, participant):
    return Reports(personas, service, participant)


@pytest.mark.parametrize("persona", ("service_manager", "commissioner"))
def test_the_list_costs_the_same_with_2_and_12_reports(
    client_for, personas, reports, persona, django_assert_max_num_queries
):
    add = getattr(reports, f"for_{persona}")
    add(SMALL)
    client = client_for(personas[persona])
    url = reverse("reports:list")
    assert len(client.get(url).context["reports"]) == SMALL

    small, large = assert_same_cost(
        client, url, lambda: add(LARGE - SMALL), BUDGETS["list"], django_assert_max_num_queries
    )
    response = client.get(url)
    shown = response.context["reports"]
    assert len(shown) == LARGE
    kinds = {report.kind for report in shown}
    if persona == "service_manager":
        assert kinds == {ReportKind.COMPLIANCE, ReportKind.COMMISSIONER}
        assert "Jamal Okoro" in response.content.decode()
    else:
        assert kinds == {ReportKind.COMMISSIONER, ReportKind.NATIONAL}
    assert any(report.is_active for report in shown)  # rows that poll for their progress
    print(f"reports list as {persona}: {small} queries at {SMALL} reports, {large} at {LARGE}")


@pytest.mark.parametrize(
    ("persona", "kind"),
    [("offender_manager", ReportKind.COMPLIANCE), ("service_manager", ReportKind.COMMISSIONER)],
)
def test_a_report_costs_the_same_with_2_and_12_reports(
    client_for, personas, reports, persona, kind, django_assert_max_num_queries
):
    reports.for_service_manager(SMALL)
    report = ReportRequest.objects.get(kind=kind)
    client = client_for(personas[persona])
    url = reverse("reports:detail", args=[report.pk])
    context = client.get(url).context
    assert context["report"] == report
    if kind == ReportKind.COMMISSIONER:
        assert context["may_approve"]

    small, large = assert_same_cost(
        client,
        url,
        lambda: reports.for_service_manager(LARGE - SMALL),
        BUDGETS["detail"],
        django_assert_max_num_queries,
    )
    assert ReportRequest.objects.count() == LARGE
    print(f"a {kind} report as {persona}: {small} queries at {SMALL} reports, {large} at {LARGE}")


def test_the_progress_fragment_costs_a_few_queries(client_for, personas, reports):
    reports.for_service_manager(SMALL)
    report = ReportRequest.objects.get(kind=ReportKind.COMPLIANCE)
    client = client_for(personas["offender_manager"])
    url = reverse("reports:progress", args=[report.pk])
    client.get(url, headers={"HX-Request": "true"})
    count, _sql = queries_for(client, url, headers={"HX-Request": "true"})
    # Polled every 2 seconds by every open report page: session, user, memberships, the
    # report (one join), guardian's two reads for his allocation, and saving the session.
    assert count <= 9, count
