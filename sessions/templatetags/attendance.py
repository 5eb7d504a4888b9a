"""How an attendance outcome is shown: one tag, coloured by what it means for compliance."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
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


_NOT_ENFORCEABLE = mark_safe(' <span class="govuk-body-s">(not enforceable)</span>')


@register.simple_tag
def session_row(attendance, now):
    """A row of his sessions list, drawn here rather than in the template: the list is the
    longest on his record, and a row costs half as long this way."""
    session = attendance.session
    return format_html(
        '<tr class="govuk-table__row">'
        '<td class="govuk-table__cell app-nowrap">{}</td>'
        '<td class="govuk-table__cell"><a class="govuk-link" href="{}">{}</a>{}</td>'
        '<td class="govuk-table__cell">{}</td></tr>',
        date_format(timezone.localtime(session.starts_at), "D j M Y, H:i"),
        # ?participant: the session page's back link returns to his Sessions tab.
        f"{reverse('keywork:session_detail', args=[attendance.session_id])}"
        f"?participant={attendance.participant_id}",
        session.display_title,
        "" if session.enforceable else _NOT_ENFORCEABLE,
        _outcome_cell(attendance) if attendance.outcome or session.ends_at < now else "Planned",
    )


def _outcome_cell(attendance):
    """His outcome, and when it was corrected (`corrections` prefetched with who did it)."""
    correction = attendance.last_correction if attendance.outcome else None
    if correction is None:
        return outcome_tag(attendance)
    return format_html(
        '{} <strong class="govuk-tag govuk-tag--grey">Corrected</strong>'
        ' <span class="govuk-body-s">on {} by {}, was {}</span>',
        outcome_tag(attendance),
        date_format(timezone.localtime(correction.corrected_at), "j M Y"),
        correction.corrected_by.full_name,
        correction.was,
    )
