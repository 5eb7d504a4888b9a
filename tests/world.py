"""The people every story is told with, and a test world built once per module.

`tests/conftest.py` offers the same people two ways: function-scoped fixtures (`service`,
`personas`, `participant`, …: built again for each test) and the module-scoped `world`,
built once in a transaction that stays open for the whole module and is rolled back at its
end. Each test still runs in its own savepoint inside that transaction (pytest-django's `db`),
so what one test writes is gone before the next.

A module opts in by taking its fixtures from the world instead of building them:

    service, other_service, personas, participant = from_world(
        "service", "other_service", "personas", "participant"
    )

and adds what its own tests address by overriding `world` (module-scoped, inside the same
transaction):

    @pytest.fixture(scope="module")
    def world(world, django_db_blocker):
        with django_db_blocker.unblock():
            return {**world, "record": record_of(world)}

Each test gets its own deep copy of the world's objects (as Django's setUpTestData does), so
an instance one test changes, refreshes or caches something on is not the next test's.
"""

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction

from resettle.accounts.roles import Role
from tests.factories import ServiceFactory, staff_member


def make_service():
    return ServiceFactory(name="Resettle Merseyside")


def make_other_service():
    return ServiceFactory(name="Rebuilding Lives Northumbria", delivery_model="outreach")


def make_personas(service, other_service) -> dict:
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


def make_participant(personas, service, *, prison_number="A1234BC"):
    """Jamal, accepted from a referral, with his team allocated (OM, keyworker, psychologist).

    A world that needs two of him (one for each set of tests) gives the second another
    prison number: identifiers are unique."""
    from tests.factories import accepted_participant, allocate_team

    jamal = accepted_participant(
        service=service,
        manager=personas["service_manager"],
        given_name="Jamal",
        family_name="Okoro",
        prison_number=prison_number,
    )
    return allocate_team(
        jamal,
        manager=personas["service_manager"],
        om=personas["offender_manager"],
        keyworker=personas["keyworker"],
        psychologist=personas["psychologist"],
    )


def make_world() -> dict:
    """What the function-scoped fixtures of tests/conftest.py build, all at once."""
    service = make_service()
    other_service = make_other_service()
    personas = make_personas(service, other_service)
    return {
        "service": service,
        "other_service": other_service,
        "personas": personas,
        "participant": make_participant(personas, service),
    }


@contextmanager
def built_once(django_db_blocker, build: Callable[[], Any]) -> Iterator[Any]:
    """What `build` makes, kept for a module: built in a transaction left open until the module
    ends, then rolled back; each test runs in a savepoint inside it (pytest-django's `db`).
    Transactional tests (`transactional_db`, `live_server`) must not use it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def fresh_copy(world: dict) -> dict:
    """One test's copy of the world: one deep copy, so objects that were the same object in the
    world (record["participant"] and participant) are the same object in the copy too."""
    return copy.deepcopy(world)


def from_world(*names):
    """Function-scoped fixtures named `names`, each the test's copy of world[name]."""

    def fixture_for(name):
        @pytest.fixture(name=name)
        def from_this_tests_copy(fresh_world):
            return fresh_world[name]

        from_this_tests_copy.__doc__ = f"world[{name!r}], this test's copy (tests/world.py)."
        return from_this_tests_copy

    fixtures = tuple(fixture_for(name) for name in names)
    return fixtures if len(fixtures) > 1 else fixtures[0]
