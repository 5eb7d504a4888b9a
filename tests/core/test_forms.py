import datetime

import pytest
from django import forms
from django.utils import timezone

from resettle.core.forms import GovukDateField, PlainTextMixin


class DateForm(forms.Form):
    date_of_birth = GovukDateField(label="Date of birth", not_in_future=True)


def bound(day, month, year):
    return DateForm(
        {"date_of_birth_day": day, "date_of_birth_month": month, "date_of_birth_year": year}
    )


def test_a_real_date_is_accepted():
    form = bound("5", "3", "1986")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date_of_birth"] == datetime.date(1986, 3, 5)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Enter date of birth"),
        (("5", "", "1986"), "Date of birth must include a month"),
        (("", "", "1986"), "Date of birth must include a day and month"),
        (("31", "2", "1986"), "Date of birth must be a real date"),
        (("a", "3", "1986"), "Date of birth must be a real date"),
        (("5", "3", "86"), "Date of birth must be a real date"),
        # Found by fuzzing: a day too big for a C long raised OverflowError (a server error).
        (("99999999999999999999", "3", "1986"), "Date of birth must be a real date"),
    ],
)
def test_incomplete_or_impossible_dates_say_what_to_fix(parts, message):
    form = bound(*parts)
    assert not form.is_valid()
    assert message in form.errors["date_of_birth"][0]


def test_a_date_in_the_future_is_refused_where_it_cannot_be():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = bound(str(tomorrow.day), str(tomorrow.month), str(tomorrow.year))
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == ["Date of birth must be today or in the past"]


class NoteForm(PlainTextMixin, forms.Form):
    summary = forms.CharField(label="Summary")


def test_html_in_free_text_is_refused_with_a_message():
    form = NoteForm({"summary": 'Met at centre <img src="file:///etc/passwd">'})
    assert not form.is_valid()
    assert "must not contain HTML" in form.errors["summary"][0]


def test_ordinary_text_with_angle_brackets_is_fine():
    assert NoteForm({"summary": "Risk score < 5 and > 3"}).is_valid()


def test_date_input_renders_day_month_year_boxes():
    html = str(bound("5", "3", "1986")["date_of_birth"].as_field_group())
    for name in ("date_of_birth_day", "date_of_birth_month", "date_of_birth_year"):
        assert f'name="{name}"' in html
    assert 'value="1986"' in html
    assert "govuk-date-input" in html
