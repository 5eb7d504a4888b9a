"""Form rendering and fields in the GOV.UK Design System's patterns.

Every form renders through GovukFormRenderer: an error summary at the top linking to each
field, a label, hint and error message per field. Dates are typed in the GOV.UK date input
(day, month, year) and validated with messages that say what to fix.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.html import strip_tags


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"


class GovukDateInput(forms.MultiWidget):
    """Three boxes: day, month, year (GOV.UK date input)."""

    def __init__(self, attrs=None):
        widgets = {
            "day": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2}),
            "month": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2}),
            "year": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        if isinstance(value, str) and value:
            try:
                parsed = datetime.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
            return [parsed.day, parsed.month, parsed.year]
        return [None, None, None]


class GovukDateField(forms.MultiValueField):
    """A date typed as day, month and year, with GOV.UK error messages.

    `not_in_future` / `not_in_past` compare with today's date in London.
    """

    widget = GovukDateInput

    def __init__(self, *, not_in_future: bool = False, not_in_past: bool = False, **kwargs):
        self.not_in_future = not_in_future
        self.not_in_past = not_in_past
        fields = (
            forms.CharField(required=False),
            forms.CharField(required=False),
            forms.CharField(required=False),
        )
        super().__init__(fields=fields, require_all_fields=False, **kwargs)

    def _name(self) -> str:
        return (self.label or "The date").capitalize()

    def clean(self, value):
        parts = [str(part).strip() if part is not None else "" for part in (value or [])]
        parts += [""] * (3 - len(parts))
        day, month, year = parts
        if not any(parts):
            if self.required:
                raise forms.ValidationError(f"Enter {self._name().lower()}", code="required")
            return None
        missing = [
            name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part
        ]
        if missing:
            raise forms.ValidationError(
                f"{self._name()} must include a {' and '.join(missing)}", code="incomplete"
            )
        if not (day.isdigit() and month.isdigit() and year.isdigit()) or len(year) != 4:
            raise forms.ValidationError(
                f"{self._name()} must be a real date, like 27 3 2026", code="invalid"
            )
        try:
            date = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError) as error:  # 31 2 2026; a day of 20 digits
            raise forms.ValidationError(
                f"{self._name()} must be a real date, like 27 3 2026", code="invalid"
            ) from error
        today = timezone.localdate()
        if self.not_in_future and date > today:
            raise forms.ValidationError(
                f"{self._name()} must be today or in the past", code="future"
            )
        if self.not_in_past and date < today:
            raise forms.ValidationError(
                f"{self._name()} must be today or in the future", code="past"
            )
        if date.year < 1900:
            raise forms.ValidationError(f"{self._name()} must be after 1900", code="too_early")
        return date

    def compress(self, data_list):  # clean() above does the whole job
        return data_list


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def reject_html(value: str, label: str) -> str:
    """Free text is plain text: markup is refused rather than silently stored or stripped."""
    if value and strip_tags(value) != value:
        raise forms.ValidationError(
            f"{label} must not contain HTML tags such as <script> or <img>", code="html"
        )
    return value


class PlainTextMixin:
    """Refuses HTML in every text field of the form (see `reject_html`)."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, forms.CharField) and isinstance(value, str):
                try:
                    reject_html(value, field.label or name.replace("_", " ").capitalize())
                except forms.ValidationError as error:
                    self.add_error(name, error)
        return cleaned
