"""Shared by the report tests: the quarter they count, reading PDFs back, the broker."""

import re
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone

from reports.models import ReportRequest, report_storage
from reports.pdf import STATIC_BASE
from reports.quarters import Quarter, completed_quarters

# All a report may fetch: its stylesheet, then the typeface the stylesheet declares.
REPORT_FILES = [
    f"{STATIC_BASE}reports/report.css",
    *(
        f"{STATIC_BASE}reports/fonts/LiberationSans-{face}.ttf"
        for face in ("Regular", "Bold", "Italic", "BoldItalic")
    ),
]


@pytest.fixture
def quarter() -> Quarter:
    """The most recent quarter that has ended."""
    return completed_quarters(timezone.localdate(), 1)[0]


class ReadText(str):
    """Text read back from a PDF, compared as a reader sees it, not as glyphs are spaced.

    Whether a PDF's text comes back with a space between a label and its value, or between
    two table cells, depends on the gap the layout left between their glyphs, not on anything
    a reader sees. So `phrase in text` (and `startswith`, `count`) let any whitespace of the
    phrase be missing or doubled: "Sentence expiry (SED) 9 February 2029" is found whether or
    not a space was read between the two. A number in the phrase is still read whole, judged
    on the text as read: "Accepted 5" is not found in "Accepted 50", nor "Page 1 of 1" in
    "Page 1 of 12", but "Under 6 months 5" is found in "Under 6 months 5 6 to 12 months" (the
    next cell's number). The text itself keeps its (normalised) spaces, for messages.
    """

    def __contains__(self, phrase) -> bool:
        return as_read(phrase).search(self) is not None

    def startswith(self, prefix) -> bool:
        return as_read(prefix).match(self) is not None

    def count(self, phrase) -> int:
        return len(as_read(phrase).findall(self))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def as_read(phrase: str) -> re.Pattern:
    """The phrase with any of its whitespace optional, its leading and trailing numbers not
    part of longer ones."""
    squeezed = squeeze(phrase)
    before = r"(?<!\d)" if squeezed[:1].isdigit() else ""
    after = r"(?!\d)" if squeezed[-1:].isdigit() else ""
    return re.compile(before + r"\s*".join(map(re.escape, squeezed)) + after)


@dataclass(frozen=True)
class PdfText:
    pages: list[ReadText]  # each page's text, whitespace normalised

    @property
    def text(self) -> ReadText:
        return ReadText(" ".join(self.pages))

    @property
    def compact(self) -> str:
        """All the text without any whitespace (for strings a line may wrap inside)."""
        return squeeze(self.text)


def normalise(text: str) -> ReadText:
    return ReadText(re.sub(r"\s+", " ", text).strip())


@pytest.fixture
def read_pdf():
    """The text of a report's stored PDF, page by page (WeasyPrint wraps lines freely)."""

    def read(report) -> PdfText:
        with report.file.open("rb") as handle:
            reader = pypdf.PdfReader(handle)
            return PdfText([normalise(page.extract_text()) for page in reader.pages])

    return read


@pytest.fixture(autouse=True)
def report_files_dir(tmp_path):
    """Each test keeps its report files in a folder of its own.

    Other test runs on this machine share test-artifacts/private: they must neither see these
    files nor remove them, nor these tests theirs.
    """
    root = tmp_path / "private"
    field_storage = ReportRequest._meta.get_field("file").storage
    with pytest.MonkeyPatch.context() as patch:
        for storage in {id(s): s for s in (report_storage(), field_storage)}.values():
            patch.setattr(storage, "location", str(root))
        yield root


@pytest.fixture
def files_of(report_files_dir):
    """The files in report storage that belong to one report (named by its id)."""

    def files(report) -> list[Path]:
        return sorted(report_files_dir.glob(f"reports/*/{report.pk}*"))

    return files


class Broker:
    """Stands in for the broker going down (handing over a task raises as kombu does)."""

    def __init__(self):
        self.tries = 0
        self._patch = pytest.MonkeyPatch()

    def go_down(self) -> None:
        from kombu.exceptions import OperationalError

        from reports.tasks import produce_report_task

        def unreachable(*args, **kwargs):
            self.tries += 1
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        self._patch.setattr(produce_report_task, "apply_async", unreachable)

    def come_back(self) -> None:
        self._patch.undo()


@pytest.fixture
def broker_down():
    broker = Broker()
    broker.go_down()
    yield broker
    broker.come_back()
