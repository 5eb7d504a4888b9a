"""Who may open which page of the participants app: every URL against every persona.

The rules (resettle/access.py): anonymous people are sent to sign in; staff of another
service get 404 on any case object (its existence is never revealed); roles without case
work (crisis line, administrator, commissioner) get 403; a colleague of the same service may
read the record but not change it; the allocated team may change it; only the offender
manager (or the service manager) may record a recall; only the service manager allocates
the team, decides on referrals and keeps the exclusions; anyone who may read the record may
open the temporary-access (break-glass) page (those who can already change it are told so).
"""

import datetime
import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    Participant,
    Referral,
    TemporaryAccess,
)
from resettle.accounts.roles import Role
from tests.access_matrix import PERSONAS, assert_status, sign_in_as
from tests.factories import ReferralFactory, days_ago
from tests.factories.retention import declined_referral, ended_participant, past_the_period
from tests.world import from_world

pytestmark = pytest.mark.django_db


# What each kind of page allows. Columns are the kinds; every persona has one row.
#   list    – pages without a case object (caseloads, referral list)
#   create  – recording a new referral (service manager or offender manager)
#   view    – read pages of a participant or referral
#   change  – the allocated team's write pages
#   recall  – recording a recall to custody
#   manage  – team allocation, referral decisions, and the retention decision on one record
#   managers – service managers' own lists (records due for review, retention decisions)
KINDS = ("list", "create", "view", "change", "recall", "manage", "managers")
EXPECTED = {
    #                  list create view change recall manage managers
    "anonymous": (302, 302, 302, 302, 302, 302, 302),
    "offender_manager": (200, 200, 200, 200, 200, 403, 403),
    "keyworker": (200, 403, 200, 200, 403, 403, 403),
    "psychologist": (200, 403, 200, 200, 403, 403, 403),
    "colleague": (200, 403, 200, 403, 403, 403, 403),
    "service_manager": (200, 200, 200, 200, 200, 200, 200),
    "crisis_worker": (403, 403, 403, 403, 403, 403, 403),
    "administrator": (403, 403, 403, 403, 403, 403, 403),
    "commissioner": (403, 403, 403, 403, 403, 403, 403),
    "outsider": (200, 403, 404, 404, 404, 404, 403),
    "outsider_manager": (200, 200, 404, 404, 404, 404, 200),
}

# Every GET page in participants/urls.py: (case id, url name, kind, what its args are).
GET_PAGES = (
    ("caseload", "caseload", "list", ()),
    ("my_caseload", "my_caseload", "list", ()),
    ("referral_list", "referral_list", "list", ()),
    ("referral_create", "referral_create", "create", ()),
    ("referral_detail", "referral_detail", "view", ("referral",)),
    ("referral_accept", "referral_accept", "manage", ("referral",)),
    ("referral_decline", "referral_decline", "manage", ("referral",)),
    ("referral_withdraw", "referral_withdraw", "manage", ("referral",)),
    ("overview", "overview", "view", ("participant",)),
    ("timeline", "timeline", "view", ("participant",)),
    ("history", "history", "view", ("participant",)),
    ("edit_details", "edit_details", "change", ("participant",)),
    ("contact_add", "contact_add", "change", ("participant",)),
    ("contact_edit", "contact_edit", "change", ("participant", "contact")),
    ("goal_add", "goal_add", "change", ("participant",)),
    ("goal_edit", "goal_edit", "change", ("participant", "goal")),
    ("change_stage_released", "change_stage", "change", ("participant", "released")),
    ("change_stage_recalled", "change_stage", "recall", ("participant", "recalled")),
    ("release_plan", "release_plan", "change", ("participant",)),
    ("licence", "licence", "change", ("participant",)),
    ("condition_add", "condition_add", "change", ("participant",)),
    ("condition_edit", "condition_edit", "change", ("participant", "condition")),
    ("allocate", "allocate", "manage", ("participant",)),
    ("pathway_needs", "pathway_needs", "change", ("participant",)),
    ("outcome_add", "outcome_add", "change", ("participant",)),
    ("record_access", "record_access", "manage", ("participant",)),
    ("temporary_access", "temporary_access", "view", ("participant",)),
    ("retention_list", "retention_list", "managers", ()),
    ("retention_decisions", "retention_decisions", "managers", ()),
    ("retention_review", "retention_review", "manage", ("ended_long_ago",)),
    (
        "retention_referral_review",
        "retention_referral_review",
        "manage",
        ("declined_long_ago",),
    ),
)
POST_ONLY = (
    "referral_assess",
    "contact_remove",
    "exclusion_lift",
    "temporary_access_end",
    "retention_delete",
    "retention_referral_delete",
)


def expected_status(persona: str, kind: str) -> int:
    return EXPECTED[persona][KINDS.index(kind)]


def test_the_table_covers_every_url_of_the_app():
    from participants.urls import urlpatterns

    covered = {name for _case, name, _kind, _args in GET_PAGES} | set(POST_ONLY)
    assert covered == {pattern.name for pattern in urlpatterns}


def record_of(participant, personas) -> dict:
    """Jamal with one of each sub-record the change pages address by id."""
    manager = personas["service_manager"]
    contact = services.save_contact(
        participant=participant,
        actor=manager,
        contact=Contact(name="Grace Okoro", relationship="Mother", is_next_of_kin=True),
    )
    goal = services.save_goal(
        participant=participant,
        actor=manager,
        goal=Goal(in_his_words="Get my own flat and keep it"),
    )
    licence = services.save_licence(
        participant=participant,
        actor=manager,
        licence=Licence(starts_on=days_ago(30), ends_on=days_ago(-700)),
    )
    condition = services.save_condition(
        licence=licence,
        actor=manager,
        condition=LicenceCondition(
            category=LicenceCondition.Category.RESIDENCE,
            text="Reside at the approved premises",
            starts_on=days_ago(30),
        ),
    )
    # The administrator (who sees no case data anyway) is excluded; the colleague once had
    # temporary access that has ended: neither changes what the table expects.
    exclusion = services.exclude_staff(
        participant=participant,
        staff=personas["administrator"],
        reason="Knows his family",
        actor=manager,
    )
    grant = TemporaryAccess.objects.create(
        participant=participant,
        staff=personas["colleague"],
        reason="Covering Aisha's caseload last month",
        granted_at=timezone.now() - datetime.timedelta(days=30),
        expires_at=timezone.now() - datetime.timedelta(days=29),
    )
    return {
        "participant": participant,
        "referral": participant.referral,
        "contact": contact,
        "goal": goal,
        "condition": condition,
        "exclusion": exclusion,
        "grant": grant,
    }


RETENTION_SUBJECTS = {"ended_long_ago", "declined_long_ago"}


def retention_subjects_of(service, personas) -> dict:
    """A man whose involvement ended and a referral declined more than the retention period
    ago: what a service manager reviews."""
    manager = personas["service_manager"]
    long_ago = past_the_period(extra_days=30)
    return {
        "ended_long_ago": ended_participant(service=service, manager=manager, ended_on=long_ago),
        "declined_long_ago": declined_referral(
            service=service, manager=manager, decided_on=long_ago
        ),
    }


@pytest.fixture(scope="module")
def world(world, django_db_blocker):
    """Built once for the module (tests/world.py): the people, Jamal and his record, and the
    two records past the retention period (in the database for every test; only the tests
    that address them are given them)."""
    with django_db_blocker.unblock():
        record = record_of(world["participant"], world["personas"])
        subjects = retention_subjects_of(world["service"], world["personas"])
    return {**world, "record": record, "with_retention_subjects": {**record, **subjects}}


service, personas, participant, record, with_retention_subjects = from_world(
    "service", "personas", "participant", "record", "with_retention_subjects"
)


def record_with(request, record, args) -> dict:
    if RETENTION_SUBJECTS & set(args):
        return request.getfixturevalue("with_retention_subjects")
    return record


def url_for(record, name: str, args: tuple) -> str:
    values = [record[arg].pk if arg in record else arg for arg in args]
    return reverse(f"participants:{name}", args=values)


@pytest.mark.parametrize(
    ("name", "args", "persona", "expected"),
    [
        pytest.param(name, args, persona, expected_status(persona, kind), id=f"{case}-{persona}")
        for case, name, kind, args in GET_PAGES
        for persona in PERSONAS
    ],
)
def test_each_page_answers_each_persona_as_the_rules_say(
    client, client_for, personas, record, name, args, persona, expected, request
):
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.get(url_for(record_with(request, record, args), name, args))
    assert_status(response, expected)


# --- POST-only URLs -----------------------------------------------------------------------


@pytest.fixture
def received_referral(personas, service):
    return ReferralFactory(service=service, created_by=personas["offender_manager"])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(persona, expected_status(persona, "manage")) for persona in PERSONAS],
)
def test_only_the_service_manager_starts_an_assessment(
    client, client_for, personas, received_referral, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    url = reverse("participants:referral_assess", args=[received_referral.pk])
    response = browser.post(url)
    received_referral.refresh_from_db()
    if persona == "service_manager":
        assert response.status_code == 302
        assert response.url == reverse("participants:referral_detail", args=[received_referral.pk])
        assert received_referral.status == Referral.Status.ASSESSING
    else:
        assert_status(response, expected)
        assert received_referral.status == Referral.Status.RECEIVED


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(persona, expected_status(persona, "change")) for persona in PERSONAS],
)
def test_only_the_team_and_service_manager_remove_a_contact(
    client, client_for, personas, record, persona, expected
):
    browser = sign_in_as(client, client_for, personas, persona)
    contact = record["contact"]
    response = browser.post(url_for(record, "contact_remove", ("participant", "contact")))
    removed = not Contact.objects.filter(pk=contact.pk).exists()
    if expected == 200:  # allowed: the contact goes and he is back on the overview
        assert response.status_code == 302
        assert response.url == reverse("participants:overview", args=[record["participant"].pk])
        assert removed
    else:
        assert_status(response, expected)
        assert not removed


POST_ONLY_ARGS = {
    "referral_assess": ("referral",),
    "contact_remove": ("participant", "contact"),
    "exclusion_lift": ("participant", "exclusion"),
    "temporary_access_end": ("participant", "grant"),
    "retention_delete": ("ended_long_ago",),
    "retention_referral_delete": ("declined_long_ago",),
}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [(persona, expected_status(persona, "manage")) for persona in PERSONAS],
)
@pytest.mark.parametrize(
    ("name", "subject", "model"),
    [
        ("retention_delete", "ended_long_ago", Participant),
        ("retention_referral_delete", "declined_long_ago", Referral),
    ],
)
def test_only_the_service_manager_deletes_a_record_past_the_retention_period(
    client, client_for, personas, with_retention_subjects, persona, expected, name, subject, model
):
    record = with_retention_subjects
    browser = sign_in_as(client, client_for, personas, persona)
    response = browser.post(
        url_for(record, name, (subject,)), {"reason": "Past the period", "confirm": "on"}
    )
    deleted = not model.objects.filter(pk=record[subject].pk).exists()
    if persona == "service_manager":
        assert response.status_code == 302
        assert response.url == reverse("participants:retention_list")
        assert deleted
    else:
        assert_status(response, expected)
        assert not deleted


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_urls_refuse_a_get(client_for, personas, record, name, request):
    args = POST_ONLY_ARGS[name]
    record = record_with(request, record, args)
    response = client_for(personas["service_manager"]).get(url_for(record, name, args))
    assert response.status_code == 405


# --- Unknown records ----------------------------------------------------------------------

OBJECT_PAGES = [
    pytest.param(name, args, id=case)
    for case, name, _kind, args in GET_PAGES
    if args and args[0] in ("participant", "referral", "ended_long_ago", "declined_long_ago")
]


@pytest.mark.parametrize(("name", "args"), OBJECT_PAGES)
def test_a_made_up_id_is_not_found(client_for, personas, record, name, args):
    made_up = {**record, args[0]: SimpleNamespace(pk=uuid.uuid4())}
    response = client_for(personas["service_manager"]).get(url_for(made_up, name, args))
    assert response.status_code == 404


def test_another_participants_contact_is_not_found_through_jamals_record(
    client_for, personas, record, service
):
    from tests.factories import ParticipantFactory

    other = ParticipantFactory(service=service)
    theirs = Contact.objects.create(participant=other, name="Someone Else", relationship="Friend")
    url = reverse("participants:contact_edit", args=[record["participant"].pk, theirs.pk])
    assert client_for(personas["service_manager"]).get(url).status_code == 404


def test_a_stage_change_that_does_not_exist_is_not_found(client_for, personas, participant):
    for kind in ("accepted", "promoted"):
        url = reverse("participants:change_stage", args=[participant.pk, kind])
        assert client_for(personas["service_manager"]).get(url).status_code == 404


# --- Caseloads ----------------------------------------------------------------------------


def caseload_body(client_for, user, name="caseload") -> str:
    response = client_for(user).get(reverse(f"participants:{name}"))
    assert response.status_code == 200
    return response.content.decode()


def test_outsiders_caseload_does_not_list_jamal(client_for, personas, participant):
    assert "Jamal" not in caseload_body(client_for, personas["outsider"])
    assert "Jamal" not in caseload_body(client_for, personas["outsider_manager"])


def test_colleagues_service_caseload_lists_jamal(client_for, personas, participant):
    body = caseload_body(client_for, personas["colleague"])
    assert "OKORO, Jamal" in body
    assert reverse("participants:overview", args=[participant.pk]) in body


def test_my_caseload_lists_jamal_for_his_keyworker(client_for, personas, participant):
    assert "OKORO, Jamal" in caseload_body(client_for, personas["keyworker"], "my_caseload")


def test_my_caseload_of_an_unallocated_colleague_does_not_list_jamal(
    client_for, personas, participant
):
    body = caseload_body(client_for, personas["colleague"], "my_caseload")
    assert "Jamal" not in body
    assert "No one is allocated to you" in body


def test_outsiders_referral_list_does_not_show_jamals_referral(client_for, personas, participant):
    response = client_for(personas["outsider_manager"]).get(
        reverse("participants:referral_list"), {"status": "accepted"}
    )
    assert response.status_code == 200
    assert "Okoro" not in response.content.decode()


# --- Re-allocation ------------------------------------------------------------------------


def reallocate_keyworker(participant, personas):
    return services.allocate(
        participant=participant,
        role=Role.HEALTH_KEYWORKER,
        staff=personas["colleague"],
        actor=personas["service_manager"],
        started_on=days_ago(10),
    )


def details_status(client_for, user, participant) -> int:
    url = reverse("participants:edit_details", args=[participant.pk])
    return client_for(user).get(url).status_code


def test_reallocation_moves_the_change_right_to_the_new_keyworker(
    client_for, personas, participant
):
    assert details_status(client_for, personas["keyworker"], participant) == 200
    assert details_status(client_for, personas["colleague"], participant) == 403

    reallocate_keyworker(participant, personas)

    assert details_status(client_for, personas["keyworker"], participant) == 403
    assert details_status(client_for, personas["colleague"], participant) == 200
    # The old keyworker can still read the record as a colleague of the service.
    overview = reverse("participants:overview", args=[participant.pk])
    assert client_for(personas["keyworker"]).get(overview).status_code == 200


def test_reallocation_that_fails_part_way_leaves_rights_as_they_were(
    client_for, personas, participant, monkeypatch
):
    """Revoking, granting and the timeline entry commit together or not at all."""

    def broken_record_event(**kwargs):
        raise RuntimeError("timeline unavailable")

    monkeypatch.setattr(services.allocation, "record_event", broken_record_event)
    with pytest.raises(RuntimeError):
        reallocate_keyworker(participant, personas)

    assert details_status(client_for, personas["keyworker"], participant) == 200
    assert details_status(client_for, personas["colleague"], participant) == 403
    current = participant.allocations.get(role=Role.HEALTH_KEYWORKER, ended_on__isnull=True)
    assert current.staff == personas["keyworker"]


def test_reallocated_keyworker_leaves_my_caseload(client_for, personas, participant):
    reallocate_keyworker(participant, personas)
    assert "Jamal" not in caseload_body(client_for, personas["keyworker"], "my_caseload")
    assert "OKORO, Jamal" in caseload_body(client_for, personas["colleague"], "my_caseload")
