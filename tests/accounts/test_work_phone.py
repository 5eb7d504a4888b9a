"""Issue 27: staff work phones. A UK number, typed with spaces or without, kept in
international form, set by an administrator, shown to staff (the crisis summary's "Who to
call" above all) and never to a commissioner."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from resettle.accounts.models import AccountEvent, User
from resettle.core.validators import UK_PHONE_MESSAGE, normalise_uk_phone, uk_phone_display
from tests.world import from_world

service, personas, participant = from_world("service", "personas", "participant")


@pytest.mark.parametrize(
    "typed, stored, shown",
    (
        ("0151 496 0000", "+441514960000", "0151 496 0000"),
        ("01514960000", "+441514960000", "0151 496 0000"),
        ("+44 151 496 0000", "+441514960000", "0151 496 0000"),
        ("+44 (0)151 496 0000", "+441514960000", "0151 496 0000"),
        ("0044 151 496 0000", "+441514960000", "0151 496 0000"),
        ("07700 900 982", "+447700900982", "07700 900982"),
        ("020 7946 0000", "+442079460000", "020 7946 0000"),
        ("0191-498-0101", "+441914980101", "0191 498 0101"),
        ("0800 123 456", "+44800123456", "0800 123456"),
    ),
)
def test_a_uk_number_is_kept_in_international_form_and_shown_as_written_in_the_uk(
    typed, stored, shown
):
    assert normalise_uk_phone(typed) == stored
    assert uk_phone_display(stored) == shown


@pytest.mark.parametrize(
    "typed",
    (
        "12345",
        "0151 496 00000",  # a digit too many
        "0151 496 00",  # too few
        "+1 202 555 0100",  # not a UK number
        "0451 234 5678",  # no UK number starts 04
        "call 0151 496 0000",
        "٠١٥١٤٩٦٠٠٠٠",  # Arabic-Indic digits
    ),
)
def test_a_number_that_is_not_a_uk_phone_number_is_refused_in_plain_words(typed):
    with pytest.raises(ValidationError) as raised:
        normalise_uk_phone(typed)
    assert raised.value.messages == [UK_PHONE_MESSAGE]


# --- The administrator sets it --------------------------------------------------------------


@pytest.mark.django_db
def test_the_administrator_sets_a_work_phone_with_spaces_and_it_is_kept_normalised(
    client_for, personas
):
    keyworker = personas["keyworker"]
    client = client_for(personas["administrator"])
    url = reverse("accounts:staff_work_phone", args=[keyworker.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"work_phone": " 0151 496 0101 "})
    assert response.status_code == 302
    keyworker.refresh_from_db()
    assert keyworker.work_phone == "+441514960101"
    assert keyworker.history.first().work_phone == "+441514960101"
    assert keyworker.history.first().history_user == personas["administrator"]
    event = AccountEvent.objects.get(subject=keyworker, kind=AccountEvent.Kind.WORK_PHONE_CHANGED)
    assert event.actor == personas["administrator"] and "0151 496 0101" in event.detail
    detail = client.get(reverse("accounts:staff_detail", args=[keyworker.pk])).content.decode()
    assert 'href="tel:+441514960101">0151 496 0101</a>' in detail


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ("0151 496", "+1 202 555 0100", "not a number"))
def test_a_bad_work_phone_is_shown_on_the_form_and_nothing_is_saved(client_for, personas, typed):
    keyworker = personas["keyworker"]
    client = client_for(personas["administrator"])
    history = keyworker.history.count()
    response = client.post(
        reverse("accounts:staff_work_phone", args=[keyworker.pk]), {"work_phone": typed}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body and UK_PHONE_MESSAGE in body
    keyworker.refresh_from_db()
    assert keyworker.work_phone == ""
    assert keyworker.history.count() == history
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.WORK_PHONE_CHANGED).exists()


@pytest.mark.django_db
def test_an_empty_work_phone_clears_it(client_for, personas):
    keyworker = personas["keyworker"]
    User.objects.filter(pk=keyworker.pk).update(work_phone="+441514960101")
    client_for(personas["administrator"]).post(
        reverse("accounts:staff_work_phone", args=[keyworker.pk]), {"work_phone": ""}
    )
    keyworker.refresh_from_db()
    assert keyworker.work_phone == ""


@pytest.mark.django_db
def test_a_new_account_may_be_given_a_work_phone_and_a_bad_one_adds_no_account(
    client_for, personas, service
):
    client = client_for(personas["administrator"])
    data = {
        "full_name": "Lucy Ward",
        "email": "lucy.ward@example.nhs.uk",
        "work_phone": "0151 496",
        "service": service.pk,
        "role": "health_keyworker",
    }
    response = client.post(reverse("accounts:staff_add"), data)
    assert response.status_code == 200 and UK_PHONE_MESSAGE in response.content.decode()
    assert not User.objects.filter(email="lucy.ward@example.nhs.uk").exists()
    response = client.post(reverse("accounts:staff_add"), {**data, "work_phone": "0151 496 0202"})
    assert response.status_code == 200  # the set-up code page
    assert User.objects.get(email="lucy.ward@example.nhs.uk").work_phone == "+441514960202"


@pytest.mark.django_db
def test_nobody_but_an_administrator_changes_a_work_phone(client_for, personas):
    keyworker = personas["keyworker"]
    url = reverse("accounts:staff_work_phone", args=[keyworker.pk])
    for persona in ("keyworker", "service_manager", "commissioner", "crisis_worker"):
        response = client_for(personas[persona]).post(url, {"work_phone": "0151 496 0101"})
        assert response.status_code == 403, persona
    keyworker.refresh_from_db()
    assert keyworker.work_phone == ""


# --- The crisis summary's "Who to call" -----------------------------------------------------


def who_to_call(html: str) -> str:
    part = html[html.index('data-testid="who-to-call"') :]
    return part[: part.index("</dl>")]


@pytest.mark.django_db
def test_who_to_call_rings_his_team_and_the_on_call_number(client_for, personas, participant):
    User.objects.filter(pk=personas["keyworker"].pk).update(work_phone="+441514960201")
    User.objects.filter(pk=personas["offender_manager"].pk).update(work_phone="+447700900101")
    service = participant.service
    service.out_of_hours_route = "On-call probation manager, 0151 496 0999"
    service.save(update_fields=["out_of_hours_route"])
    html = (
        client_for(personas["crisis_worker"])
        .get(reverse("crisisline:summary", args=[participant.pk]))
        .content.decode()
    )
    who = who_to_call(html)
    assert '<a class="govuk-link app-tel" href="tel:+441514960201">0151 496 0201</a>' in who
    assert '<a class="govuk-link app-tel" href="tel:+447700900101">07700 900101</a>' in who
    assert '<a class="govuk-link app-tel" href="tel:+441514960999">0151 496 0999</a>' in who
    # The psychologist has no number recorded: said so, not left blank.
    rows = re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", who, re.S)
    labels = [label for label, _value in rows]
    assert labels == ["Out of hours", "Keyworker", "Offender manager", "Psychologist"]
    assert dict(rows)["Psychologist"] == "Helen Marsh<br>No work phone recorded"
    assert "break-all" not in html


def test_the_stylesheet_keeps_who_to_call_labels_whole_and_numbers_on_one_line():
    from pathlib import Path

    scss = (Path(__file__).resolve().parents[2] / "static" / "src" / "resettle.scss").read_text()
    assert "break-all" not in scss
    assert ".app-tel { white-space: nowrap; }" in scss
    assert "word-break: normal" in scss


# --- Never to a commissioner ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_commissioner_never_sees_a_work_phone(client_for, personas, participant):
    User.objects.filter(pk=personas["keyworker"].pk).update(work_phone="+441514960201")
    client = client_for(personas["commissioner"])
    for url in (
        reverse("core:home"),
        reverse("reports:list"),
        reverse("crisisline:summary", args=[participant.pk]),
        reverse("accounts:staff_detail", args=[personas["keyworker"].pk]),
        reverse("accounts:staff_list"),
    ):
        body = client.get(url).content.decode()
        assert "1514960201" not in body and "496 0201" not in body, url


@pytest.mark.django_db
def test_the_staff_list_table_scrolls_in_its_own_focusable_region(client_for, personas):
    html = (
        client_for(personas["administrator"]).get(reverse("accounts:staff_list")).content.decode()
    )
    region = re.search(r'<div class="app-table-scroll"([^>]*)>\s*<table', html)
    assert region, "the staff table is not wrapped"
    attrs = region.group(1)
    assert 'tabindex="0"' in attrs and 'role="region"' in attrs
    assert 'aria-label="Staff accounts"' in attrs
