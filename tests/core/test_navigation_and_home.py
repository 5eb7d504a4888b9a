import pytest
from django.urls import reverse

from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
personas = from_world("personas")

CASE_NAVIGATION = ["Home", "My day", "Caseload", "Referrals", "Crisis line", "Handover"]

# What each role finds in the primary navigation. A role never sees a link it cannot use.
EXPECTED_NAVIGATION = {
    "offender_manager": [*CASE_NAVIGATION, "Reports"],
    "keyworker": CASE_NAVIGATION,
    "psychologist": CASE_NAVIGATION,
    "service_manager": [*CASE_NAVIGATION, "Reports"],
    "crisis_worker": ["Home", "Crisis line"],
    "administrator": ["Home", "Staff accounts"],
    "commissioner": ["Home", "Reports"],
}


@pytest.mark.parametrize(("persona", "expected"), EXPECTED_NAVIGATION.items())
def test_each_role_sees_only_its_own_navigation(client_for, personas, persona, expected):
    response = client_for(personas[persona]).get(reverse("core:home"))
    labels = [item["label"] for item in response.context["nav_items"]]
    assert labels == expected


@pytest.mark.parametrize("persona", EXPECTED_NAVIGATION)
def test_every_role_has_a_home_page_naming_their_role(client_for, personas, persona):
    user = personas[persona]
    response = client_for(user).get(reverse("core:home"))
    assert response.status_code == 200
    membership = user.memberships.get()
    assert membership.get_role_display() in response.content.decode()


def test_header_shows_the_signed_in_person_with_role_and_service(client_for, personas):
    body = client_for(personas["offender_manager"]).get(reverse("core:home")).content.decode()
    assert "Sarah Okafor" in body
    assert "Offender manager, Resettle Merseyside" in body


def test_someone_without_a_role_is_signed_out_and_told_to_ask_for_one(client_for, db):
    from tests.factories import UserFactory

    client = client_for(UserFactory())
    response = client.get(reverse("core:home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "has no role in any service" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_accounts_page_is_for_administrators_only(client_for, personas):
    assert (
        client_for(personas["administrator"]).get(reverse("accounts:staff_list")).status_code == 200
    )
    for persona in ("keyworker", "service_manager", "commissioner", "crisis_worker"):
        response = client_for(personas[persona]).get(reverse("accounts:staff_list"))
        assert response.status_code == 403
        assert "You cannot use this page" in response.content.decode()


def test_commissioner_sees_only_the_services_they_commission(client_for, personas):
    body = client_for(personas["commissioner"]).get(reverse("core:home")).content.decode()
    assert "Resettle Merseyside" in body
    assert "Rebuilding Lives Northumbria" not in body


def test_unknown_page_gets_the_styled_not_found_page(client_for, personas):
    response = client_for(personas["keyworker"]).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_server_error_page_is_styled_and_shows_no_stack_trace(rf):
    from resettle.core.views import error_500

    response = error_500(rf.get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "Traceback" not in body
