"""Password rules: at least 12 characters, not a common password, not all digits, and not
like the person's own email address or name."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

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


def test_the_admin_refuses_a_short_password_for_a_new_account(client, personas):
    client.force_login(personas["administrator"])
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.starter@mersey.example",
            "full_name": "New Starter",
            "usable_password": "true",
            "password1": "short-one",
            "password2": "short-one",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(email="new.starter@mersey.example").exists()
