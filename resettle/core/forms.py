"""Form rendering and fields in the GOV.UK Design System's patterns.

Every form renders through GovukFormRenderer: an error summary at the top linking to each
field, a label, hint and error message per field. Dates are typed in the GOV.UK date input
(day, month, year) and validated with messages that say what to fix.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms.renderers import TemplatesSetting
from django.utils import timezone
from django.utils.html import strip_tags

from resettle.core.validators import NARRATIVE_TEXT, normalise_uk_phone, uk_phone_display


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


DJANGO_REQUIRED = "This field is required."
DJANGO_EMPTY_LABEL = "---------"


def _lower_first(label: str) -> str:
    """ "Date of birth" -> "date of birth"; "NHS number" stays as it is."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def plain_messages(form) -> None:
    """GOV.UK wording where Django's defaults would show: "Enter the date of birth" or "Choose
    the outcome", not "This field is required."; "Choose…" in a select, not "---------"."""
    for name, field in form.fields.items():
        label = _lower_first(str(field.label or name.replace("_", " ")))
        choosing = isinstance(field, forms.ChoiceField | forms.ModelChoiceField)
        if field.error_messages.get("required") == DJANGO_REQUIRED:
            if isinstance(field, forms.BooleanField):
                field.error_messages["required"] = f"Tick the box to confirm: {label}"
            else:
                verb = "Choose" if choosing else "Enter"
                field.error_messages["required"] = f"{verb} the {label}"
        if isinstance(field, forms.ModelChoiceField) and field.empty_label == DJANGO_EMPTY_LABEL:
            field.empty_label = "Choose…"
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(field.choices)
            if any(value == "" and text == DJANGO_EMPTY_LABEL for value, text in choices):
                field.choices = [
                    (value, "Choose…" if value == "" and text == DJANGO_EMPTY_LABEL else text)
                    for value, text in choices
                ]


class PlainTextMixin:
    """Refuses HTML in every text field of the form (see `reject_html`), and gives every text
    field a maximum length with a message that names it: the model field's where there is
    one, otherwise NARRATIVE_TEXT. No `maxlength` on text areas: a browser would cut pasted
    text short without saying so (GOV.UK's advice), so the message says it instead. Its
    required messages and empty choices are worded plainly (see `plain_messages`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plain_messages(self)
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField) or isinstance(field, forms.UUIDField):
                continue
            if field.max_length is None:
                field.max_length = NARRATIVE_TEXT
                field.validators.append(MaxLengthValidator(NARRATIVE_TEXT))
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs.pop("maxlength", None)
            if "max_length" not in field.error_messages:
                label = str(field.label or name.replace("_", " "))
                label = label[:1].upper() + label[1:]
                field.error_messages = {
                    **field.error_messages,
                    "max_length": f"{label} must be {field.max_length:,} characters or fewer",
                }

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


class UKPhoneField(forms.CharField):
    """A UK phone number, typed with or without spaces, cleaned to international form
    ("+441514960000") and shown again as people in the UK write it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "class": "govuk-input--width-20",
                }
            ),
        )
        super().__init__(**kwargs)
        self.error_messages.setdefault(
            "max_length", "Enter a UK phone number, like 0151 496 0000 or 07700 900 982"
        )

    def prepare_value(self, value):
        return uk_phone_display(value) if value and str(value).startswith("+44") else value

    def to_python(self, value):
        value = super().to_python(value)
        return normalise_uk_phone(value) if value else ""
