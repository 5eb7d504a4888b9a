"""For every persona and every man: he appears in a list they see if and only if they may open
him. A list that shows a man whose record then refuses (or a record that opens for a man no list
shows) is the two rules disagreeing, which is how the break-glass offender manager once never
saw the plan he was allowed to approve.

Lists: the caseload in each stage (ended men included), the crisis-line search, and the
links of the home page. Opening: his record (participants) and his crisis summary (crisisline).
The world is the sentinel test's (tests/crawl.py): Jamal with his team, an unallocated man, a
man of the other service, a man the colleague is excluded from, an ended record.
"""

import re

import pytest
from django.db import transaction
from django.test import Client

from participants.models import Stage
from tests.crawl import GIVEN_NAMES, JAMAL, PERSONA_NAMES, build_world, report_files_in

pytestmark = pytest.mark.django_db

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
RECORD_LINK = re.compile(rf'href="/participants/({UUID})/')
SUMMARY_LINK = re.compile(rf'href="/crisis/people/({UUID})/')


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("list-means-open")
    with django_db_blocker.unblock(), report_files_in(root), transaction.atomic():
        yield build_world(with_report=False)
        transaction.set_rollback(True)


def linked(client: Client, url: str, pattern: re.Pattern) -> set[str]:
    response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    return set(pattern.findall(response.content.decode())) if response.status_code == 200 else set()


def opens(client: Client, url: str) -> bool:
    status = client.get(url).status_code
    assert status in (200, 403, 404), (url, status)
    return status == 200


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_a_man_is_listed_exactly_when_his_record_opens(world, persona):
    client = Client()
    client.force_login(world.personas[persona])
    men = {str(man.pk): name for name, man in world.men.items()}

    in_caseload = set()
    for stage in ("", *Stage.values):
        in_caseload |= linked(client, f"/participants/caseload/?stage={stage}", RECORD_LINK)
    on_home = linked(client, "/", RECORD_LINK)
    record_opens = {pk for pk in men if opens(client, f"/participants/{pk}/")}

    named = {men.get(pk, pk) for pk in in_caseload ^ record_opens}
    assert in_caseload == record_opens, f"{persona}: listed xor opens for {sorted(named)}"
    assert on_home <= record_opens, f"{persona}: home links to {on_home - record_opens}"


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_a_man_is_found_on_the_crisis_line_exactly_when_his_summary_opens(world, persona):
    client = Client()
    client.force_login(world.personas[persona])
    men = {str(man.pk): name for name, man in world.men.items()}

    found = set()
    for man in world.men.values():
        found |= linked(client, f"/crisis/?q={GIVEN_NAMES[man.family_name]}", SUMMARY_LINK)
    summary_opens = {pk for pk in men if opens(client, f"/crisis/people/{pk}/")}

    named = {men.get(pk, pk) for pk in found ^ summary_opens}
    assert found == summary_opens, f"{persona}: found xor opens for {sorted(named)}"


def test_the_lists_are_not_empty_for_the_people_who_work_with_him(world):
    """A test of equal sets proves nothing if every set is empty."""
    client = Client()
    client.force_login(world.personas["keyworker"])
    jamal = str(world.men[JAMAL].pk)
    assert jamal in linked(client, "/participants/caseload/", RECORD_LINK)
