"""Reading query parameters that anyone can type: never a 500 from what a URL says.

`str.isdigit()` is true for "²" and "٣", which `int()` refuses, and PostgreSQL refuses a
NUL in any string it is given. These helpers accept only plain ASCII digits or short ASCII
slugs, within bounds, and give back the default for anything else, so a page shown with a
crafted parameter is the same page as without it.
"""

from __future__ import annotations

import re

# A number a page could mean: 1 to 18 digits fits in a PostgreSQL bigint.
_ASCII_NUMBER = re.compile(r"[0-9]{1,18}")
_SLUG = re.compile(r"[a-z0-9_-]{1,40}")


def ascii_int(value, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """`value` as an int if it is plain ASCII digits within the bounds, else None."""
    if not isinstance(value, str) or not _ASCII_NUMBER.fullmatch(value):
        return None
    number = int(value)
    if minimum is not None and number < minimum:
        return None
    if maximum is not None and number > maximum:
        return None
    return number


def page_number(value, *, maximum: int = 10_000) -> int:
    """A page number from a query string: 1 unless it is a plain number from 1 to `maximum`."""
    return ascii_int(value, minimum=1, maximum=maximum) or 1


def slug(value, default: str = "") -> str:
    """A short lower-case ASCII word (a category, a sort key), or `default`."""
    if isinstance(value, str) and _SLUG.fullmatch(value):
        return value
    return default
