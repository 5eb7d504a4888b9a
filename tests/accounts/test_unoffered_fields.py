"""Forms ignore fields they do not offer: a hand-made POST with extra fields (a risk level, a
service, an owner, staff or superuser flags) changes none of them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from participants.models import Participant
from resettle.accounts.models import User

pytestmark = pytest.mark.django_db

SMUGGLED = {
    "risk_level": "very_high",
    "highest_rosh": "very_high",
    "mappa_category": "3",
    "mappa_level": "3",
    "stage": "ended",
    "owner": "",
    "is_staff": "on",
    "is_superuser": "on",
    "created_at": "2001-01-01T00:00:00Z",
    "id": "00000000-0000-0000-0000-000000000000",
}


def details_post(participant, **changes) -> dict:
    born = participant.date_of_birth
    data = {
        "given_name": participant.given_name,
        "family_name": participant.family_name,
        "preferred_name": participant.preferred_name,
        "date_of_birth_day": born.day,
        "date_of_birth_month": born.month,
        "date_of_birth_year": born.year,
        "prison_number": participant.prison_number or "",
        "crn": participant.crn or "",
        "pnc_number": participant.pnc_number or "",
        "nhs_number": participant.nhs_number or "",
        "phone": participant.phone,
        "gp_practice": participant.gp_practice,
        "current_accommodation": participant.current_accommodation,
        "version": participant.version,
    }
    data.update(changes)
    return data


def test_the_participant_details_form_ignores_fields_it_does_not_offer(
    client_for, personas, participant, other_service
):
    participant.highest_rosh = "medium"
    participant.save(update_fields=["highest_rosh"])
    before = Participant.objects.get(pk=participant.pk)
    client = client_for(personas["keyworker"])
    data = details_post(
        participant,
        preferred_name="Jay",
        service=str(other_service.pk),
        **{**SMUGGLED, "owner": str(personas["outsider"].pk)},
    )
    response = client.post(reverse("participants:edit_details", args=[participant.pk]), data)
    assert response.status_code == 302, response.content.decode()[:1500]

    after = Participant.objects.get(pk=participant.pk)
    assert after.preferred_name == "Jay"  # the offered field changed
    for field in (
        "service_id",
        "highest_rosh",
        "mappa_category",
        "mappa_level",
        "stage",
        "created_at",
        "id",
    ):
        assert getattr(after, field) == getattr(before, field), field
    keyworker = User.objects.get(pk=personas["keyworker"].pk)
    assert not keyworker.is_staff and not keyworker.is_superuser


def admin_change_post(user, membership=None, **extra) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "memberships-TOTAL_FORMS": "1" if membership else "0",
        "memberships-INITIAL_FORMS": "1" if membership else "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    if membership:
        data.update(
            {
                "memberships-0-id": str(membership.pk),
                "memberships-0-user": str(user.pk),
                "memberships-0-service": str(membership.service_id),
                "memberships-0-role": membership.role,
                "memberships-0-agency": membership.agency,
            }
        )
    data.update(extra)
    return data


def test_the_staff_account_form_ignores_staff_superuser_groups_and_permissions(
    client_for, personas, emergency_superuser
):
    keyworker = personas["keyworker"]
    groups_before = set(keyworker.groups.values_list("name", flat=True))
    client = client_for(emergency_superuser)
    data = admin_change_post(
        keyworker,
        keyworker.memberships.get(),
        full_name="Aisha Rahman-Khan",
        is_staff="on",
        is_superuser="on",
        groups=[str(Group.objects.get(name="Administrator").pk)],
        user_permissions=[str(Permission.objects.get(codename="delete_user").pk)],
        date_joined="2001-01-01 00:00:00",
        last_login="2001-01-01 00:00:00",
    )
    response = client.post(reverse("admin:accounts_user_change", args=[keyworker.pk]), data)
    assert response.status_code == 302, response.content.decode()[:1500]

    keyworker.refresh_from_db()
    assert keyworker.full_name == "Aisha Rahman-Khan"
    assert not keyworker.is_staff and not keyworker.is_superuser
    assert set(keyworker.groups.values_list("name", flat=True)) == groups_before
    assert not keyworker.user_permissions.exists()
    assert keyworker.date_joined.year != 2001


def test_a_role_cannot_be_moved_onto_someone_else_through_the_form(
    client_for, personas, emergency_superuser
):
    keyworker, outsider = personas["keyworker"], personas["outsider"]
    membership = keyworker.memberships.get()
    client = client_for(emergency_superuser)
    data = admin_change_post(keyworker, membership, **{"memberships-0-user": str(outsider.pk)})
    response = client.post(reverse("admin:accounts_user_change", args=[keyworker.pk]), data)
    # Refused as tampering ("did not match the parent"), and nothing changes.
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors == [{"user": ["The inline value did not match the parent instance."]}]
    membership.refresh_from_db()
    assert membership.user_id == keyworker.pk
    assert outsider.memberships.count() == 1


def test_a_new_staff_account_cannot_be_made_a_superuser_through_the_form(
    client_for, personas, emergency_superuser
):
    client = client_for(emergency_superuser)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new.starter@mersey.example",
            "full_name": "New Starter",
            "usable_password": "true",
            "password1": "kettle-harbour-violet-42",
            "password2": "kettle-harbour-violet-42",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [str(Group.objects.get(name="Administrator").pk)],
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    starter = User.objects.get(email="new.starter@mersey.example")
    assert not starter.is_staff and not starter.is_superuser
    assert not starter.groups.exists()
    assert not starter.has_usable_password()  # set by its owner, with a set-up code
