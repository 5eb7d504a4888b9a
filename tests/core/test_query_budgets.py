"""Query budgets: each role's home page costs the same number of queries however much the
service holds.

Each test measures the home page with one man on the books, grows the service (60 more men,
most allocated to the persona's team, plan reviews overdue, sessions today and sessions with
outcomes missing, crisis calls waiting for follow-up, plans waiting for a decision, break-glass
grants), measures again, and asserts the two counts are equal and within an absolute budget.
A query per panel row would show up as a difference.
"""

import datetime
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisline.models import CrisisCall
from participants import services as participant_services
from participants.models import Participant
from riskplans import services as plan_services
from sessions import services as session_services
from sessions.models import Attendance
from tests.participants.test_query_budgets import (
    add_participants,
    allocate_some,
    fill_to,
    loose_shape,
    queries_for,
)

pytestmark = pytest.mark.django_db

LARGE = 60

# Absolute budgets: the count measured for the persona's home page plus a margin of 2: service
# manager 21, offender manager 28, keyworker 17, psychologist 13, crisis-line worker 7,
# commissioner 9, administrator 8. Upcoming releases and the clock's prompts cost up to five
# (each list, and the stage changes and licences of the men it flags); the offender manager's
# enforcement prompts nine (the men, their policies, absences and decisions, then both
# measures of the four weeks for those prompted), whatever the number of men. Each includes 3 for session, user and memberships and 3 for
# saving the session (SESSION_SAVE_EVERY_REQUEST). The service manager's page has the most
# panels (follow-ups, capacity, reports to approve, break-glass grants, open referrals, records
# due for review, today's sessions, outcomes missing, plans to decide, overdue reviews, their
# own caseload): one query each (a list and its total together, men and referrals due counted
# together, every managed service's capacity together; a service manager's own caseload is not looked
# for where they hold no allocatable role).
BUDGETS = {
    "service_manager": 23,
    "offender_manager": 30,
    "keyworker": 19,
    "psychologist": 15,
    "crisis_worker": 9,
    "commissioner": 11,
    "administrator": 10,
}


ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}


def submit_a_plan(man, author) -> None:
    plan = plan_services.start_plan(participant=man, actor=author)
    plan = plan_services.save_plan(
        plan=plan, actor=author, expected_version=plan.lock_version,
        changes={"actions": [ACTION], "contingency_plan": "Call the on-call manager"},
    )  # fmt: skip
    plan_services.submit_plan(plan=plan, actor=author)


def a_session(service, personas, men, *, hours_ago: int) -> None:
    starts = timezone.now() - datetime.timedelta(hours=hours_ago)
    session_services.create_session(
        service=service, actor=personas["keyworker"], session_type="group", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind="centre",
        participants=men, staff=[personas["keyworker"], personas["offender_manager"]],
    )  # fmt: skip


def clock_and_prompt_rows(service, personas, *, prompted, due_out) -> None:
    """Men whose absences prompt their offender manager (in the community, an unacceptable
    absence two days ago) and men due out of custody in five weeks (Upcoming releases)."""
    starts = timezone.now() - datetime.timedelta(days=2)
    session = session_services.create_session(
        service=service, actor=personas["keyworker"], session_type="group", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind="centre",
        participants=prompted, staff=[personas["keyworker"]],
    )  # fmt: skip
    Attendance.objects.filter(session=session).update(
        outcome="unacceptable_absence", recorded_by=personas["keyworker"], recorded_at=starts
    )
    Participant.objects.filter(pk__in=[m.pk for m in prompted]).update(stage="community")
    Participant.objects.filter(pk__in=[m.pk for m in due_out]).update(
        stage="in_reach", expected_release_date=timezone.localdate() + datetime.timedelta(weeks=5)
    )


def grow_the_service(service, personas) -> None:
    """Many rows for every panel of every home page."""
    keyworker = personas["keyworker"]
    new = fill_to(service, LARGE)
    allocate_some(new, personas, every=1, keyworker=keyworker)
    clock_and_prompt_rows(service, personas, prompted=new[10:20], due_out=new[20:30])
    men = [*Participant.objects.exclude(pk__in=[m.pk for m in new]), *new]
    Participant.objects.filter(pk__in=[m.pk for m in men[::2]]).update(
        plan_review_due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    now = timezone.now()
    for hours_ago in (30, 26, 5, 3):  # two yesterday, two earlier today: outcomes missing
        a_session(service, personas, men[hours_ago : hours_ago + 6], hours_ago=hours_ago)
    waiting = {"follow_up_required": True, "presenting_issue": "Low", "urgency": "concerning"}
    CrisisCall.objects.bulk_create(
        CrisisCall(
            service=service,
            participant=man,
            started_at=now - datetime.timedelta(hours=n),
            caller_type="participant",
            recorded_by=personas["crisis_worker"],
            **waiting,
        )
        for n, man in enumerate(men[:15], start=1)
    )
    for man in men[1:5]:
        submit_a_plan(man, keyworker)
    for man in men[5:8]:
        participant_services.grant_temporary_access(
            participant=man, actor=personas["colleague"], reason="Out of hours: he rang in crisis"
        )


@pytest.mark.parametrize("persona", list(BUDGETS))
def test_home_page_costs_the_same_however_much_the_service_holds(
    client_for, personas, participant, service, persona, django_assert_max_num_queries
):
    client = client_for(personas[persona])
    url = reverse("core:home")
    # The small service has one of each panel's rows too: a panel with none reads nothing more.
    a_session(service, personas, [participant], hours_ago=1)
    due_out = add_participants(service, 1)
    allocate_some(due_out, personas, every=1, keyworker=personas["keyworker"])
    clock_and_prompt_rows(service, personas, prompted=[participant], due_out=due_out)
    client.get(url)  # warm-up: per-process caches are not data
    small, small_sql = queries_for(client, url)
    grow_the_service(service, personas)
    assert Participant.objects.count() == LARGE
    with django_assert_max_num_queries(BUDGETS[persona]):
        large, large_sql = queries_for(client, url)
    extra = Counter(map(loose_shape, large_sql)) - Counter(map(loose_shape, small_sql))
    assert large == small, "Queries added by the data:\n" + "\n".join(extra.elements())
    print(f"home as {persona}: {small} queries with one man, {large} with {LARGE}")
