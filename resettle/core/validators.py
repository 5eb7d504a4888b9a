"""Validators for what people type, used on model fields (so every path is checked) and forms.

- `plain_text`: names and identifiers. Control characters (other than newline and tab) and
  the Unicode bidirectional controls are refused: a right-to-left override makes
  "Jamal‮lanimirc" read as something else on screen and in reports.
- `TextLimit`: a maximum length whose message names the limit, in GOV.UK words.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.deconstruct import deconstructible

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI), and the marks
# (LRM, RLM, ALM) that do the same job invisibly.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def plain_text(value) -> None:
    """Refuse control characters (newline and tab apart) and bidirectional controls."""
    if not isinstance(value, str):
        return
    if _CONTROL.search(value):
        raise ValidationError(
            "Remove the control characters: only letters, numbers, spaces and punctuation "
            "can be used",
            code="control_characters",
        )
    if _BIDI.search(value):
        raise ValidationError(
            "Remove the hidden text-direction characters (right-to-left override and similar)",
            code="bidi_control",
        )


@deconstructible
class TextLimit(MaxLengthValidator):
    """At most `limit_value` characters, with a message that names the limit."""

    message = "Must be %(limit_value)s characters or fewer (it has %(show_value)s)"

    def __init__(self, limit_value, message=None):
        super().__init__(limit_value, message)

    def __call__(self, value):
        cleaned = self.clean(value)
        if self.compare(cleaned, self.limit_value):
            params = {
                "limit_value": f"{self.limit_value:,}",
                "show_value": f"{cleaned:,}",
                "value": value,
            }
            raise ValidationError(self.message, code=self.code, params=params)


# Maximum lengths of free text, by use (what someone else needs to know at a glance, read in
# an alert; a reason or short note; a note or assessment section; a session or call
# narrative). A 20,000-character narrative is about eight pages.
BRIEF_TEXT = 500
SHORT_TEXT = 2_000
NOTE_TEXT = 10_000
NARRATIVE_TEXT = 20_000


def text_limit(limit: int) -> dict:
    """The keyword arguments that give a model TextField its maximum length: shown in its
    form field (max_length) and enforced on the model (TextLimit, run by full_clean)."""
    return {"max_length": limit, "validators": [TextLimit(limit)]}


# A UK phone number as people write it: spaces, hyphens and brackets are ignored, "+44",
# "0044" and "+44 (0)" stand for the leading 0. After the 0: 9 or 10 digits, the first of
# them one that UK numbers start with (01, 02, 03, 05, 07, 08, 09).
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_UK_NATIONAL = re.compile(r"0[1235789]\d{8,9}")
UK_PHONE_MESSAGE = "Enter a UK phone number, like 0151 496 0000, 07700 900 982 or +44 151 496 0000"


def normalise_uk_phone(value: str) -> str:
    """The number in international form ("+441514960000"), or ValidationError."""
    compact = _PHONE_SEPARATORS.sub("", str(value or ""))
    for prefix in ("+440", "00440", "+44", "0044"):
        if compact.startswith(prefix):
            compact = "0" + compact[len(prefix) :]
            break
    if not (compact.isascii() and _UK_NATIONAL.fullmatch(compact)):
        raise ValidationError(UK_PHONE_MESSAGE, code="uk_phone")
    return "+44" + compact[1:]


def uk_phone(value) -> None:
    """A model validator: the value must be a UK phone number (blank is for `blank=True`)."""
    if value:
        normalise_uk_phone(value)


def uk_phone_display(value: str) -> str:
    """A stored number ("+441514960000") written as people in the UK read it: "0151 496 0000"."""
    try:
        national = "0" + normalise_uk_phone(value)[3:]
    except ValidationError:
        return str(value or "")
    if len(national) == 11 and national.startswith("02"):
        return f"{national[:3]} {national[3:7]} {national[7:]}"
    if len(national) == 11 and national.startswith("01") and "1" in (national[2], national[3]):
        return f"{national[:4]} {national[4:7]} {national[7:]}"
    if len(national) == 11:
        return f"{national[:5]} {national[5:]}"
    return f"{national[:4]} {national[4:]}"
