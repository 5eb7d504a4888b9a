"""The accounts forms, fuzzed through their views (see tests/fuzzing.py).

Sign-in, two-factor and set-up examples each use a new browser: someone arriving at the
sign-in or set-up page, or someone who has given their password and is asked for the code.
The staff account forms are the administrator's.
"""

import pytest
from django.test import Client
from django.urls import reverse

from resettle.accounts import forms
from resettle.accounts.models import User
from tests.accounts.conftest import NEW_PASSWORD, code_for, confirmed_device, issue_code
from tests.factories.accounts import PASSWORD
from tests.fuzzing import Field, FormCase, fuzz_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas, settings):
    settings.REQUIRE_TWO_FACTOR = True
    keyworker = personas["keyworker"]
    device = confirmed_device(keyworker)
    newcomer = personas["colleague"]
    return {
        **personas,
        "email": keyworker.email,
        "device": device,
        "code": code_for(device),
        "newcomer_email": newcomer.email,
        "set_up_code": issue_code(newcomer),
        "service": personas["keyworker"].memberships.get().service,
        "other_service": personas["outsider"].memberships.get().service,
    }


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
    FormCase(
        id="set_up",
        form=forms.SetUpForm,
        persona="colleague",
        url=lambda w: reverse("accounts:set_up"),
        fields=[
            Field("email", "text", valid="{newcomer_email}", **NOT_STORED),
            Field("new_password1", "text", valid=NEW_PASSWORD, **NOT_STORED),
            Field("new_password2", "text", valid=NEW_PASSWORD, **NOT_STORED),
        ],
        # The code itself is not fuzzed: each wrong code is counted on it, by design.
        fixed={"code": "{set_up_code}"},
        # Her own password, the code used, and the account log told.
        writes={
            "accounts.User": 0,
            "accounts.HistoricalUser": 2,  # her password, then the time she signed in
            "accounts.SetUpCode": 0,
            "accounts.AccountEvent": 1,
        },
        fresh_client=lambda world: Client(),
    ),
    FormCase(
        id="staff_add",
        form=forms.StaffAccountForm,
        persona="administrator",
        url=lambda w: reverse("accounts:staff_add"),
        fields=[
            Field("full_name", "text", valid="Rosa Delgado"),
            Field("email", "text", valid="rosa.delgado@mersey.example", shown=False),
            Field("service", "id", valid="{service}", choices=("{other_service}",)),
            Field("role", "choice", valid="crisis_line_worker", choices=("administrator_x",)),
            Field("agency", "choice", valid="health", choices=("martian",)),
        ],
        writes={
            "accounts.User": 1,
            "accounts.HistoricalUser": 1,
            "accounts.Membership": 1,
            "accounts.HistoricalMembership": 1,
            "accounts.User_groups": 1,
            "accounts.SetUpCode": 1,
            "accounts.AccountEvent": 3,
        },
        saved=lambda w: User.objects.order_by("-date_joined").first(),
        # The new account's set-up code is shown once, on the answer to the post.
        accepted_when=lambda response: b'data-testid="set-up-code"' in response.content,
    ),
    FormCase(
        id="staff_work_phone",
        form=forms.WorkPhoneForm,
        persona="administrator",
        url=lambda w: reverse("accounts:staff_work_phone", args=[w["keyworker"].pk]),
        # Stored as +44…, shown as 0151 496 0000: the number is checked by its own tests
        # (tests/accounts/test_work_phone.py); here, that nothing typed breaks the form.
        fields=[Field("work_phone", "text", valid="0151 496 0123", **NOT_STORED)],
        writes={"accounts.User": 0, "accounts.HistoricalUser": 1, "accounts.AccountEvent": 1},
    ),
    FormCase(
        id="membership_add",
        form=forms.MembershipForm,
        persona="administrator",
        url=lambda w: reverse("accounts:membership_add", args=[w["keyworker"].pk]),
        fields=[
            Field("service", "id", valid="{service}", choices=("{other_service}",)),
            Field("role", "choice", valid="crisis_line_worker", choices=("administrator",)),
            Field("agency", "choice", valid="health", choices=("martian",)),
        ],
        # One role per service: her keyworker role there becomes crisis-line worker.
        writes={
            "accounts.Membership": 0,
            "accounts.HistoricalMembership": 1,
            "accounts.User_groups": 0,
            "accounts.AccountEvent": 1,
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for, settings):
    # The staff account pages are fuzzed for an administrator fully signed in.
    settings.REQUIRE_TWO_FACTOR = case.id not in {"staff_add", "membership_add", "staff_work_phone"}
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
