"""The home page's lists: the first rows and how many there are in all."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisline.models import CrisisCall
from resettle.core.querysets import first_rows_and_total
from tests.participants.test_query_budgets import add_participants, allocate_some

pytestmark = pytest.mark.django_db


def waiting_calls(service, personas, men) -> None:
    now = timezone.now()
    CrisisCall.objects.bulk_create(
        CrisisCall(
            service=service, participant=man, started_at=now - datetime.timedelta(hours=n),
            caller_type="participant", recorded_by=personas["crisis_worker"],
            follow_up_required=True, presenting_issue="Low", urgency="concerning",
        )
        for n, man in enumerate(men, start=1)
    )  # fmt: skip


def home(client_for, user):
    return client_for(user).get(reverse("core:home")).context


def test_follow_ups_show_ten_and_count_all_of_his_men_for_a_keyworker_and_all_for_a_manager(
    client_for, service, personas
):
    keyworker = personas["keyworker"]
    his, others = add_participants(service, 12), add_participants(service, 3)
    allocate_some(his, personas, every=1, keyworker=keyworker)
    waiting_calls(service, personas, [*his, *others])

    panels = home(client_for, keyworker)
    assert len(panels["follow_ups"]) == 10
    assert panels["follow_ups_count"] == 12
    assert {call.participant_id for call in panels["follow_ups"]} <= {man.pk for man in his}
    newest_first = [call.started_at for call in panels["follow_ups"]]
    assert newest_first == sorted(newest_first, reverse=True)

    assert home(client_for, personas["service_manager"])["follow_ups_count"] == 15


def test_a_man_counts_once_in_my_caseload_however_many_roles_i_hold_in_his_team(
    client_for, service, personas
):
    from participants.models import Allocation
    from resettle.accounts.roles import Role

    keyworker = personas["keyworker"]
    men = add_participants(service, 17)
    allocate_some(men, personas, every=1, keyworker=keyworker)
    # A second current role for the same worker in one man's team must not count him twice.
    Allocation.objects.create(
        participant=men[0], staff=keyworker, role=Role.PSYCHOLOGIST,
        started_on=timezone.localdate(), allocated_by=personas["service_manager"],
    )  # fmt: skip

    panels = home(client_for, keyworker)
    assert len(panels["my_caseload"]) == 15
    assert len({man.pk for man in panels["my_caseload"]}) == 15
    assert panels["my_caseload_count"] == 17
    body = client_for(keyworker).get(reverse("core:home")).content.decode()
    assert "See all 17 people allocated to you" in body


def test_a_manager_who_is_also_an_offender_manager_elsewhere_sees_his_men_there(
    client_for, service, other_service, personas, django_assert_num_queries
):
    """Allocations exist only where someone holds an allocatable role, so a manager's own
    caseload is not looked for in the services they manage, and is found where they are an
    offender manager."""
    from participants import services as participant_services
    from participants.selectors import CaseloadFilters, caseload_rows
    from resettle.access import Access
    from resettle.accounts.roles import Agency, Role
    from resettle.accounts.services import grant_membership

    manager = personas["service_manager"]
    his_access = Access(manager)  # as a request has: memberships read once
    assert list(caseload_rows(his_access, CaseloadFilters(mine=True))) == []
    with django_assert_num_queries(0):
        assert first_rows_and_total(caseload_rows(his_access, CaseloadFilters(mine=True)), 15) == (
            [],
            0,
        )

    grant_membership(
        user=manager, service=other_service, role=Role.OFFENDER_MANAGER, agency=Agency.PROBATION
    )
    his = add_participants(other_service, 2)
    for man in his:
        participant_services.allocate(
            participant=man, actor=personas["outsider_manager"], staff=manager,
            role=Role.OFFENDER_MANAGER, started_on=timezone.localdate(),
        )  # fmt: skip
    add_participants(service, 3)  # men of the service he manages: not his caseload

    panels = home(client_for, manager)
    assert {man.pk for man in panels["my_caseload"]} == {man.pk for man in his}
    assert panels["my_caseload_count"] == 2
