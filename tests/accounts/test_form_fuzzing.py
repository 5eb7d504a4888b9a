"""The sign-in and two-factor forms, fuzzed through their views (see tests/fuzzing.py).

Each example uses a new browser: someone arriving at the sign-in page, or someone who has
given their password and is asked for the code.
"""

import pytest
from django.test import Client
from django.urls import reverse

from resettle.accounts import forms
from tests.accounts.conftest import code_for, confirmed_device
from tests.factories.accounts import PASSWORD
from tests.fuzzing import Field, FormCase, fuzz_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas, settings):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    return {**personas, "email": keyworker.email, "device": device, "code": code_for(device)}


def signed_in_with_password(world) -> Client:
    client = Client()
    client.force_login(world["keyworker"])
    return client


NOT_STORED = {"shown": False, "kept_when": lambda values: False}

CASES = [
    FormCase(
        id="sign_in",
        form=forms.SignInForm,
        persona="keyworker",
        url=lambda w: reverse("accounts:login"),
        fields=[
            Field("username", "text", valid="{email}", **NOT_STORED),
            Field("password", "text", valid=PASSWORD, **NOT_STORED),
            Field("next", "text", valid="/participants/caseload/", **NOT_STORED),
        ],
        # Signing in notes the time on the account (and so in its history).
        writes={"accounts.User": 0, "accounts.HistoricalUser": 1},
        fresh_client=lambda world: Client(),
    ),
    FormCase(
        id="two_factor_code",
        form=forms.TwoFactorCodeForm,
        persona="keyworker",
        url=lambda w: reverse("accounts:two_factor_verify"),
        fields=[
            Field("code", "text", valid="{code}", **NOT_STORED),
            Field("next", "text", valid="/participants/caseload/", **NOT_STORED),
        ],
        writes={},
        fresh_client=signed_in_with_password,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)


# --- Found by fuzzing (the same fault as on the sessions outcome form) ------------------------


@pytest.mark.parametrize("typed_next", ["home", "caseload", "//evil.example/"])
def test_after_the_code_a_next_address_that_is_not_a_path_here_leads_home(world, typed_next):
    client = signed_in_with_password(world)
    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": world["code"], "next": typed_next}
    )
    assert response.status_code == 302
    assert response.url == reverse("core:home")
