"""Issue 27: report PDFs that print and read well.

Every table cell's text lies within the page; the PDF is tagged (a structure tree, PDF/UA-1);
chart text is at least 8 pt and its labels whole; an empty chart says "No data this quarter";
the file is named by the report's reference and period."""

import re
from pathlib import Path

import pypdf
import pytest

from reports import charts, services
from reports.models import ReportStatus
from reports.suppression import Cell
from tests.factories import ServiceFactory
from tests.reports.test_commissioner_report import (  # noqa: F401 (fixtures)
    build_small_quarter,
    merseyside_quarter,
)

pytestmark = pytest.mark.django_db


def fragments(report) -> list[tuple[int, str, float, float, float]]:
    """(page number, text, x, y, font size in pt) of every piece of text pypdf reads."""
    found = []
    with report.file.open("rb") as handle:
        reader = pypdf.PdfReader(handle)
        for number, page in enumerate(reader.pages, start=1):

            def visit(text, cm, tm, font, size, number=number):
                if not text.strip():
                    return
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                scale = abs(tm[0] * cm[0]) or abs(tm[1] * cm[1]) or 1
                found.append((number, text, x, y, size * scale))

            page.extract_text(visitor_text=visit)
            found.append((number, "__box__", *map(float, page.mediabox.upper_right), 0))
    return found


def structure_tree(report) -> bool:
    with report.file.open("rb") as handle:
        root = pypdf.PdfReader(handle).trailer["/Root"]
        return "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]


@pytest.fixture
def rollup(merseyside_quarter, service, other_service, personas, quarter):  # noqa: F811
    _expected, people = merseyside_quarter
    build_small_quarter(other_service, personas["outsider_manager"], quarter, people)
    ServiceFactory(name="Pathways Kent")
    ours, _ = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    theirs, _ = services.request_commissioner_report(
        actor=personas["outsider_manager"], service=other_service, quarter=quarter
    )
    services.approve_report(actor=personas["service_manager"], report=ours)
    services.approve_report(actor=personas["outsider_manager"], report=theirs)
    report, _ = services.request_national_rollup(actor=personas["commissioner"], quarter=quarter)
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    return report


def test_every_cell_of_the_services_included_table_is_within_the_page(rollup):
    pieces = fragments(rollup)
    boxes = {n: (w, h) for n, t, w, h, _s in pieces if t == "__box__"}
    text = [(n, t, x, y, s) for n, t, x, y, s in pieces if t != "__box__"]
    outside = [
        (n, t, round(x)) for n, t, x, y, s in text
        if x < 0 or y < 0 or x + 0.45 * s * len(t.strip()) > boxes[n][0] or y > boxes[n][1]
    ]  # fmt: skip
    assert outside == [], [(n, t, x, y, s) for n, t, x, y, s in text if (n, t, round(x)) in outside]
    read = re.sub(r"\s+", "", "".join(t for _n, t, *_ in text))
    for heading in (
        "Service", "In custody (in-reach)", "Funded custody places", "In the community",
        "Funded community places", "Referrals", "Releases", "Recalls", "Crisis calls",
    ):  # fmt: skip
        assert re.sub(r"\s+", "", heading) in read, heading
    per_service = rollup.figures.get("per_service") or []
    for row in per_service:
        for value in row.values():
            assert re.sub(r"\s+", "", str(value)) in read, value


def test_the_pdfs_are_tagged_pdf_ua(rollup, service, personas, quarter):
    assert structure_tree(rollup)
    commissioner, _ = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    assert structure_tree(commissioner)
    with commissioner.file.open("rb") as handle:
        xmp = pypdf.PdfReader(handle).xmp_metadata
        assert xmp is not None and b"pdfuaid" in xmp.stream.get_data()


def test_chart_labels_are_whole_and_text_is_at_least_8_points(
    merseyside_quarter,  # noqa: F811
    service,
    personas,
    quarter,
    read_pdf,
):
    report, _ = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    compact = read_pdf(report).compact
    # Once in the table, once (wrapped onto lines, but whole) in the chart.
    assert compact.count("Inthecommunity(includingmove-on)") >= 2
    assert "ncommunity(includingmove-on)" not in compact.replace("Inthecommunity", "")
    sizes = [s for n, t, x, y, s in fragments(report) if t != "__box__" and "Generated" not in t]
    small = [s for s in sizes if s < 7.9]
    # Only the running footer (its "Generated ..." line, 7 pt) may be smaller than 8 pt.
    assert len(small) <= 3 * report.page_count, sorted(small)[:5]


def test_chart_text_is_drawn_at_8_points_or_more_and_labels_wrap_whole():
    items = [
        ("In the community (including move-on) and a very long further label", Cell(6, False)),
        ("Waiting list", Cell(0, False)),
    ]
    svg = str(charts.bar_chart(items, title="Caseload by stage"))
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', svg)]
    assert min(sizes) >= 11  # SVG px drawn unscaled: 11 px is 8.25 pt
    spans = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert " ".join(spans[:3]).startswith(
        "In the community (including move-on) and a very long further label"
    )
    css = Path("reports/static/reports/report.css").read_text()
    assert "svg.chart { display: block; max-width: 100%;" in css


def test_an_empty_chart_says_no_data_this_quarter():
    html = str(
        charts.bar_chart([("Routine", Cell(0, False)), ("Urgent", Cell(0, False))], title="Calls")
    )
    assert "No data this quarter" in html and "<svg" not in html
    assert "No data this quarter" in str(charts.bar_chart([], title="Calls"))


def test_the_file_name_carries_the_reference_and_period(rollup):
    name = rollup.download_name
    assert str(rollup.pk) in name
    assert f"{rollup.period_start:%Y-%m-%d}-to-{rollup.period_end:%Y-%m-%d}" in name
