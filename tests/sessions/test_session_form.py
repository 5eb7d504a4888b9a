"""Issue 27: the session form shows a field under the choice it belongs to (GOV.UK
conditional reveals), and the server still asks for it when that choice is made."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import Session, SessionSeries

pytestmark = pytest.mark.django_db

ADD = reverse("keywork:session_add")


def post_data(participant, **changes) -> dict:
    today = timezone.localdate()
    data = {
        "session_type": "keywork",
        "title": "",
        "date_day": today.day,
        "date_month": today.month,
        "date_year": today.year,
        "start_time": "14:00",
        "end_time": "15:00",
        "location_kind": "centre",
        "enforceable": "on",
        "participants": [str(participant.pk)],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def block(html: str, block_id: str) -> str:
    """The conditional block with this id (up to the next reveal or the end of its list)."""
    start = html.index(f'id="{block_id}"')
    return html[html.rindex("<div", 0, start) : html.index("</div>\n", start)]


def test_place_details_are_revealed_under_their_place(client_for, personas):
    html = client_for(personas["keyworker"]).get(ADD).content.decode()
    prison = re.search(r'<input[^>]*value="prison"[^>]*>', html).group(0)
    community = re.search(r'<input[^>]*value="community"[^>]*>', html).group(0)
    assert 'data-aria-controls="conditional-id_location_kind-prison"' in prison
    assert 'data-aria-controls="conditional-id_location_kind-community"' in community
    assert (
        'class="govuk-radios__conditional govuk-radios__conditional--hidden" id="conditional-id_location_kind-prison"'
        in html
    )
    assert 'name="prison"' in block(html, "conditional-id_location_kind-prison")
    assert 'name="address"' in block(html, "conditional-id_location_kind-community")
    centre = re.search(r'<input[^>]*value="centre"[^>]*>', html).group(0)
    assert "aria-controls" not in centre
    # Drawn once, under its choice only (with JavaScript off every block shows).
    assert html.count('name="prison"') == 1 and html.count('name="address"') == 1


def test_the_series_fields_are_revealed_under_repeat(client_for, personas):
    html = client_for(personas["keyworker"]).get(ADD).content.decode()
    repeat = re.search(r'<input[^>]*name="repeat"[^>]*>', html).group(0)
    assert 'data-aria-controls="conditional-id_repeat-on"' in repeat
    assert (
        'class="govuk-checkboxes__conditional govuk-checkboxes__conditional--hidden" id="conditional-id_repeat-on"'
        in html
    )
    revealed = html[html.index('id="conditional-id_repeat-on"') :]
    assert 'name="weekdays"' in revealed and 'name="last_day_day"' in revealed
    assert html.count('name="weekdays"') == len(set(re.findall(r'id="id_weekdays[^"]*"', html)))


def error_summary(html: str) -> str:
    start = html.index('class="govuk-error-summary"')
    return html[start : html.index("</ul>", start)]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"location_kind": "prison"}, "prison", "Enter the name of the prison"),
        ({"location_kind": "community", "prison": "HMP Liverpool"}, "address", "Enter the address"),
        ({"repeat": "on"}, "weekdays", "Choose the days of the week"),
        ({"repeat": "on", "weekdays": ["1"]}, "last_day", "Enter the last date of the series"),
    ],
)
def test_a_missing_revealed_field_is_named_and_linked_and_nothing_is_saved(
    client_for, personas, participant, changes, field, message
):
    response = client_for(personas["keyworker"]).post(ADD, post_data(participant, **changes))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="#id_{field}">{message}</a>' in error_summary(html)
    # The field is shown, with its error, under the choice that was made (open, not hidden).
    assert f'id="id_{field}-error"' in html
    opened = html[html.rindex("__conditional", 0, html.index(f'id="id_{field}-error"')) :]
    assert not opened.startswith("__conditional govuk-")  # its block is not hidden
    assert not Session.objects.exists() and not SessionSeries.objects.exists()


def test_the_chosen_place_keeps_its_own_details(client_for, personas, participant):
    data = post_data(participant, location_kind="prison", prison="HMP Altcourse", address="x")
    assert client_for(personas["keyworker"]).post(ADD, data).status_code == 302
    assert Session.objects.get().location_detail == "HMP Altcourse"


def test_a_place_without_details_keeps_none(client_for, personas, participant):
    data = post_data(participant, location_kind="centre", address="3 Park Road")
    assert client_for(personas["keyworker"]).post(ADD, data).status_code == 302
    assert Session.objects.get().location_detail == ""


def test_the_change_form_opens_at_the_place_details(client_for, personas, participant):
    client = client_for(personas["keyworker"])
    data = post_data(participant, location_kind="community", address="Toxteth library")
    client.post(ADD, data)
    session = Session.objects.get()
    html = client.get(reverse("keywork:session_edit", args=[session.pk])).content.decode()
    opened = block(html, "conditional-id_location_kind-community")
    assert "govuk-radios__conditional--hidden" not in opened
    assert 'value="Toxteth library"' in opened
