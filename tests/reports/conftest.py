"""Shared by the report tests: the quarter they count, reading PDFs back, the broker."""

import re
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone

from reports.models import ReportRequest, report_storage
from reports.quarters import Quarter, completed_quarters


@pytest.fixture
def quarter() -> Quarter:
    """The most recent quarter that has ended."""
    return completed_quarters(timezone.localdate(), 1)[0]


@dataclass(frozen=True)
class PdfText:
    pages: list[str]  # each page's text, whitespace normalised

    @property
    def text(self) -> str:
        return " ".join(self.pages)

    @property
    def compact(self) -> str:
        """All the text without any whitespace (for strings a line may wrap inside)."""
        return re.sub(r"\s+", "", self.text)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


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
