"""HTML to PDF with WeasyPrint, allowed to read the project's own static files and nothing else.

Report templates link their stylesheet under STATIC_BASE, a made-up https address that is
never looked up on a network: the fetcher maps it to a file the static-files finders know.
Every other address (file://, http(s)://, data:, anything a user typed) is refused and noted.
"""

import logging
import mimetypes
import posixpath
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

STATIC_BASE = "https://static.resettle.invalid/static/"
# .ttf: the typeface the report stylesheet ships and declares (reports/static/reports/fonts/).
ALLOWED_SUFFIXES = frozenset({".css", ".svg", ".png", ".ttf"})


class StaticFilesOnlyFetcher(URLFetcher):
    def __init__(self):
        super().__init__(
            allowed_protocols={"https"}, allow_redirects=False, fail_on_errors=False, timeout=1
        )
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = self._static_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("Report rendering refused to fetch %s", url[:200])
            raise ValueError("Reports may only use the project's own static files")
        self.fetched.append(url)
        mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type})

    @staticmethod
    def _static_path(url: str) -> str | None:
        if not url.startswith(STATIC_BASE):
            return None
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            return None
        relative = unquote(parts.path).removeprefix("/static/")
        normalised = posixpath.normpath(relative)
        if normalised != relative or normalised.startswith(("/", "..")):
            return None
        if posixpath.splitext(normalised)[1] not in ALLOWED_SUFFIXES:
            return None
        return finders.find(normalised)


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int
    refused: tuple[str, ...]


# Tagged PDF/UA-1: a structure tree (headings, tables, lists) that screen readers follow, the
# document's title shown, its language declared (templates/reports/pdf/_base.html).
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


def render_pdf(html: str) -> RenderedPdf:
    fetcher = StaticFilesOnlyFetcher()
    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=fetcher).render(**PDF_OPTIONS)
    content = document.write_pdf(**PDF_OPTIONS)
    return RenderedPdf(content=content, pages=len(document.pages), refused=tuple(fetcher.refused))
