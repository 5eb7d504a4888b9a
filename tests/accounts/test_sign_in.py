import pytest
from django.urls import reverse

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_staff_sign_in_with_email_and_reach_their_home_page(client, personas):
    keyworker = personas["keyworker"]
    response = sign_in(client, keyworker.email, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert "Aisha Rahman" in home.content.decode()


def test_email_is_not_case_sensitive(client, personas):
    response = sign_in(client, personas["keyworker"].email.upper(), PASSWORD)
    assert response.status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(client, personas):
    response = sign_in(client, personas["keyworker"].email, "not-the-password")
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "The email address or password is not right" in body
    assert "_auth_user_id" not in client.session


def test_closed_account_cannot_sign_in(client, personas):
    keyworker = personas["keyworker"]
    keyworker.is_active = False
    keyworker.save()
    response = sign_in(client, keyworker.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_missing_email_is_reported_against_the_field(client, db):
    response = sign_in(client, "", "whatever")
    body = response.content.decode()
    assert 'href="#id_username"' in body
    assert "govuk-form-group--error" in body


def test_sign_out_ends_the_session(client_for, personas):
    client = client_for(personas["keyworker"])
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302


def test_sign_out_needs_a_post_so_a_link_cannot_sign_people_out(client_for, personas):
    client = client_for(personas["keyworker"])
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_pages_are_not_cached_by_the_browser_once_signed_in(client_for, personas):
    response = client_for(personas["keyworker"]).get(reverse("core:home"))
    assert "no-store" in response["Cache-Control"]


def test_signed_out_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
