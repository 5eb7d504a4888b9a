"""The licence-compliance report for one man: what a parole or recall decision needs, with
anything staff typed printed as text and nothing fetched from anywhere."""

import datetime
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from participants import services as participant_services
from participants.models import Licence, LicenceCondition, Participant, StageChange
from reports import pdf as report_pdf
from reports import services
from reports.models import ReportStatus
from reports.pdf import STATIC_BASE, StaticFilesOnlyFetcher
from riskplans import services as plan_services
from riskplans.models import RiskAssessment, RiskManagementPlan
from sessions import services as session_services
from sessions.models import AbsenceReason, EnforcementDecision, Outcome, SessionNote
from tests.factories.reports import at, attendance, move
from tests.reports.conftest import REPORT_FILES

HOSTILE = (
    '<img src="file:///etc/passwd"> <link rel=attachment href="file:///etc/passwd"> '
    "<style>@import url(http://169.254.169.254/)</style> <script>alert(1)</script>"
)


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_date(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def squeeze(text: str) -> str:
    return "".join(text.split())


class SpyFetcher(StaticFilesOnlyFetcher):
    """The real fetcher, remembered so a test can see what each rendering asked for."""

    made: list["SpyFetcher"] = []

    def __init__(self):
        super().__init__()
        SpyFetcher.made.append(self)


@pytest.fixture
def spy_fetcher(monkeypatch):
    SpyFetcher.made = []
    monkeypatch.setattr(report_pdf, "StaticFilesOnlyFetcher", SpyFetcher)
    return SpyFetcher.made


@pytest.fixture
def jamals_month(db, participant, personas, service):
    """Four weeks of Jamal's licence: released, attending, missing, warned, then recalled."""
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday() + 28)
    week = [monday + datetime.timedelta(days=7 * n) for n in range(4)]

    def on(week_number: int, weekday: int) -> datetime.date:
        return week[week_number] + datetime.timedelta(days=weekday)

    Participant.objects.filter(pk=participant.pk).update(
        crn="X123456", pnc_number="2001/0012345A", nhs_number="9434765919"
    )
    participant.refresh_from_db()

    plan = plan_services.start_plan(participant=participant, actor=keyworker)
    plan_services.save_plan(
        plan=plan, actor=keyworker, expected_version=plan.lock_version, submit=True,
        changes={"actions": [{"pillar": "supervision", "action": "Weekly contact",
                              "owner": "OM", "due": "Ongoing"}],
                 "contingency_plan": "Contact the on-call manager", "expected_days_per_week": 2},
    )  # fmt: skip
    plan_services.approve_plan(plan=plan, actor=om)
    # Approved ten days before the period, so the period's weeks are his plan's.
    RiskManagementPlan.objects.filter(pk=plan.pk).update(
        decided_at=at(monday - datetime.timedelta(days=10))
    )
    plan_services.record_assessment(
        participant=participant, actor=om,
        assessment=RiskAssessment(
            assessed_on=monday - datetime.timedelta(days=10), rosh_public="high",
            rosh_known_adult="very_high", rosh_children="low", rosh_staff="medium",
            rosh_prisoners="low", risk_to_self="medium", reoffending="high",
            mappa_category="2", mappa_level="1", risk_factors="Conflict with a former partner",
            protective_factors="Keeps his appointments", warning_signs="Stops answering calls",
        ),
    )  # fmt: skip

    move(participant, om, StageChange.Kind.RELEASED, monday)
    licence = participant_services.save_licence(
        participant=participant, actor=om,
        licence=Licence(starts_on=monday, ends_on=today + datetime.timedelta(days=400),
                        sentence_expiry_on=today + datetime.timedelta(days=800)),
    )  # fmt: skip
    for category, text, starts, ends in (
        ("residence", "Reside at Ashfield Approved Premises", monday, None),
        ("other", f"Condition: {HOSTILE}", monday, None),
        ("curfew", "Old curfew that ended before the period", monday - datetime.timedelta(30),
         monday - datetime.timedelta(days=1)),
    ):  # fmt: skip
        participant_services.save_condition(
            licence=licence, actor=om,
            condition=LicenceCondition(category=category, text=text, starts_on=starts, ends_on=ends),
        )  # fmt: skip

    def record(day, outcome, reason=""):
        return attendance(
            service=service, actor=keyworker, participant=participant, starts_at=at(day),
            outcome=outcome, reason=reason, title="Thinking skills group",
        )  # fmt: skip

    record(on(0, 0), Outcome.ATTENDED)
    record(on(0, 2), Outcome.LATE)
    record(on(1, 0), Outcome.ATTENDED)
    record(on(1, 2), Outcome.ACCEPTABLE_ABSENCE, AbsenceReason.MEDICAL)
    missed_first = record(on(2, 0), Outcome.UNACCEPTABLE_ABSENCE)
    record(on(2, 2), Outcome.ATTENDED)
    missed_second = record(on(3, 0), Outcome.UNACCEPTABLE_ABSENCE)
    record(on(3, 1), Outcome.FAILED_TO_COMPLY)
    record(on(3, 2), Outcome.ATTENDED)
    attendance(
        service=service, actor=keyworker, participant=participant, starts_at=at(on(3, 3)),
        outcome=Outcome.UNACCEPTABLE_ABSENCE, enforceable=False, title="Cooking club",
    )  # fmt: skip

    session_services.add_note(
        session=missed_first.session, participant=participant, actor=keyworker,
        note=SessionNote(summary=f"Note: {HOSTILE}", visibility="shared"),
    )  # fmt: skip
    session_services.add_note(
        session=missed_second.session, participant=participant, actor=keyworker,
        note=SessionNote(summary="Health-only: disclosed a relapse", visibility="health"),
    )  # fmt: skip

    session_services.record_enforcement(
        participant=participant, actor=om, decision=EnforcementDecision.Decision.FIRST_WARNING,
        decided_on=on(2, 1), reason=f"Reason: {HOSTILE}",
    )  # fmt: skip
    considered = session_services.record_enforcement(
        participant=participant, actor=om, decided_on=on(3, 3),
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED, reason="Second absence",
    )  # fmt: skip
    session_services.record_recall_decision(
        enforcement=considered, actor=om, why="contact", alternatives_tried=["warning"],
        senior_manager_rationale="Lost contact twice in a month", outcome="fixed_term",
        decided_on=on(3, 3),
    )  # fmt: skip
    participant.refresh_from_db()
    return {"start": monday, "end": week[3] + datetime.timedelta(days=6), "week": week, "on": on}


def test_the_compliance_report_shows_what_a_recall_decision_needs(
    jamals_month, participant, personas, service, read_pdf, spy_fetcher
):
    start, end, week, on = (jamals_month[k] for k in ("start", "end", "week", "on"))
    report, sent = services.request_compliance_report(
        actor=personas["offender_manager"], participant=participant, start=start, end=end
    )
    assert sent
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    assert report.figures is None  # counts are kept only for commissioner reports
    pdf = read_pdf(report)
    text = pdf.text

    # Who he is.
    assert f"Licence compliance report Jamal Okoro, {long_date(start)} to {long_date(end)}" in text
    for fact in (
        "Name Jamal Okoro",
        "Date of birth 15 June 1985",
        "Prison number A1234BC",
        "CRN X123456",
        "PNC number 2001/0012345A",
        "NHS number 9434765919",
        "Service Resettle Merseyside",
        "Offender manager Sarah Okafor",
    ):
        assert fact in text, fact

    # His licence and the conditions in force during the period.
    today = timezone.localdate()
    assert f"Licence start {long_date(start)}" in text
    assert f"Licence expiry (LED) {long_date(today + datetime.timedelta(days=400))}" in text
    assert f"Sentence expiry (SED) {long_date(today + datetime.timedelta(days=800))}" in text
    assert "Standard conditions Apply" in text
    assert f"Residence Reside at Ashfield Approved Premises {short_date(start)} Licence end" in text
    assert "Old curfew" not in text

    # Stage history.
    assert "At the start of the period: In-reach (in custody)." in text
    assert f"{short_date(start)} Released – through the gate" in text
    assert f"{short_date(on(3, 3))} Recalled to custody Fixed-term recall" in text

    # Week by week: days attended against the two his plan expects; the week of his recall
    # (on the Thursday) expects its share of Monday to Wednesday: 3 x 2/5, rounded down 1.
    assert (
        "Two measures. Days attended against days expected: 71% (5 of 7 expected days); "
        "2 days short in 2 weeks below expectation. "
        "Enforceable sessions complied with: 67% (6 of 9)."
    ) in text
    for monday, expected, attended, shortfall, absences in zip(
        week,
        (2, 2, 2, 1),
        (2, 1, 1, 2),
        ("None", "1 day short", "1 day short",
         "None (In custody 2 weekdays; pro rata: 3 of 5 weekdays on licence)"),
        ("None", "Acceptable absence", "Unacceptable absence", "Unacceptable absence"),
        strict=True,
    ):  # fmt: skip
        row = f"{monday:%a} {short_date(monday)} {expected} {attended} {shortfall} {absences}"
        assert squeeze(row) in pdf.compact, row

    # Each absence with its classification and reason.
    assert "Unacceptable absences in the period: 2." in text
    assert "warning after 1 and reviews recall after 2 in 12 months" in text
    group = "10:00 Thinking skills group"
    assert f"{short_date(on(1, 2))} {group} Acceptable absence Medical –" in text
    assert f"{short_date(on(2, 0))} {group} Unacceptable absence – Note:" in text
    assert f"{short_date(on(3, 0))} {group} Unacceptable absence – –" in text
    assert f"{short_date(on(3, 1))} {group} Attended but failed to comply (behaviour) – –" in text
    assert "Cooking club" not in text  # not enforceable
    assert "relapse" not in text  # a health-only note never reaches the report

    # The decisions, with the recall decision behind "recall considered".
    assert f"{short_date(on(2, 1))} First warning letter (1 absence counted) Sarah Okafor" in text
    assert (
        f"{short_date(on(3, 3))} Recall considered (2 absences counted) Sarah Okafor "
        f"Second absence Recall decision ({short_date(on(3, 3))}, Sarah Okafor): "
        "Fixed-term recall. Lost contact twice in a month" in text
    )

    # Current risk and plan.
    assert f"Risk of serious harm (assessed {long_date(start - datetime.timedelta(10))})" in text
    for level in ("Public High", "Known adult Very high", "Children Low", "Staff Medium"):
        assert level in text, level  # the table may break across pages
    assert "MAPPA category 2, level 1." in text
    approved = long_date(start - datetime.timedelta(10))
    assert f"Risk management plan version 1, approved {approved} by Sarah Okafor." in text

    # Sign-off.
    assert "Offender manager's sign-off" in text
    assert "Name: Sarah Okafor Signature Date" in text
    for number, page in enumerate(pdf.pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {number} of {len(pdf.pages)}" in page

    # Typed text is printed as typed, and nothing is fetched because of it.
    hostile = squeeze(HOSTILE)
    for where in ("Note:", "Reason:", "Condition:"):
        assert squeeze(where) + hostile in pdf.compact, where
    (fetcher,) = spy_fetcher
    assert fetcher.refused == []
    assert fetcher.fetched == REPORT_FILES


def test_report_rendering_never_fetches_what_the_html_points_at(spy_fetcher):
    """Even unescaped HTML (were a template to forget escaping) cannot reach a file or host."""
    rendered = report_pdf.render_pdf(
        f'<html><head><link rel="stylesheet" href="{STATIC_BASE}reports/report.css"></head>'
        f"<body><p>Hello</p>{HOSTILE}"
        '<img src="data:image/png;base64,iVBORw0KGgo="></body></html>'
    )
    assert rendered.content.startswith(b"%PDF")
    (fetcher,) = spy_fetcher
    assert fetcher.fetched == REPORT_FILES
    # The image and the attachment (file:), the @import (http:) and the data: image.
    assert sorted(rendered.refused) == sorted(
        [
            "file:///etc/passwd",
            "file:///etc/passwd",
            "http://169.254.169.254/",
            "data:image/png;base64,iVBORw0KGgo=",
        ]
    )
    assert list(rendered.refused) == fetcher.refused


def test_the_fetcher_serves_only_the_projects_own_static_files(settings, tmp_path):
    # A static folder holding a file of a kind reports never use, which the finders do find.
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "settings.py").write_text("SECRET_KEY = 'x'\n")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(tmp_path)]
    assert finders.find("reports/settings.py") == str(tmp_path / "reports" / "settings.py")

    fetcher = StaticFilesOnlyFetcher()
    response = fetcher.fetch(f"{STATIC_BASE}reports/report.css")
    expected = Path(finders.find("reports/report.css")).read_bytes()
    assert response.read() == expected
    assert response.headers.get_content_type() == "text/css"
    assert fetcher.fetched == [f"{STATIC_BASE}reports/report.css"]

    refused = [
        "file:///etc/passwd",
        "http://169.254.169.254/",
        "https://169.254.169.254/latest/meta-data/",
        "data:text/css;base64,Ym9keXtjb2xvcjpyZWR9",
        f"{STATIC_BASE}../../etc/passwd",
        f"{STATIC_BASE}%2e%2e/%2e%2e/etc/passwd",
        f"{STATIC_BASE}reports/../reports/report.css",
        f"{STATIC_BASE}/etc/passwd",
        f"{STATIC_BASE}reports/report.css?x=1",
        f"{STATIC_BASE}reports/report.css#top",
        f"{STATIC_BASE}reports/missing.css",
        f"{STATIC_BASE}reports/settings.py",
        "https://static.resettle.invalid.example.com/static/reports/report.css",
    ]
    for url in refused:
        with pytest.raises(ValueError, match="only use the project's own static files"):
            fetcher.fetch(url)
    assert fetcher.refused == refused
    assert fetcher.fetched == [f"{STATIC_BASE}reports/report.css"]


def test_a_man_attending_2_of_his_4_days_reads_50_percent_with_his_shortfall_in_the_pdf(
    participant, personas, service, read_pdf
):
    """In custody the first week of the period, then released on a Monday with no plan yet
    (the service's 4 days) and attending Monday and Wednesday of each of 4 weeks: 8 of 16
    expected days, 50%, 2 short each week; every session he was at complied with (8 of 8)."""
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    today = timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday() + 35)
    mondays = [first + datetime.timedelta(days=7 * n) for n in range(5)]
    move(participant, om, StageChange.Kind.RELEASED, mondays[1])
    for monday in mondays[1:]:
        for weekday in (0, 2):
            attendance(
                service=service, actor=keyworker, participant=participant,
                starts_at=at(monday + datetime.timedelta(days=weekday)),
                outcome=Outcome.ATTENDED, title="Thinking skills group",
            )  # fmt: skip
    report, _sent = services.request_compliance_report(
        actor=om, participant=participant, start=first, end=mondays[4] + datetime.timedelta(6)
    )
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    pdf = read_pdf(report)
    assert (
        "Days attended against days expected: 50% (8 of 16 expected days); "
        "8 days short in 4 weeks below expectation. "
        "Enforceable sessions complied with: 100% (8 of 8)."
    ) in pdf.text
    assert squeeze(f"{first:%a} {short_date(first)} In custody 0 None") in pdf.compact
    for monday in mondays[1:]:
        row = f"{monday:%a} {short_date(monday)} 4 2 2 days short None"
        assert squeeze(row) in pdf.compact, row
