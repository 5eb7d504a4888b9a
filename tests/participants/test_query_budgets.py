"""Query budgets: list and record pages cost the same number of queries at any data size.

Each test measures a page with 5 participants in the database, grows the data to 200
participants (and, for the record pages, grows the participant's own rows: timeline events,
contacts, goals, stage changes, history), measures again, and asserts that the two counts are
equal and within an absolute budget. A query per row would show up as a difference.
"""

import datetime
import re
from collections import Counter
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    PathwayNeed,
    ReleasePlan,
    StageChange,
)
from participants.timeline import record_event
from sessions import services as session_services
from sessions.models import Outcome, SessionNote
from tests.factories import ParticipantFactory, allocate_team, days_ago
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, personas, participant = from_world("service", "personas", "participant")

SMALL = 5
LARGE = 200

# Absolute budgets: the highest count measured for the page (any persona) plus a margin of 2.
# Measured, the same at 5 and at 200 participants: caseload 12, my caseload 10, overview 21
# (the allocation check rides on the query that fetches him), timeline 11. History: 10 for
# the page itself, then one read per kind of record shown on it (at most 25 kinds a page).
# The history page's lines name the records they link to (a session, a licence, a decision):
# one read per kind of record named on the page, besides its people (read with its authors).
# Each includes 3 for saving the session (SESSION_SAVE_EVERY_REQUEST: savepoint, update,
# release) and 3 for session, user and memberships.
BUDGETS = {
    "caseload": 14,
    "my_caseload": 12,
    "overview": 23,
    "timeline": 13,
    "history": 12 + 25 + 6,
}


def shape(sql: str) -> str:
    """The query without its literal values, to compare two runs."""
    return re.sub(r"'[^']*'(::\w+)?|\b\d+\b", "?", sql)


def queries_for(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), [query["sql"] for query in captured.captured_queries]


def add_participants(service, count: int) -> list[Participant]:
    """Other participants of the service, bulk-created (their history does not matter here);
    every fourth back in custody after a standard recall, marked so on the lists."""
    built = ParticipantFactory.build_batch(count, service=service)
    for man in built[::4]:
        man.recall_type = StageChange.RecallType.STANDARD
    return Participant.objects.bulk_create(built)


def fill_to(service, total: int) -> list[Participant]:
    missing = total - Participant.objects.count()
    assert missing >= 0
    return add_participants(service, missing)


def allocate_some(participants, personas, *, every: int, keyworker=None) -> None:
    for other in participants[::every]:
        allocate_team(
            other,
            manager=personas["service_manager"],
            om=personas["offender_manager"],
            keyworker=keyworker or personas["colleague"],
        )


def assert_same_cost(client, url: str, grow, budget: int, django_assert_max_num_queries):
    client.get(url)  # warm-up: per-process caches (content types, session) are not data
    small, small_sql = queries_for(client, url)
    grow()
    assert Participant.objects.count() == LARGE
    with django_assert_max_num_queries(budget):
        large, large_sql = queries_for(client, url)
    extra = Counter(map(shape, large_sql)) - Counter(map(shape, small_sql))
    assert large == small, "Queries added by the data:\n" + "\n".join(extra.elements())
    return small, large


# --- Caseloads ----------------------------------------------------------------------------


CASELOAD_QUERIES = [
    pytest.param({}, id="default"),
    pytest.param({"sort": "-since"}, id="sorted"),
    pytest.param({"stage": "in_reach", "sort": "stage"}, id="stage-filter"),
    pytest.param({"stage": "recalled"}, id="recalled-filter"),
    pytest.param({"q": "Okoro"}, id="search"),
    pytest.param({"keyworker": "offender_manager"}, id="allocated-to-filter"),
]


@pytest.mark.parametrize("params", CASELOAD_QUERIES)
def test_service_caseload_costs_the_same_at_5_and_200_participants(
    client_for, personas, participant, service, params, django_assert_max_num_queries
):
    allocate_some(fill_to(service, SMALL), personas, every=2)
    assert Participant.objects.count() == SMALL

    def grow():
        allocate_some(fill_to(service, LARGE), personas, every=6)

    if "keyworker" in params:
        params = {"keyworker": personas[params["keyworker"]].pk}
    url = f"{reverse('participants:caseload')}?{urlencode(params)}"
    client = client_for(personas["service_manager"])
    small, large = assert_same_cost(
        client, url, grow, BUDGETS["caseload"], django_assert_max_num_queries
    )
    print(f"caseload {params}: {small} queries at {SMALL}, {large} at {LARGE}")
    if "q" not in params and "keyworker" not in params:
        # Recalled men are on the page, marked from their own rows (no query each).
        assert "Recalled (standard) since" in client.get(url).content.decode()


def test_caseload_marks_a_recalled_man_at_no_extra_cost(
    client_for, personas, participant, service, django_assert_max_num_queries
):
    """Jamal himself released and recalled through the services, among 5 and then 200."""
    fill_to(service, SMALL)
    release_and_recall(participant, personas, released_days_ago=40)
    url = f"{reverse('participants:caseload')}?{urlencode({'q': 'Okoro'})}"
    client = client_for(personas["service_manager"])
    assert_same_cost(
        client,
        url,
        lambda: fill_to(service, LARGE),
        BUDGETS["caseload"],
        django_assert_max_num_queries,
    )
    recalled_on = days_ago(30)
    text = " ".join(client.get(url).content.decode().split())
    assert f"Recalled (fixed-term) since {recalled_on.day} {recalled_on:%B %Y}</strong>" in text


def test_my_caseload_costs_the_same_at_5_and_200_participants(
    client_for, personas, participant, service, django_assert_max_num_queries
):
    keyworker = personas["keyworker"]
    allocate_some(fill_to(service, SMALL), personas, every=2, keyworker=keyworker)
    assert Participant.objects.count() == SMALL

    def grow():
        # More of his own than fit on one page (25), and many more that are not his.
        allocate_some(fill_to(service, LARGE), personas, every=6, keyworker=keyworker)

    small, large = assert_same_cost(
        client_for(keyworker),
        reverse("participants:my_caseload"),
        grow,
        BUDGETS["my_caseload"],
        django_assert_max_num_queries,
    )
    print(f"my_caseload: {small} queries at {SMALL}, {large} at {LARGE}")


# --- Record pages -------------------------------------------------------------------------


def grow_his_record(participant, personas, service) -> None:
    """Many rows of each kind on Jamal's own record, written through the services."""
    manager = personas["service_manager"]
    om = personas["offender_manager"]
    for n in range(120):
        record_event(
            participant=participant,
            category="note",
            title=f"Contact note {n}",
            detail="Met at the centre",
            actor=(om, manager)[n % 2],
            visibility=("shared", "health", "probation")[n % 3],
        )
    for n in range(8):
        services.save_contact(
            participant=participant,
            actor=manager,
            contact=Contact(name=f"Contact {n}", relationship="Friend", phone="0151 000 0000"),
        )
    for n in range(8):
        goal = services.save_goal(
            participant=participant, actor=manager, goal=Goal(in_his_words=f"Goal number {n}")
        )
        goal.progress = Goal.Progress.UNDER_WAY
        services.save_goal(participant=participant, actor=manager, goal=goal)
    # Release, recall and re-release several times: stage changes and their history.
    plan = services.save_release_plan(
        participant=participant,
        actor=manager,
        plan=ReleasePlan(planned_release_date=days_ago(150), collected_by="Keyworker"),
    )
    for day in (150, 130, 110, 90):
        release_and_recall(participant, personas, released_days_ago=day)
    plan.refresh_from_db()
    assert plan.release is not None
    licence = services.save_licence(
        participant=participant,
        actor=om,
        licence=Licence(starts_on=days_ago(60), ends_on=days_ago(-600)),
    )
    for category in list(LicenceCondition.Category)[:6]:
        services.save_condition(
            licence=licence,
            actor=om,
            condition=LicenceCondition(category=category, text="Wording", starts_on=days_ago(60)),
        )
    for pathway, _label in PathwayNeed._meta.get_field("pathway").choices:
        services.set_pathway_need(
            participant=participant, actor=manager, pathway=pathway, level="high", notes="Urgent"
        )
    for n in range(6):
        services.record_outcome_snapshot(
            participant=participant,
            actor=manager,
            snapshot=OutcomeSnapshot(
                point=OutcomeSnapshot.Point.QUARTER,
                taken_on=days_ago(50 - n),
                accommodation=OutcomeSnapshot.Accommodation.TEMPORARY,
                occupation=OutcomeSnapshot.Occupation.TRAINING,
            ),
        )
    for n in range(5):
        current = Participant.objects.get(pk=participant.pk)
        services.update_participant(
            participant=current,
            actor=manager,
            expected_version=current.version,
            changes={"phone": f"07700 90000{n}", "gp_practice": f"Practice {n}"},
        )
    # Sessions with his outcome recorded, and notes on them: attendance and note history.
    for n in range(6):
        attended(participant, personas, hours_ago=30 + n, note=f"Session note {n}")
    # Re-allocate the team back and forth: allocation history.
    for staff in (personas["colleague"], personas["keyworker"]) * 2:
        services.allocate(
            participant=participant,
            role="health_keyworker",
            staff=staff,
            actor=manager,
            started_on=days_ago(5),
        )


def attended(participant, personas, *, hours_ago: int, note: str) -> None:
    """A session he attended (created, then his outcome recorded) and a note on it."""
    keyworker = personas["keyworker"]
    starts = timezone.now() - datetime.timedelta(hours=hours_ago)
    session = session_services.create_session(
        service=participant.service,
        actor=keyworker,
        session_type="keywork",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=[participant],
    )
    session_services.record_outcome(
        attendance=session.attendances.get(), outcome=Outcome.ATTENDED, actor=keyworker
    )
    session_services.add_note(
        session=session,
        participant=participant,
        actor=keyworker,
        note=SessionNote(summary=note, pathways=["accommodation", "finance"]),
    )


def release_and_recall(participant, personas, *, released_days_ago: int) -> None:
    om = personas["offender_manager"]
    recalled_before = participant.stage_changes.filter(kind=StageChange.Kind.RECALLED).exists()
    services.change_stage(
        participant=participant,
        actor=om,
        kind=StageChange.Kind.RE_RELEASED if recalled_before else StageChange.Kind.RELEASED,
        effective_on=days_ago(released_days_ago),
    )
    participant.refresh_from_db()
    services.change_stage(
        participant=participant,
        actor=om,
        kind=StageChange.Kind.RECALLED,
        effective_on=days_ago(released_days_ago - 10),
        reason="Breach of licence conditions",
        recall_type=StageChange.RecallType.FIXED_TERM,
    )
    participant.refresh_from_db()


def small_record(participant, personas) -> None:
    """A few rows of each kind, so the small measurement renders every section too."""
    manager = personas["service_manager"]
    services.save_contact(
        participant=participant,
        actor=manager,
        contact=Contact(name="Grace Okoro", relationship="Mother", is_next_of_kin=True),
    )
    services.save_goal(participant=participant, actor=manager, goal=Goal(in_his_words="A flat"))
    # One release and recall, so that his record has the same shape as the grown one: no
    # open release-day plan, the last one tied to a release, back in custody.
    services.save_release_plan(
        participant=participant,
        actor=manager,
        plan=ReleasePlan(planned_release_date=days_ago(170), collected_by="Keyworker"),
    )
    release_and_recall(participant, personas, released_days_ago=170)
    licence = services.save_licence(
        participant=participant,
        actor=manager,
        licence=Licence(starts_on=days_ago(60), ends_on=days_ago(-600)),
    )
    services.save_condition(
        licence=licence,
        actor=manager,
        condition=LicenceCondition(
            category=LicenceCondition.Category.CURFEW, text="Wording", starts_on=days_ago(60)
        ),
    )
    services.set_pathway_need(
        participant=participant, actor=manager, pathway="health", level="low", notes=""
    )
    attended(participant, personas, hours_ago=50, note="First session note")
    services.record_outcome_snapshot(
        participant=participant,
        actor=manager,
        snapshot=OutcomeSnapshot(
            point=OutcomeSnapshot.Point.START_IN_REACH,
            taken_on=days_ago(100),
            accommodation=OutcomeSnapshot.Accommodation.NFA,
            occupation=OutcomeSnapshot.Occupation.NOT_IN_ETE,
        ),
    )


RECORD_PAGES = [
    pytest.param(name, persona, id=f"{name}-{persona}")
    for name in ("overview", "timeline")
    for persona in ("service_manager", "keyworker", "colleague")
]


@pytest.mark.parametrize(("name", "persona"), RECORD_PAGES)
def test_record_page_costs_the_same_however_much_is_recorded(
    client_for, personas, participant, service, name, persona, django_assert_max_num_queries
):
    small_record(participant, personas)
    allocate_some(fill_to(service, SMALL), personas, every=2)
    assert Participant.objects.count() == SMALL

    def grow():
        grow_his_record(participant, personas, service)
        allocate_some(fill_to(service, LARGE), personas, every=10)

    small, large = assert_same_cost(
        client_for(personas[persona]),
        reverse(f"participants:{name}", args=[participant.pk]),
        grow,
        BUDGETS[name],
        django_assert_max_num_queries,
    )
    print(f"{name} as {persona}: {small} queries at {SMALL}, {large} at {LARGE}")


def loose_shape(sql: str) -> str:
    """The shape, also without savepoint names or the length of an IN list."""
    return re.sub(r"IN \((\?, )*\?\)", "IN (?)", re.sub(r'"s\d+_x\d+"', "?", shape(sql)))


VERSIONS_READ = re.compile(r'^SELECT \* FROM "(\w+)" WHERE history_id IN')
# The records the page's lines link to, read by kind (resettle.core.words.load_related); its
# people are read with its authors, so not here.
RELATED_READ = re.compile(
    r'^SELECT "(?!accounts_user")(\w+)"\."\w+", .* FROM "\1" WHERE "\1"\."id" IN \('
)


@pytest.mark.parametrize("persona", ["service_manager", "keyworker", "colleague"])
def test_history_page_reads_each_kind_of_record_once_however_much_is_recorded(
    client_for, personas, participant, service, persona, django_assert_max_num_queries
):
    """The page picks its 25 rows in one query, then reads the versions it shows with one
    query per kind of record on the page: more kinds on the page cost one query each (at most
    25), more rows cost nothing."""
    small_record(participant, personas)
    allocate_some(fill_to(service, SMALL), personas, every=2)
    client = client_for(personas[persona])
    url = reverse("participants:history", args=[participant.pk])
    client.get(url)  # warm-up, as in assert_same_cost
    _, small_sql = queries_for(client, url)
    grow_his_record(participant, personas, service)
    allocate_some(fill_to(service, LARGE), personas, every=10)
    with django_assert_max_num_queries(BUDGETS["history"]):
        large, large_sql = queries_for(client, url)

    def split(sqls):
        kinds = [m.group(1) for sql in sqls if (m := VERSIONS_READ.match(sql))]
        named = [m.group(1) for sql in sqls if (m := RELATED_READ.match(sql))]
        rest = [
            loose_shape(sql)
            for sql in sqls
            if not VERSIONS_READ.match(sql) and not RELATED_READ.match(sql)
        ]
        return kinds, named, rest

    _, _, small_rest = split(small_sql)
    large_kinds, large_named, large_rest = split(large_sql)
    assert Counter(large_rest) == Counter(small_rest)
    assert len(large_kinds) == len(set(large_kinds)), "a kind of record read twice"
    assert len(large_named) == len(set(large_named)), "a kind of linked record read twice"
    assert len(large_named) <= 6
    assert len(large_rest) <= 12
    assert "Older changes" in client.get(url).content.decode()  # longer than one page
    print(
        f"history as {persona}: {len(small_sql)} queries, then {large} "
        f"({large_kinds}; linked: {large_named})"
    )
