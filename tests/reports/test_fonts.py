"""A report reads the same on every host: the typeface ships with the project and is embedded.

The report is rendered twice: here, with whatever fonts this machine has, and in a separate
process whose fontconfig sees an empty folder (a slim container image with no fonts at all,
where WeasyPrint once crashed the process). Both give the same pages and the same text, and
every font in either PDF is the one the project ships (reports/static/reports/fonts/).
"""

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pypdf
import pytest
from django.contrib.staticfiles import finders

from reports import services
from reports.pdf import render_pdf
from tests.reports.conftest import normalise
from tests.reports.test_compliance_report import jamals_month  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_FACES = {"Regular", "Bold", "Italic", "BoldItalic"}

RENDER_WITHOUT_HOST_FONTS = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from reports.pdf import render_pdf
    html = open(sys.argv[1], encoding="utf-8").read()
    open(sys.argv[2], "wb").write(render_pdf(html).content)
    """
)


def pages_and_fonts(content: bytes) -> tuple[list[str], set[str]]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return [normalise(page.extract_text()) for page in reader.pages], fonts


def test_the_shipped_typeface_and_its_licence_are_in_the_static_files():
    for face in SHIPPED_FACES:
        assert finders.find(f"reports/fonts/LiberationSans-{face}.ttf"), face
    licence = Path(finders.find("reports/fonts/OFL.txt")).read_text()
    assert "SIL OPEN FONT LICENSE" in licence.upper()
    stylesheet = Path(finders.find("reports/report.css")).read_text()
    assert stylesheet.count("@font-face") == len(SHIPPED_FACES)


def test_a_report_is_the_same_on_a_host_without_any_font(
    jamals_month,  # noqa: F811 - the fixture imported above
    participant,
    personas,
    tmp_path,
):
    report, _sent = services.request_compliance_report(
        actor=personas["offender_manager"],
        participant=participant,
        start=jamals_month["start"],
        end=jamals_month["end"],
    )
    html, _counts = services.build_html(report, lambda *args, **kwargs: None)
    here = render_pdf(html).content

    empty = tmp_path / "no-fonts"
    empty.mkdir()
    (tmp_path / "fonts.conf").write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{empty}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            RENDER_WITHOUT_HOST_FONTS,
            str(tmp_path / "report.html"),
            str(tmp_path / "report.pdf"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "FONTCONFIG_FILE": str(tmp_path / "fonts.conf"),
            "FONTCONFIG_PATH": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "resettle.settings_test",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # A crash in the font code (as on a slim image once) ends the process with a signal.
    assert finished.returncode == 0, finished.stderr[-2000:]
    bare = (tmp_path / "report.pdf").read_bytes()

    here_pages, here_fonts = pages_and_fonts(here)
    bare_pages, bare_fonts = pages_and_fonts(bare)
    assert len(bare_pages) == len(here_pages)
    assert json.dumps(bare_pages) == json.dumps(here_pages)
    assert "Jamal Okoro" in bare_pages[0]
    # Only the shipped typeface, under the family name the stylesheet gives it (after the
    # subset prefix, "ABCDEF+"), on both hosts: nothing of the host's.
    for fonts in (here_fonts, bare_fonts):
        assert fonts, "no font embedded"
        assert all(name.split("+")[-1].startswith("Resettle-Report-Sans") for name in fonts), fonts
