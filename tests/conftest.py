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


# The same in every test (made by migrations): kept, so nothing has to make them again.
REFERENCE_TABLES = {
    "django_content_type",
    "auth_permission",
    "auth_group",
    "auth_group_permissions",
}


@pytest.fixture(scope="module")
def quick_flush():
    """Empty the tables after each transactional test with DELETE rather than TRUNCATE.

    Django's flush truncates all ~80 tables, which takes seconds on a busy PostgreSQL; deleting
    the few rows a test made takes milliseconds (foreign keys are deferred to the commit). The
    access log refuses DELETE by design, so it alone is truncated; content types, permissions
    and role groups are kept as the migrations made them. Module-scoped, so it is in place
    when pytest-django flushes after each test of the module that asks for it.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    def delete_all(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or allow_cascade:
            return truncate(self, style, tables, reset_sequences=reset_sequences,
                            allow_cascade=allow_cascade)  # fmt: skip
        return [
            f"TRUNCATE {self.quote_name(table)};"
            if table == "core_accesslog"
            else f"DELETE FROM {self.quote_name(table)};"  # noqa: S608 - names from introspection
            for table in tables
            if table not in REFERENCE_TABLES
        ]

    truncate = DatabaseOperations.sql_flush
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", delete_all)
        yield
