"""Password rules: at least 12 characters, not a common password, not all digits, and not
like the person's own email address or name."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from resettle.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return User(email="aisha.rahman@mersey.nhs.example", full_name="Aisha Rahman")


def refusals(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-pw-1", "password_too_short"),  # 10 characters
        ("password1234", "password_too_common"),
        ("839201746518", "password_entirely_numeric"),
        ("aisha.rahman@mersey", "password_too_similar"),  # like the email address
        ("AishaRahman2026", "password_too_similar"),  # like the full name
    ],
)
def test_weak_passwords_are_refused(person, password, code):
    assert code in refusals(password, person)


def test_a_long_unusual_password_is_accepted(person):
    assert refusals("kettle-harbour-violet-42", person) == []
    assert refusals("twelve-chars", person) == []  # exactly 12


def test_the_four_rules_are_configured(settings):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    options = {
        v["NAME"].rsplit(".", 1)[1]: v.get("OPTIONS", {}) for v in settings.AUTH_PASSWORD_VALIDATORS
    }
    assert options["MinimumLengthValidator"] == {"min_length": 12}
    assert set(options["UserAttributeSimilarityValidator"]["user_attributes"]) == {
        "email",
        "full_name",
    }


def test_setting_up_an_account_refuses_a_short_password_and_keeps_the_code(client, personas):
    """Passwords are chosen only by their owner, on the set-up page, under the same rules."""
    from tests.accounts.conftest import issue_code, set_up_with_code

    keyworker = personas["keyworker"]
    code = issue_code(keyworker, purpose="password_reset")
    response = set_up_with_code(client, keyworker, code, password="short-one")
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    keyworker.refresh_from_db()
    assert not keyworker.has_usable_password()
    # The code was not used up by the refused try.
    assert set_up_with_code(client, keyworker, code).status_code == 302
