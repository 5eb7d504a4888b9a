"""Every reports form, fuzzed through its view (see tests/fuzzing.py for the properties).

The task that produces a report is not sent here (the worker's own tests cover producing):
what the forms write is the request, and that is what is checked.
"""

import datetime

import pytest
from django.urls import reverse

from reports import forms
from reports import services as report_services
from reports.models import ReportKind, ReportRequest, ReportStatus
from tests.factories import ParticipantFactory, days_ago
from tests.fuzzing import Field, FormCase, fuzz_form

pytestmark = pytest.mark.django_db


def parts(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))


@pytest.fixture
def world(personas, service, other_service, participant, quarter, monkeypatch):
    """A draft commissioner report ready for approval, and a man of another service."""
    monkeypatch.setattr(report_services, "send_to_worker", lambda report_id: True)
    draft = ReportRequest.objects.create(
        kind=ReportKind.COMMISSIONER, service=service, period_start=quarter.start,
        period_end=quarter.end, requested_by=personas["service_manager"],
        status=ReportStatus.SUCCEEDED, progress=100,
    )  # fmt: skip
    earlier = quarter.previous()
    return {
        **personas,
        "participant": participant,
        "stranger": ParticipantFactory(service=other_service),
        "service": service,
        "other_service": other_service,
        "draft": draft,
        "quarter": quarter.key,
        "earlier_quarter": earlier.key,
    }


REQUESTED = {"reports.ReportRequest": 1, "reports.HistoricalReportRequest": 1}
QUARTER_ODDITIES = ("2026-01-02", "9999-10-01", "0001-01-01", "2100-01-01")

CASES = [
    FormCase(
        id="compliance_report",
        form=forms.ComplianceReportForm,
        persona="offender_manager",
        url=lambda w: reverse("reports:compliance_new"),
        fields=[
            Field("participant", "id", valid="{participant}", choices=("{stranger}",)),
            Field("start", "date", valid=parts(days_ago(90))),
            Field("end", "date", valid=parts(days_ago(0))),
        ],
        writes=REQUESTED,
    ),
    FormCase(
        id="commissioner_report",
        form=forms.CommissionerReportForm,
        persona="service_manager",
        url=lambda w: reverse("reports:commissioner_new"),
        fields=[
            Field("service", "id", valid="{service}", choices=("{other_service}",)),
            Field("quarter", "choice", valid="{earlier_quarter}", choices=QUARTER_ODDITIES),
        ],
        writes=REQUESTED,
    ),
    FormCase(
        id="national_rollup",
        form=forms.NationalRollupForm,
        persona="commissioner",
        url=lambda w: reverse("reports:national_new"),
        fields=[Field("quarter", "choice", valid="{quarter}", choices=QUARTER_ODDITIES)],
        writes=REQUESTED,
    ),
    FormCase(
        id="approval",
        form=forms.ApprovalForm,
        persona="service_manager",
        url=lambda w: reverse("reports:approve", args=[w["draft"].pk]),
        fields=[Field("confirmed", "bool", valid="on")],
        writes={"reports.ReportRequest": 0, "reports.HistoricalReportRequest": 1},
        error_status=400,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)
