"""Hostile text in every free-text field a report prints, put there behind the forms' backs.

The forms refuse markup, but text also arrives from before that rule, from the admin site, an
import or a migration. Whatever is stored, a report must (a) hand WeasyPrint the text only
escaped, (b) never make it fetch anything but the project's own stylesheet (every address
in the text is refused if asked for directly too), (c) print the text exactly as typed, and
(d) carry no attachment, script or link out of the PDF.

test_compliance_report.py already shows markup in a note summary, an enforcement reason and a
licence condition printed as text with nothing fetched; this module adds the rest of the
fields, the other attack shapes, the HTML itself, and the PDF's insides.
"""

import datetime
import io
import re
import time

import pypdf
import pytest
from django.utils import timezone
from django.utils.html import escape
from weasyprint import HTML

from participants import services as participant_services
from participants.models import Licence, LicenceCondition, Participant, StageChange
from reports import pdf as report_pdf
from reports import services
from reports.models import ReportStatus
from reports.pdf import STATIC_BASE, StaticFilesOnlyFetcher
from sessions import services as session_services
from sessions.models import EnforcementDecision, Outcome, SessionNote
from tests.factories.reports import at, attendance, move
from tests.reports.conftest import REPORT_FILES

pytestmark = pytest.mark.django_db

# Each would fetch a file or a host, attach a file, run a script or blow up the layout if it
# reached WeasyPrint as markup.
HOSTILE = {
    "img": '<img src="file:///etc/passwd">',
    "attachment": '<link rel=attachment href="file:///etc/passwd">',
    "import": "<style>@import url(http://169.254.169.254/)</style>",
    "huge": '<div style="font-size:1e9px">huge</div>',
    "script": "<script>alert(1)</script>",
    "iframe": '<iframe src="http://169.254.169.254/latest/meta-data/"></iframe>',
    "data": '<p style="background:url(data:image/svg+xml;base64,PHN2Zz4=)">x</p>',
    "object": '<object data="file:///etc/shadow"></object>',
    "svg": '<svg><image href="file:///etc/hosts"/></svg>',
}
EVERYTHING = " ".join(HOSTILE.values())
ADDRESSES_IN_THEM = [
    "file:///etc/passwd",
    "http://169.254.169.254/",
    "http://169.254.169.254/latest/meta-data/",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "file:///etc/shadow",
    "file:///etc/hosts",
]


def squeeze(text: str) -> str:
    return "".join(text.split())


class SpyFetcher(StaticFilesOnlyFetcher):
    made: list["SpyFetcher"] = []

    def __init__(self):
        super().__init__()
        SpyFetcher.made.append(self)


@pytest.fixture
def rendering(monkeypatch):
    """Every HTML document handed to WeasyPrint, and every fetcher it was given."""
    seen = {"html": [], "fetchers": []}
    real = services.render_pdf

    def spying(html):
        seen["html"].append(html)
        return real(html)

    SpyFetcher.made = seen["fetchers"]
    monkeypatch.setattr(report_pdf, "StaticFilesOnlyFetcher", SpyFetcher)
    monkeypatch.setattr(services, "render_pdf", spying)
    return seen


@pytest.fixture
def hostile_month(participant, personas, service):
    """Jamal's month with hostile text in every free-text field the compliance report prints:
    his names, a session's title, the shared summary of a missed session's note, a licence
    condition, an enforcement reason, a recall rationale, and his offender manager's name."""
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    today = timezone.localdate()
    start = today - datetime.timedelta(days=28)
    om.full_name = f"Sarah {HOSTILE['script']}"
    om.save()
    Participant.objects.filter(pk=participant.pk).update(
        given_name=f"Jamal{HOSTILE['img']}"[:100],
        family_name=f"Okoro{HOSTILE['import']}"[:100],
        preferred_name=HOSTILE["object"][:100],
    )
    participant.refresh_from_db()
    move(participant, om, StageChange.Kind.RELEASED, start)
    licence = participant_services.save_licence(
        participant=participant, actor=om,
        licence=Licence(starts_on=start, ends_on=today + datetime.timedelta(days=300)),
    )  # fmt: skip
    participant_services.save_condition(
        licence=licence, actor=om,
        condition=LicenceCondition(category="other", text=f"Condition: {EVERYTHING}", starts_on=start),
    )  # fmt: skip
    missed = attendance(
        service=service, actor=keyworker, participant=participant,
        starts_at=at(start + datetime.timedelta(days=2)),
        outcome=Outcome.UNACCEPTABLE_ABSENCE, title=f"Group {HOSTILE['iframe']}",
    )  # fmt: skip
    session_services.add_note(
        session=missed.session, participant=participant, actor=keyworker,
        note=SessionNote(summary=f"Summary: {EVERYTHING}"[:300], visibility="shared"),
    )  # fmt: skip
    considered = session_services.record_enforcement(
        participant=participant, actor=om, decided_on=start + datetime.timedelta(days=3),
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED, reason=f"Reason: {EVERYTHING}",
    )  # fmt: skip
    session_services.record_recall_decision(
        enforcement=considered, actor=om, why="contact", alternatives_tried=["warning"],
        senior_manager_rationale=f"Rationale: {EVERYTHING}", outcome="no_recall",
        decided_on=start + datetime.timedelta(days=3),
    )  # fmt: skip
    return {"start": start, "end": today}


def printed_fields(participant) -> dict[str, str]:
    """Each hostile value as it is stored, by where it was typed."""
    participant.refresh_from_db()
    note = SessionNote.objects.get(participant=participant)
    decision = participant.enforcement_decisions.get()
    return {
        "given name": participant.given_name,
        "family name": participant.family_name,
        "preferred name": participant.preferred_name,
        "session title": note.session.title,
        "note summary": note.summary,
        "condition": participant.licences.get().conditions.get().text,
        "enforcement reason": decision.reason,
        "recall rationale": decision.recall_decision.senior_manager_rationale,
        "offender manager": decision.decided_by.full_name,
    }


def pdf_of(report) -> pypdf.PdfReader:
    with report.file.open("rb") as handle:
        return pypdf.PdfReader(io.BytesIO(handle.read()))


def active_content(reader: pypdf.PdfReader) -> list[str]:
    """Embedded files, attachments, scripts, launch actions and links in a PDF."""
    found = []
    root = reader.trailer["/Root"]
    names = root.get("/Names")
    if names is not None:
        names = names.get_object()
        for key in ("/EmbeddedFiles", "/JavaScript"):
            if key in names:
                found.append(key)
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        if key in root:
            found.append(key)
    for number, page in enumerate(reader.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A")
            action = action.get_object() if action is not None else {}
            kind = annotation.get("/Subtype")
            if kind == "/FileAttachment" or action.get("/S") in ("/Launch", "/JavaScript"):
                found.append(f"page {number}: {kind} {action.get('/S')}")
            if action.get("/URI") is not None:
                found.append(f"page {number}: link to {action['/URI']}")
    return found


def test_hostile_text_in_every_field_is_escaped_printed_as_typed_and_fetches_nothing(
    hostile_month, participant, personas, rendering
):
    report, _sent = services.request_compliance_report(
        actor=personas["offender_manager"], participant=participant, **hostile_month
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    fields = printed_fields(participant)

    # (a) The HTML WeasyPrint was given holds each value only escaped.
    (html,) = rendering["html"]
    for snippet in HOSTILE.values():
        assert snippet not in html, snippet
    for where, value in fields.items():
        assert escape(value) in html, where
    assert not re.search(r"<(img|iframe|object|script|svg|style)\b", html.split("</head>")[1])

    # (b) Nothing was fetched but the stylesheet and its typeface; nothing else was asked for.
    (fetcher,) = rendering["fetchers"]
    assert fetcher.fetched == REPORT_FILES
    assert fetcher.refused == []

    # (c) The PDF prints each value as typed (lines wrap, so spaces are not compared).
    text = squeeze(" ".join(page.extract_text() for page in pdf_of(report).pages))
    for where, value in fields.items():
        assert squeeze(value) in text, where

    # (d) No attachment, script, form, launch action or link in the PDF.
    assert active_content(pdf_of(report)) == []


def test_every_address_in_the_hostile_text_is_refused_if_asked_for_directly():
    fetcher = StaticFilesOnlyFetcher()
    for url in ADDRESSES_IN_THEM:
        with pytest.raises(ValueError, match="only use the project's own static files"):
            fetcher.fetch(url)
    assert fetcher.refused == ADDRESSES_IN_THEM
    assert fetcher.fetched == []


def test_the_pdf_check_finds_an_attachment_when_there_is_one():
    """The check in (d) is not vacuous: markup that does attach a file (here the project's
    own stylesheet, the one thing the fetcher allows) is found."""
    rendered = report_pdf.render_pdf(
        f'<html><head><link rel="attachment" href="{STATIC_BASE}reports/report.css"></head>'
        f'<body><p>Hello</p><a href="file:///etc/passwd">x</a></body></html>'
    )
    found = active_content(pypdf.PdfReader(io.BytesIO(rendered.content)))
    assert "/EmbeddedFiles" in found
    assert any("link to file:///etc/passwd" in item for item in found)


def test_a_hostile_service_name_is_printed_as_text_in_the_commissioner_report(
    service, personas, quarter, rendering, read_pdf
):
    service.name = f"Resettle {HOSTILE['attachment']} {HOSTILE['huge']}"
    service.save()
    report, _sent = services.request_commissioner_report(
        actor=personas["service_manager"], service=service, quarter=quarter
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    (html,) = rendering["html"]
    assert HOSTILE["attachment"] not in html and HOSTILE["huge"] not in html
    assert escape(service.name) in html
    assert squeeze(service.name) in read_pdf(report).compact
    (fetcher,) = rendering["fetchers"]
    assert fetcher.fetched == REPORT_FILES and fetcher.refused == []
    assert active_content(pdf_of(report)) == []


# --- Found here: long typed text made the compliance report take minutes ---------------------


def boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from boxes(child)


def test_a_long_condition_and_an_unbroken_word_render_in_seconds_and_stay_on_the_page(
    participant, personas, monkeypatch
):
    """A 2,000-character licence condition took 12 seconds and 5,000 over two minutes
    (WeasyPrint measured text that may break anywhere, character by character, to size the
    table); a word longer than a line must wrap rather than run off the page."""
    om = personas["offender_manager"]
    today = timezone.localdate()
    start = today - datetime.timedelta(days=28)
    licence = participant_services.save_licence(
        participant=participant, actor=om,
        licence=Licence(starts_on=start, ends_on=today + datetime.timedelta(days=300)),
    )  # fmt: skip
    wording = ("He must not contact the people named in the schedule. " * 100)[:5000]
    participant_services.save_condition(
        licence=licence, actor=om,
        condition=LicenceCondition(category="other", text=wording, starts_on=start),
    )  # fmt: skip
    session_services.record_enforcement(
        participant=participant, actor=om, decided_on=today,
        decision=EnforcementDecision.Decision.FIRST_WARNING, reason="Ref:" + "X" * 1500,
    )  # fmt: skip
    monkeypatch.setattr(services, "send_to_worker", lambda report_id: True)
    report, _sent = services.request_compliance_report(
        actor=om, participant=participant, start=start, end=today
    )
    html, _counts = services.build_html(report)

    began = time.monotonic()
    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticFilesOnlyFetcher())
    rendered = document.render()
    took = time.monotonic() - began
    assert took < 20, f"rendering took {took:.0f} seconds"

    for page in rendered.pages:
        right_edge = page._page_box.margin_width()
        for box in boxes(page._page_box):
            if type(box).__name__ == "TableCellBox":
                assert box.position_x + box.margin_width() <= right_edge + 1
    pages = pypdf.PdfReader(io.BytesIO(rendered.write_pdf())).pages
    # Each page's marking, date and number come last in its text.
    furniture = re.compile(
        r"Resettle Merseyside\s*OFFICIAL-SENSITIVE\s*Generated.*?Page\s*\d+\s*of\s*\d+\s*$", re.S
    )
    text = squeeze(" ".join(furniture.sub("", p.extract_text()) for p in pages))
    # The row runs over pages: its other cells end the first part, the table's heading
    # starts the next. Without them the wording reads on, whole.
    for interruption in ("Condition Wording From To", f"{start.day} {start:%b %Y} Licence end"):
        text = text.replace(squeeze(interruption), "")
    assert squeeze(wording) in text
    assert "Ref:" + "X" * 1500 in text
