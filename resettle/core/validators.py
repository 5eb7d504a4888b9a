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
