"""Sessions: 30 minutes idle, gone when the browser closes, a new id at sign-in. A closed
account, or someone whose last role was removed, is signed out at their next request.
Leavers are disabled in the admin, never deleted."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from resettle.accounts.models import Membership, User
from resettle.accounts.services import revoke_membership
from tests.accounts.conftest import sign_in_with_password
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")
LOGIN = reverse("accounts:login")
SIGNED_OUT = "You have been signed out: your account is closed or has no role in any service."


def test_sessions_end_after_30_idle_minutes_or_when_the_browser_closes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # the 30 minutes count from the last page
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_each_page_sends_the_session_cookie_again_so_the_idle_limit_restarts(
    client_for, personas, settings
):
    client = client_for(personas["keyworker"])
    response = client.get(HOME)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value == client.session.session_key
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.session.get_expiry_age() == 30 * 60


def test_after_30_idle_minutes_the_next_page_asks_to_sign_in_again(client_for, personas):
    import datetime

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = client_for(personas["keyworker"])
    assert client.get(HOME).status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date > timezone.now() + datetime.timedelta(minutes=29)

    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")


def test_signing_in_gives_a_new_session_id(client, personas):
    client.get(LOGIN)
    session = client.session  # a visitor's session before signing in (e.g. from a fixation)
    session["seen_sign_in"] = True
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before

    response = sign_in_with_password(client, personas["keyworker"].email)
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before
    assert not SessionStore().exists(before)
    assert client.session["_auth_user_id"] == str(personas["keyworker"].pk)


def test_a_closed_account_is_signed_out_at_its_next_request(client_for, personas):
    keyworker = personas["keyworker"]
    client = client_for(keyworker)
    assert client.get(HOME).status_code == 200

    User.objects.filter(pk=keyworker.pk).update(is_active=False)
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url == LOGIN
    assert "_auth_user_id" not in client.session
    assert SIGNED_OUT in client.get(LOGIN).content.decode()


def test_someone_whose_last_role_was_removed_is_signed_out_at_their_next_request(
    client_for, personas
):
    keyworker = personas["keyworker"]
    client = client_for(keyworker)
    assert client.get(HOME).status_code == 200

    revoke_membership(membership=keyworker.memberships.get())
    response = client.get("/participants/caseload/", follow=True)
    assert response.redirect_chain == [(LOGIN, 302)]
    assert SIGNED_OUT in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_someone_who_keeps_another_role_stays_signed_in(client_for, personas, other_service):
    from resettle.accounts.roles import Role
    from resettle.accounts.services import grant_membership

    keyworker = personas["keyworker"]
    grant_membership(user=keyworker, service=other_service, role=Role.HEALTH_KEYWORKER)
    client = client_for(keyworker)
    revoke_membership(membership=keyworker.memberships.get(service__name="Resettle Merseyside"))
    assert client.get(HOME).status_code == 200


def test_an_htmx_request_from_a_closed_account_reloads_the_whole_page(client_for, personas):
    client = client_for(personas["crisis_worker"])
    User.objects.filter(pk=personas["crisis_worker"].pk).update(is_active=False)
    response = client.get(reverse("crisisline:search"), {"q": "Jamal"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == LOGIN


def test_a_superusers_admin_only_account_needs_no_role(client):
    superuser = User.objects.create_superuser(
        email="it-support@trust.example", full_name="IT Support", password="x" * 20
    )
    client.force_login(superuser)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(HOME).status_code == 200


def test_a_closed_account_cannot_sign_in_again(client, personas):
    keyworker = personas["keyworker"]
    User.objects.filter(pk=keyworker.pk).update(is_active=False)
    response = sign_in_with_password(client, keyworker.email)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


# --- Leavers in the admin --------------------------------------------------------------------


def changelist_action(client, action: str, *users):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": action, "_selected_action": [str(user.pk) for user in users]},
        follow=True,
    )


def test_the_emergency_superuser_disables_a_leaver_who_is_then_signed_out(
    client, personas, emergency_superuser
):
    keyworker = personas["keyworker"]
    their_browser = Client()
    their_browser.force_login(keyworker)
    assert their_browser.get(HOME).status_code == 200

    client.force_login(emergency_superuser)
    response = changelist_action(client, "disable_leavers", keyworker)
    assert "1 account disabled" in response.content.decode()

    keyworker.refresh_from_db()
    assert not keyworker.is_active
    assert keyworker.memberships.exists()  # kept: who did what stays on the record
    assert keyworker.history.latest().history_user == emergency_superuser
    assert LogEntry.objects.filter(
        object_id=str(keyworker.pk), change_message="Disabled (leaver)"
    ).exists()
    assert their_browser.get(HOME).url == LOGIN


def test_staff_accounts_cannot_be_deleted_in_the_admin(client, personas, emergency_superuser):
    keyworker = personas["keyworker"]
    client.force_login(emergency_superuser)
    changelist = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "Disable (leaver)" in changelist
    assert 'value="delete_selected"' not in changelist
    change = client.get(reverse("admin:accounts_user_change", args=[keyworker.pk]))
    assert change.status_code == 200
    assert "deletelink" not in change.content.decode()
    assert client.get(reverse("admin:accounts_user_delete", args=[keyworker.pk])).status_code == 403
    assert (
        client.post(reverse("admin:accounts_user_delete", args=[keyworker.pk])).status_code == 403
    )
    response = changelist_action(client, "delete_selected", keyworker)
    assert User.objects.filter(pk=keyworker.pk).exists()
    assert response.status_code == 200


def test_even_a_superuser_cannot_delete_a_staff_account(client, personas):
    superuser = User.objects.create_superuser(
        email="it-support@trust.example", full_name="IT Support", password="x" * 20
    )
    client.force_login(superuser)
    keyworker = personas["keyworker"]
    assert (
        client.post(reverse("admin:accounts_user_delete", args=[keyworker.pk])).status_code == 403
    )
    assert User.objects.filter(pk=keyworker.pk).exists()


def test_memberships_are_changed_only_on_the_staff_account_page(personas):
    """Removing a role never removes the person: there is no separate membership admin, and
    the inline on the staff account page removes only the role."""
    assert not admin.site.is_registered(Membership)
    keyworker = personas["keyworker"]
    revoke_membership(membership=keyworker.memberships.get())
    assert User.objects.filter(pk=keyworker.pk).exists()


def test_removing_a_role_in_the_admin_signs_the_person_out(
    client, personas, service, emergency_superuser
):
    keyworker = personas["keyworker"]
    their_browser = Client()
    their_browser.force_login(keyworker)
    membership = keyworker.memberships.get()

    client.force_login(emergency_superuser)
    response = client.post(
        reverse("admin:accounts_user_change", args=[keyworker.pk]),
        {
            "email": keyworker.email,
            "full_name": keyworker.full_name,
            "is_active": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(membership.pk),
            "memberships-0-user": str(keyworker.pk),
            "memberships-0-service": str(service.pk),
            "memberships-0-role": membership.role,
            "memberships-0-agency": membership.agency,
            "memberships-0-DELETE": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not keyworker.memberships.exists()
    assert User.objects.get(pk=keyworker.pk).is_active
    assert their_browser.get(HOME).url == LOGIN


def test_a_person_with_no_role_yet_is_told_so_at_sign_in(client, db):
    newcomer = UserFactory()
    response = sign_in_with_password(client, newcomer.email)
    page = client.get(response.url, follow=True)
    assert SIGNED_OUT in page.content.decode()
