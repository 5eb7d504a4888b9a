"""No trust on first use: a one-time set-up code, handed over in person, is the only way to
set a password or add an authenticator app. It works once, for 24 hours, and five wrong
tries void it. Nobody but the person ever sets or sees their password.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettle.accounts import services, setup_codes
from resettle.accounts.models import AccountEvent, SetUpCode
from tests.accounts.conftest import (
    code_for,
    confirmed_device,
    issue_code,
    set_up_with_code,
    sign_in_with_password,
)

pytestmark = pytest.mark.django_db

SET_UP = reverse("accounts:set_up")
TWO_FACTOR_SETUP = reverse("accounts:two_factor_setup")
NEW_PASSWORD = "kettle-harbour-violet-42"
REFUSED = "The email address or set-up code is not right"


def test_a_code_looks_like_three_groups_of_four_and_only_its_hash_is_kept(personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker)
    assert len(code) == 14 and code[4] == code[9] == "-"
    assert all(ch in setup_codes.ALPHABET for ch in code.replace("-", ""))
    stored = SetUpCode.objects.get(user=keyworker)
    assert code not in stored.code_hash and code.replace("-", "") not in stored.code_hash
    assert stored.expires_at - stored.issued_at == datetime.timedelta(hours=24)


def test_the_person_sets_their_own_password_with_the_code(client, personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker, purpose="password_reset")
    assert sign_in_with_password(Client(), keyworker.email).status_code == 200  # old one gone
    # Typed in lower case, without dashes, with spaces: still the code.
    typed = code.replace("-", " ").lower()
    response = set_up_with_code(client, keyworker, typed, password=NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get(response.url).status_code == 200  # signed in
    assert sign_in_with_password(Client(), keyworker.email, NEW_PASSWORD).status_code == 302
    assert AccountEvent.objects.filter(subject=keyworker, kind="set_up_code_used").exists()


def test_a_code_works_once(client, personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker)
    assert set_up_with_code(client, keyworker, code).status_code == 302
    again = set_up_with_code(Client(), keyworker, code, password="another-long-password-9")
    assert again.status_code == 200
    assert REFUSED in again.content.decode()


def test_a_code_expires_after_24_hours(client, personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker)
    SetUpCode.objects.filter(user=keyworker).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = set_up_with_code(client, keyworker, code)
    assert response.status_code == 200 and REFUSED in response.content.decode()


def test_five_wrong_codes_void_the_code(client, personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker)
    for _ in range(5):
        wrong = set_up_with_code(client, keyworker, "ABCD-EFGH-JKMN")
        assert REFUSED in wrong.content.decode()
    assert SetUpCode.objects.get(user=keyworker).failed_attempts == 5
    right_too_late = set_up_with_code(client, keyworker, code)
    assert REFUSED in right_too_late.content.decode()
    keyworker.refresh_from_db()
    assert keyworker.check_password("correct-horse-battery")  # unchanged


def test_a_newer_code_replaces_the_older_one(client, personas):
    keyworker = personas["keyworker"]
    older = issue_code(keyworker)
    newer = issue_code(keyworker)
    assert REFUSED in set_up_with_code(client, keyworker, older).content.decode()
    assert set_up_with_code(client, keyworker, newer).status_code == 302


def test_the_same_words_whether_or_not_the_account_exists(client, personas):
    from resettle.accounts.models import User

    keyworker = personas["keyworker"]
    issue_code(keyworker)
    stranger = User(email="nobody@nowhere.example")
    wrong_code = set_up_with_code(client, keyworker, "ABCD-EFGH-JKMN").content.decode()
    no_account = set_up_with_code(client, stranger, "ABCD-EFGH-JKMN").content.decode()
    assert REFUSED in wrong_code and REFUSED in no_account


def test_a_closed_account_cannot_be_set_up(client, personas):
    keyworker = personas["keyworker"]
    code = issue_code(keyworker)
    services.disable_account(user=keyworker, actor=None)
    assert REFUSED in set_up_with_code(client, keyworker, code).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "", "Enter the set-up code your administrator gave you"),
        ("code", "A" * 21, "The set-up code is 12 letters and numbers"),
        ("email", "not-an-email", "Enter an email address in the correct format"),
        ("new_password2", "different-long-password", "The passwords do not match"),
    ],
)
def test_badly_filled_set_up_forms_get_a_clear_message(client, personas, field, value, message):
    keyworker = personas["keyworker"]
    issue_code(keyworker)
    data = {
        "email": keyworker.email,
        "code": "ABCD-EFGH-JKMN",
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        field: value,
    }
    response = client.post(SET_UP, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert SetUpCode.objects.get(user=keyworker).failed_attempts == 0


def test_with_two_factor_on_the_code_leads_to_adding_the_app_once(client, personas, settings):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]
    response = set_up_with_code(client, keyworker, issue_code(keyworker))
    assert response.url == TWO_FACTOR_SETUP
    page = client.get(TWO_FACTOR_SETUP)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=keyworker, confirmed=False)
    assert client.post(TWO_FACTOR_SETUP, {"code": code_for(device)}).status_code == 302
    assert client.get(reverse("core:home")).status_code == 200
    # The session's permission to add an app is used up with it.
    assert services.ENROLMENT_SESSION_KEY not in client.session


def test_a_password_alone_never_adds_an_app_even_after_a_reset(client, personas, settings):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]
    confirmed_device(keyworker)
    services.reset_two_factor(user=keyworker, actor=personas["administrator"])
    # The old password still opens nothing: the set-up asks for the code.
    sign_in_with_password(client, keyworker.email)
    page = client.get(TWO_FACTOR_SETUP)
    assert page.status_code == 403
    assert "You need a set-up code" in page.content.decode()
    assert client.post(TWO_FACTOR_SETUP, {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=keyworker).exists()


def test_the_set_up_page_is_open_to_someone_signed_in_with_a_password_only(
    client, personas, settings
):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]
    sign_in_with_password(client, keyworker.email)
    assert client.get(SET_UP).status_code == 200
