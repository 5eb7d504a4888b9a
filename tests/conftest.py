import pytest

from resettle.accounts.roles import Role
from tests.factories import ServiceFactory, staff_member


@pytest.fixture
def service(db):
    return ServiceFactory(name="Resettle Merseyside")


@pytest.fixture
def other_service(db):
    return ServiceFactory(name="Rebuilding Lives Northumbria", delivery_model="outreach")


@pytest.fixture
def personas(service, other_service):
    """The named people every story is told with (see CONVENTIONS.md)."""
    return {
        "offender_manager": staff_member(Role.OFFENDER_MANAGER, service, full_name="Sarah Okafor"),
        "keyworker": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Aisha Rahman"),
        "colleague": staff_member(Role.HEALTH_KEYWORKER, service, full_name="Tom Gallagher"),
        "psychologist": staff_member(Role.PSYCHOLOGIST, service, full_name="Helen Marsh"),
        "service_manager": staff_member(Role.SERVICE_MANAGER, service, full_name="Joanne Kirkby"),
        "crisis_worker": staff_member(Role.CRISIS_LINE_WORKER, service, full_name="Marcus Bell"),
        "administrator": staff_member(Role.ADMINISTRATOR, service, full_name="Priya Shah"),
        "commissioner": staff_member(Role.COMMISSIONER, service, full_name="Graham Lowe"),
        "outsider": staff_member(Role.HEALTH_KEYWORKER, other_service, full_name="Nadia Hussain"),
        "outsider_manager": staff_member(
            Role.SERVICE_MANAGER, other_service, full_name="Karen Dodds"
        ),
    }


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def participant(personas, service):
    """Jamal, accepted from a referral, with his team allocated (OM, keyworker, psychologist)."""
    from tests.factories import accepted_participant, allocate_team

    jamal = accepted_participant(
        service=service,
        manager=personas["service_manager"],
        given_name="Jamal",
        family_name="Okoro",
        prison_number="A1234BC",
    )
    return allocate_team(
        jamal,
        manager=personas["service_manager"],
        om=personas["offender_manager"],
        keyworker=personas["keyworker"],
        psychologist=personas["psychologist"],
    )
