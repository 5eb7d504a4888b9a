"""Template helpers for GOV.UK form markup and UK display conventions."""

import re

from django import forms, template
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe

from resettle.accounts.roles import Role
from resettle.core.validators import normalise_uk_phone, uk_phone_display

from ..forms import GovukDateInput

register = template.Library()

_INPUT_CLASSES = {
    "text": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "file": "govuk-file-upload",
    "password": "govuk-input",
}


@register.filter
def widget_kind(bound_field) -> str:
    widget = bound_field.field.widget
    if isinstance(widget, GovukDateInput):
        return "date"
    # CheckboxSelectMultiple is a subclass of RadioSelect in Django: test it first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "select"
    if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
        return "file"
    if isinstance(widget, forms.PasswordInput):
        return "password"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    return "text"


def _conditionals(form) -> dict[str, dict[str, tuple[str, ...]]]:
    """A form's conditional reveals: {field: {choice: (fields shown under that choice)}}."""
    return getattr(form, "conditional_fields", None) or {}


@register.filter
def top_level_fields(form) -> list:
    """The visible fields not revealed under another field's choice (drawn there instead)."""
    nested = {
        name
        for reveals in _conditionals(form).values()
        for names in reveals.values()
        for name in names
    }
    return [field for field in form.visible_fields() if field.name not in nested]


@register.filter
def reveals(bound_field) -> dict[str, dict]:
    """For each choice of this field that reveals others (GOV.UK conditional reveal): the id
    of the revealed block and its bound fields. A single checkbox's choice is "on"."""
    chosen = _conditionals(bound_field.form).get(bound_field.name, {})
    return {
        str(value): {
            "id": f"conditional-{bound_field.auto_id}-{value}",
            "fields": [bound_field.form[name] for name in names],
        }
        for value, names in chosen.items()
    }


@register.simple_tag
def govuk_widget(bound_field):
    """The field's own widget with the design-system class, error state and ARIA wiring."""
    kind = widget_kind(bound_field)
    css = _INPUT_CLASSES.get(kind, "govuk-input")
    existing = bound_field.field.widget.attrs.get("class", "")
    classes = f"{css} {existing}".strip()
    if bound_field.errors:
        classes += f" {css}--error"
    described = []
    if bound_field.help_text:
        described.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described.append(f"{bound_field.auto_id}-error")
    attrs = {"class": classes}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return bound_field.as_widget(attrs=attrs)


@register.filter
def date_parts(bound_field):
    """(name, label, value, id) for the day, month and year boxes of a GOV.UK date input."""
    value = bound_field.value()
    if not isinstance(value, list | tuple):
        value = bound_field.field.widget.decompress(value)
    value = list(value) + [None] * (3 - len(value))
    widths = ("2", "2", "4")
    parts = []
    for index, (suffix, label) in enumerate((("day", "Day"), ("month", "Month"), ("year", "Year"))):
        parts.append(
            {
                "name": f"{bound_field.html_name}_{suffix}",
                "id": f"{bound_field.auto_id}_{suffix}" if index else bound_field.auto_id,
                "label": label,
                "value": "" if value[index] is None else value[index],
                "width": widths[index],
            }
        )
    return parts


@register.filter
def role_label(code: str) -> str:
    try:
        return Role(code).label
    except ValueError:
        return code


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


# A UK phone number written in free text: 0 or +44 then 9 to 11 more digits, spaces allowed.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?|0)\d(?:[ \-]?\d){8,10}(?!\d)")


def _tel_href(number: str) -> str:
    """tel:+441514960000 for a UK number however it is written; the digits otherwise."""
    try:
        return "tel:" + normalise_uk_phone(number)
    except ValidationError:
        return "tel:" + re.sub(r"[^\d+]", "", number)


def _tel_link(number: str, shown: str | None = None) -> str:
    shown = number if shown is None else shown
    return f'<a class="govuk-link app-tel" href="{escape(_tel_href(number))}">{escape(shown)}</a>'


@register.filter(needs_autoescape=True)
def tel_links(text, autoescape=True):
    """Escape the text and make every UK phone number in it a tel: link that does not wrap."""
    if not text:
        return ""
    text = str(text)
    pieces, last = [], 0
    for match in _PHONE.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(_tel_link(match.group(0)))
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))


@register.filter
def tel_link(number):
    """One phone number as a tel: link that does not wrap; nothing for no number."""
    if not number:
        return ""
    return mark_safe(_tel_link(str(number)))


@register.filter
def work_phone(staff):
    """A member of staff's work phone as a tel: link that does not wrap, or "No work phone
    recorded". For staff pages only: commissioners never see a member of staff's number."""
    number = getattr(staff, "work_phone", "")
    if not number:
        return "No work phone recorded"
    return mark_safe(_tel_link(number, uk_phone_display(number)))


@register.filter
def nhs_number(value) -> str:
    """An NHS number shown 3-3-4 ("485 777 3456"), as the NHS writes it."""
    digits = re.sub(r"\D", "", str(value or ""))
    if len(digits) != 10:
        return value or ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
