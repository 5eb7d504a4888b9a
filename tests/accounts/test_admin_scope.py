"""Administrators are scoped to their services and kept apart from case work.

Mersey's administrator (Priya Shah) acts on Mersey's staff accounts only, never on her own,
gives roles only in Mersey, and no administrator account holds a case role. The same rules
hold on the Staff accounts pages and in Django's admin (which only the emergency superuser
may open). Every refusal changes nothing.
"""

from typing import NamedTuple

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.sites import site as admin_site
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettle.accounts import administration, services
from resettle.accounts.admin import MembershipInline, UserAdmin
from resettle.accounts.models import AccountEvent, Membership, SetUpCode, User
from resettle.accounts.roles import Role
from tests.accounts.conftest import confirmed_device
from tests.factories import staff_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas, service, other_service):
    """Priya administers Mersey. Targets: a Mersey keyworker, a Northumbria psychologist, a
    locum who works in both services, and Priya herself."""
    locum = staff_member(Role.PSYCHOLOGIST, service, full_name="Ruth Locum")
    services.grant_membership(user=locum, service=other_service, role=Role.PSYCHOLOGIST)
    northumbria_psychologist = staff_member(
        Role.PSYCHOLOGIST, other_service, full_name="Dr Owen Fenwick"
    )
    for person in (personas["keyworker"], northumbria_psychologist, locum):
        confirmed_device(person)
    return {
        "admin": personas["administrator"],
        "own_service": personas["keyworker"],
        "other_service": northumbria_psychologist,
        "both_services": locum,
        "own_account": personas["administrator"],
    }


def snapshot(user: User) -> tuple:
    """Everything an administrator action could change about an account."""
    user = User.objects.get(pk=user.pk)
    return (
        sorted(user.memberships.values_list("service_id", "role", "agency")),
        user.is_active,
        user.password,
        TOTPDevice.objects.filter(user=user).count(),
        SetUpCode.objects.filter(user=user).count(),
    )


class Case(NamedTuple):
    action: str
    target: str
    status: int


def do(client, action: str, target: User, service, other_service):
    """Send the request a person would send for `action` on the Staff accounts pages."""
    if action == "view":
        return client.get(reverse("accounts:staff_detail", args=[target.pk]))
    if action == "give_role_in_own_service":
        return client.post(
            reverse("accounts:membership_add", args=[target.pk]),
            {"service": service.pk, "role": Role.CRISIS_LINE_WORKER, "agency": "health"},
        )
    if action == "remove_role":
        membership = (
            target.memberships.filter(service=service).first() or target.memberships.first()
        )
        return client.post(reverse("accounts:membership_remove", args=[target.pk, membership.pk]))
    slug = {
        "issue_set_up_code": "set-up-code",
        "reset_two_factor": "two-factor",
        "close": "close",
        "unlock": "unlock",
    }[action]
    return client.post(reverse("accounts:account_action", args=[target.pk, slug]))


CHANGES = (
    "give_role_in_own_service",
    "remove_role",
    "issue_set_up_code",
    "reset_two_factor",
    "close",
    "unlock",
)
ACCOUNT_WIDE = {"issue_set_up_code", "reset_two_factor", "close", "unlock"}


def expected_status(action: str, target: str) -> int:
    if target == "other_service":
        return 404  # not theirs to see: the same answer as for no such account
    if action == "view":
        return 200
    if target == "own_account":
        return 403
    if target == "both_services" and action in ACCOUNT_WIDE:
        return 403  # reaches Northumbria too
    if action in {"issue_set_up_code", "reset_two_factor"}:
        return 200  # the page that shows the code once
    return 302


CASES = [
    Case(action, target, expected_status(action, target))
    for action in ("view", *CHANGES)
    for target in ("own_service", "other_service", "both_services", "own_account")
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.action}-{c.target}")
def test_administrator_actions_by_whose_account(client, world, service, other_service, case):
    target = world[case.target]
    client.force_login(world["admin"])
    before = snapshot(target)
    response = do(client, case.action, target, service, other_service)
    assert response.status_code == case.status, response.content.decode()[:800]
    changed = snapshot(target) != before
    if case.action == "unlock" and case.status == 302:
        changed = AccountEvent.objects.filter(subject=target, kind="unlocked").exists()
    assert changed == (case.status in {200, 302} and case.action != "view"), case
    if case.status in {403, 404}:
        assert not AccountEvent.objects.filter(subject=target, actor=world["admin"]).exists()


def test_a_role_can_only_be_given_in_a_service_they_administer(client, world, other_service):
    keyworker = world["own_service"]
    client.force_login(world["admin"])
    page = client.get(reverse("accounts:membership_add", args=[keyworker.pk]))
    assert "Rebuilding Lives Northumbria" not in page.content.decode()  # not offered
    before = snapshot(keyworker)
    response = client.post(
        reverse("accounts:membership_add", args=[keyworker.pk]),
        {"service": other_service.pk, "role": Role.SERVICE_MANAGER, "agency": "health"},
    )
    assert response.status_code == 200
    assert "Select a service you administer" in response.content.decode()
    assert snapshot(keyworker) == before


def test_the_staff_list_shows_only_their_services_people(client, world):
    client.force_login(world["admin"])
    body = client.get(reverse("accounts:staff_list")).content.decode()
    assert world["own_service"].full_name in body
    assert world["both_services"].full_name in body
    assert world["other_service"].full_name not in body
    assert "Nadia Hussain" not in body  # Northumbria's keyworker


def test_a_locum_in_both_services_shows_why_account_changes_are_refused(client, world):
    client.force_login(world["admin"])
    page = client.get(reverse("accounts:staff_detail", args=[world["both_services"].pk]))
    body = page.content.decode()
    assert "also works in Rebuilding Lives Northumbria, which you do not administer" in body
    assert "Reset two-factor sign-in (lost phone)" not in body


def test_their_own_account_page_offers_no_changes(client, world):
    client.force_login(world["admin"])
    body = client.get(reverse("accounts:staff_detail", args=[world["admin"].pk])).content.decode()
    assert "You cannot change your own account" in body
    assert "Give a role" not in body and ">Remove<" not in body


# --- One account, one purpose ----------------------------------------------------------------


def test_an_administrator_account_is_never_given_a_case_role(client, world, service, personas):
    other_admin = staff_member(Role.ADMINISTRATOR, service, full_name="Sam Second")
    client.force_login(world["admin"])
    before = snapshot(other_admin)
    # Priya administers Northumbria too here, so the service is hers to give roles in.
    extra = personas["outsider"].memberships.get().service
    services.grant_membership(user=world["admin"], service=extra, role=Role.ADMINISTRATOR)
    response = client.post(
        reverse("accounts:membership_add", args=[other_admin.pk]),
        {"service": extra.pk, "role": Role.HEALTH_KEYWORKER},
    )
    assert response.status_code == 200
    assert "An administrator account cannot also hold any other role" in response.content.decode()
    assert snapshot(other_admin) == before


def test_someone_with_a_case_role_is_never_made_an_administrator(service, other_service, world):
    keyworker = world["own_service"]
    with pytest.raises(administration.AccountChangeRefused):
        services.grant_membership(
            user=keyworker, service=other_service, role=Role.ADMINISTRATOR, agency="health"
        )
    assert keyworker.memberships.count() == 1


def test_a_new_account_gets_its_role_and_a_code_shown_once(client, world, service):
    client.force_login(world["admin"])
    response = client.post(
        reverse("accounts:staff_add"),
        {
            "full_name": "Amir Khan",
            "email": "Amir.Khan@Mersey.example",
            "service": service.pk,
            "role": Role.HEALTH_KEYWORKER,
        },
    )
    assert response.status_code == 200
    assert 'data-testid="set-up-code"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    amir = User.objects.get(email="amir.khan@mersey.example")
    assert not amir.has_usable_password()
    assert list(amir.memberships.values_list("role", "agency")) == [("health_keyworker", "health")]
    kinds = set(AccountEvent.objects.filter(subject=amir).values_list("kind", flat=True))
    assert {"account_created", "role_given", "set_up_code_issued"} <= kinds


@pytest.mark.parametrize(
    "full_name", ["Jamal\u202eOkoro", "Amir\x00Khan", "Amir\x1bKhan", "A\u2066mir"]
)
def test_names_with_control_or_direction_characters_are_refused(client, world, service, full_name):
    client.force_login(world["admin"])
    response = client.post(
        reverse("accounts:staff_add"),
        {
            "full_name": full_name,
            "email": "amir.khan@mersey.example",
            "service": service.pk,
            "role": Role.HEALTH_KEYWORKER,
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert not User.objects.filter(email="amir.khan@mersey.example").exists()


# --- Django's admin ----------------------------------------------------------------------------


def test_the_administrator_role_does_not_open_djangos_admin(client, world):
    client.force_login(world["admin"])
    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[world["own_service"].pk]),
        reverse("admin:auth_user_password_change", args=[world["own_service"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login"))


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_admin_lists_and_forms_are_scoped_the_same_way_even_if_it_were_opened(world, service):
    """Defence in depth: an administrator given is_staff by mistake still sees only their
    services' accounts, cannot change their own, and is offered only their services."""
    admin_user = world["admin"]
    request = admin_request(admin_user)
    model_admin = UserAdmin(User, admin_site)
    listed = set(model_admin.get_queryset(request))
    assert world["own_service"] in listed and world["both_services"] in listed
    assert world["other_service"] not in listed
    assert not model_admin.has_change_permission(request, admin_user)
    assert not model_admin.has_change_permission(request, world["both_services"])
    assert model_admin.has_change_permission(request, world["own_service"])

    inline = MembershipInline(User, admin_site)
    field = inline.formfield_for_foreignkey(Membership._meta.get_field("service"), request)
    assert list(field.queryset) == [service]
    assert not inline.has_add_permission(request, admin_user)


def test_no_one_sets_another_persons_password_in_the_admin(client, world, emergency_superuser):
    client.force_login(emergency_superuser)
    target = world["own_service"]
    before = snapshot(target)
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url, {"password1": "a-new-long-password", "password2": "a-new-long-password"}
    )
    assert response.status_code == 403
    assert snapshot(target) == before


def test_the_superuser_cannot_reset_their_own_second_factor(client, emergency_superuser):
    device = confirmed_device(emergency_superuser)
    client.force_login(emergency_superuser)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [str(emergency_superuser.pk)]},
        follow=True,
    )
    assert "You cannot change your own account" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_superuser_resets_a_second_factor_and_sees_the_code_once(
    client, world, emergency_superuser
):
    target = world["other_service"]
    client.force_login(emergency_superuser)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [str(target.pk)]},
    )
    assert response.status_code == 200
    assert 'data-testid="set-up-code"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=target).exists()
    event = AccountEvent.objects.get(subject=target, kind="two_factor_reset")
    assert event.actor == emergency_superuser


@pytest.mark.parametrize(
    "path",
    ["history/password/", "history/%C2%B2/", "history/99999999999999999999999/"],
)
def test_the_history_admin_answers_404_for_a_version_that_is_not_a_number(
    client, world, emergency_superuser, path
):
    client.force_login(emergency_superuser)
    base = reverse("admin:accounts_user_change", args=[world["own_service"].pk])
    assert client.get(base.replace("change/", path)).status_code == 404
    assert client.get(f"/admin/accounts/user/not-a-uuid/{path}").status_code == 404


# --- The takeover of the issue, step by step ---------------------------------------------------


def test_the_cross_service_takeover_is_refused_at_each_step(client, world, other_service, settings):
    """Mersey's administrator tries to reach a Northumbria psychologist's account and records."""
    settings.REQUIRE_TWO_FACTOR = True
    priya, owen = world["admin"], world["other_service"]
    client.force_login(priya)
    from tests.accounts.conftest import mark_verified

    mark_verified(client, confirmed_device(priya))
    owen_before, priya_before = snapshot(owen), snapshot(priya)

    # 1. Give herself a service-manager role in Northumbria: her own account, not her service.
    step1 = client.post(
        reverse("accounts:membership_add", args=[priya.pk]),
        {"service": other_service.pk, "role": Role.SERVICE_MANAGER, "agency": "health"},
    )
    assert step1.status_code == 403
    # …or through Django's admin.
    assert client.get(reverse("admin:accounts_user_change", args=[priya.pk])).status_code == 302
    # 2. Set Owen's password: there is no such thing, anywhere.
    password_url = reverse("admin:auth_user_password_change", args=[owen.pk])
    assert client.post(password_url, {"password1": "x" * 20, "password2": "x" * 20}).url.startswith(
        reverse("admin:login")
    )
    # 3. Reset his two-factor sign-in, or issue him a set-up code: not an account she can see.
    for slug in ("two-factor", "set-up-code", "close", "unlock"):
        url = reverse("accounts:account_action", args=[owen.pk, slug])
        assert client.post(url).status_code == 404
    # 4. Sign in with his password (had she learnt it) and enrol her own phone: refused.
    from tests.accounts.conftest import sign_in_with_password

    attacker = Client()
    sign_in_with_password(attacker, owen.email)
    assert attacker.get(reverse("accounts:two_factor_setup")).status_code == 302  # has a device
    TOTPDevice.objects.filter(user=owen).delete()  # even if his phone had been reset
    assert attacker.get(reverse("accounts:two_factor_setup")).status_code == 403
    assert not TOTPDevice.objects.filter(user=owen).exists()

    assert snapshot(priya) == priya_before
    owen_after = snapshot(owen)
    assert owen_after[:3] == owen_before[:3] and owen_after[4] == owen_before[4]
    assert not AccountEvent.objects.filter(actor=priya).exists()


# --- The account log -----------------------------------------------------------------------------


def test_every_change_is_in_the_account_log_with_who_whom_what_when_where(client, world):
    keyworker = world["own_service"]
    client.force_login(world["admin"])
    client.post(
        reverse("accounts:account_action", args=[keyworker.pk, "two-factor"]),
        REMOTE_ADDR="10.20.30.40",
    )
    event = AccountEvent.objects.get(subject=keyworker, kind="two_factor_reset")
    assert event.actor == world["admin"]
    assert event.service.name == "Resettle Merseyside"
    assert event.ip_address == "10.20.30.40"
    assert event.at is not None


def test_the_account_log_is_shown_to_the_services_administrators_and_managers_only(
    client, world, personas
):
    keyworker = world["own_service"]
    services.unlock_sign_in(user=keyworker, actor=world["admin"])
    services.unlock_sign_in(user=world["other_service"], actor=None)
    log = reverse("accounts:account_log")

    for persona in ("administrator", "service_manager"):
        client.force_login(personas[persona])
        body = client.get(log).content.decode()
        assert "Sign-in unlocked" in body and keyworker.full_name in body
        assert "Dr Owen Fenwick" not in body  # Northumbria's log is not theirs
    client.force_login(personas["outsider_manager"])
    body = client.get(log).content.decode()
    assert "Dr Owen Fenwick" in body and keyworker.full_name not in body
    for persona in ("keyworker", "offender_manager", "crisis_worker", "commissioner"):
        client.force_login(personas[persona])
        assert client.get(log).status_code == 403


def test_the_account_log_cannot_be_changed_or_deleted(world):
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    services.unlock_sign_in(user=world["own_service"], actor=world["admin"])
    event = AccountEvent.objects.get(subject=world["own_service"], kind="unlocked")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccountEvent.objects.filter(pk=event.pk).update(detail="nothing happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AccountEvent.objects.filter(pk=event.pk).delete()


def test_the_person_is_told_at_their_next_sign_in_who_reset_their_second_factor(client, world):
    from tests.accounts.conftest import sign_in_with_password

    keyworker = world["own_service"]
    services.reset_two_factor(user=keyworker, actor=world["admin"])
    response = sign_in_with_password(client, keyworker.email)
    page = client.get(response.url, follow=True)
    assert "Your two-factor sign-in was reset by Priya Shah on" in page.content.decode()
    # Told once: not again at the sign-in after.
    client.post(reverse("accounts:logout"))
    again = client.get(sign_in_with_password(client, keyworker.email).url, follow=True)
    assert "Your two-factor sign-in was reset" not in again.content.decode()


def test_unlocking_clears_the_lockout_and_is_logged(client, world):
    keyworker = world["own_service"]
    AccessAttempt.objects.create(
        username=keyworker.email, ip_address="10.0.0.1", failures_since_start=5,
        user_agent="x", get_data="", post_data="", http_accept="", path_info="/",
    )  # fmt: skip
    client.force_login(world["admin"])
    response = client.post(reverse("accounts:account_action", args=[keyworker.pk, "unlock"]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AccountEvent.objects.filter(subject=keyworker, kind="unlocked").exists()
