"""Small helpers of the generator: ids and numbers from a seeded stream, bank holidays,
and the placeholder file every generated report downloads."""

import datetime
import math
import random

from django.core.files.base import ContentFile

from reports.models import report_storage

from .constants import PLACEHOLDER_REPORT


def uid(rng: random.Random) -> str:
    """A version-4 UUID from the service's own random stream (so the same seed, same ids)."""
    n = rng.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _easter(year: int) -> datetime.date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday) // 433
    month = (h + weekday - 7 * m + 90) // 25
    return datetime.date(year, month, (h + weekday - 7 * m + 33 * month + 19) % 32)


def _first_monday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month, 1)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def _last_monday(year: int, month: int) -> datetime.date:
    day = datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=day.weekday())


def bank_holidays_of(year: int) -> list[tuple[datetime.date, str]]:
    """England and Wales bank holidays (with substitute days and the one-off ones)."""
    easter = _easter(year)
    new_year = datetime.date(year, 1, 1)
    while new_year.weekday() >= 5:
        new_year += datetime.timedelta(days=1)
    early_may = datetime.date(2020, 5, 8) if year == 2020 else _first_monday(year, 5)
    spring = datetime.date(2022, 6, 2) if year == 2022 else _last_monday(year, 5)
    christmas, boxing = datetime.date(year, 12, 25), datetime.date(year, 12, 26)
    if christmas.weekday() == 5:
        christmas, boxing = datetime.date(year, 12, 27), datetime.date(year, 12, 28)
    elif christmas.weekday() == 6:
        christmas = datetime.date(year, 12, 27)
    elif boxing.weekday() == 5:
        boxing = datetime.date(year, 12, 28)
    days = [
        (new_year, "New Year's Day"),
        (easter - datetime.timedelta(days=2), "Good Friday"),
        (easter + datetime.timedelta(days=1), "Easter Monday"),
        (early_may, "Early May bank holiday"),
        (spring, "Spring bank holiday"),
        (_last_monday(year, 8), "Summer bank holiday"),
        (christmas, "Christmas Day"),
        (boxing, "Boxing Day"),
    ]
    one_off = {
        2022: [
            (datetime.date(2022, 6, 3), "Platinum Jubilee bank holiday"),
            (datetime.date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
        ],
        2023: [(datetime.date(2023, 5, 8), "Bank holiday for the coronation of King Charles III")],
    }
    return sorted(days + one_off.get(year, []))


def placeholder_pdf_bytes() -> bytes:
    """A valid one-page PDF saying it is a placeholder."""
    text = b"BT /F1 14 Tf 72 760 Td (Benchmark dataset: placeholder report file) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def write_placeholder_pdf() -> None:
    """Save the placeholder into report storage once, so generated reports download."""
    storage = report_storage()
    if not storage.exists(PLACEHOLDER_REPORT):
        storage.save(PLACEHOLDER_REPORT, ContentFile(placeholder_pdf_bytes()))
