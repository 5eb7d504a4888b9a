import pytest
from django.urls import reverse

from participants import services
from participants.access import may_change
from participants.models import Licence, LicenceCondition, OutcomeSnapshot, Stage
from participants.timeline import record_event
from resettle.accounts.roles import Role
from tests.factories import ParticipantFactory, days_ago

pytestmark = pytest.mark.django_db


def date_fields(name, day):
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def details_post(participant, **overrides):
    data = {
        "given_name": participant.given_name,
        "family_name": participant.family_name,
        "preferred_name": "Jay",
        **date_fields("date_of_birth", participant.date_of_birth),
        "prison_number": participant.prison_number or "",
        "crn": "x123456",
        "pnc_number": "",
        "nhs_number": "943 476 5919",
        "phone": "07700 900123",
        "gp_practice": "Princes Park",
        "current_accommodation": "Approved premises",
        "version": participant.version,
    }
    data.update(overrides)
    return data


def test_allocated_keyworker_updates_details(client_for, personas, participant):
    url = reverse("participants:edit_details", args=[participant.pk])
    response = client_for(personas["keyworker"]).post(url, details_post(participant))
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.preferred_name == "Jay"
    assert participant.crn == "X123456"
    assert participant.nhs_number == "9434765919"
    assert participant.history.latest().history_user == personas["keyworker"]


def test_second_save_of_a_stale_form_is_refused_not_overwritten(client_for, personas, participant):
    url = reverse("participants:edit_details", args=[participant.pk])
    stale = details_post(participant, phone="07700 900999")
    client_for(personas["keyworker"]).post(url, details_post(participant, phone="07700 900111"))
    response = client_for(personas["offender_manager"]).post(url, stale)
    assert response.status_code == 200
    assert "Someone else saved changes to this record" in response.content.decode()
    participant.refresh_from_db()
    assert participant.phone == "07700 900111"


def test_identifier_of_someone_else_is_refused(client_for, personas, participant, service):
    ParticipantFactory(service=service, crn="X654321")
    url = reverse("participants:edit_details", args=[participant.pk])
    response = client_for(personas["keyworker"]).post(url, details_post(participant, crn="X654321"))
    assert "belongs to someone else" in response.content.decode()
    participant.refresh_from_db()
    assert participant.crn != "X654321"


def test_licence_ending_before_it_starts_is_refused(client_for, personas, participant):
    url = reverse("participants:licence", args=[participant.pk])
    data = {**date_fields("starts_on", days_ago(10)), **date_fields("ends_on", days_ago(20))}
    response = client_for(personas["offender_manager"]).post(url, data)
    assert "The licence expiry date must be after the start date" in response.content.decode()
    assert not Licence.objects.exists()


def test_licence_and_condition_are_recorded(client_for, personas, participant):
    client = client_for(personas["offender_manager"])
    data = {
        **date_fields("starts_on", days_ago(10)),
        **date_fields("ends_on", days_ago(-700)),
        "standard_conditions": "on",
    }
    assert (
        client.post(reverse("participants:licence", args=[participant.pk]), data).status_code == 302
    )
    condition = {
        "category": "exclusion_zone",
        "text": "Not to enter Toxteth as shown on the map",
        **date_fields("starts_on", days_ago(10)),
    }
    url = reverse("participants:condition_add", args=[participant.pk])
    assert client.post(url, condition).status_code == 302
    assert LicenceCondition.objects.get().category == "exclusion_zone"
    overview = client.get(reverse("participants:overview", args=[participant.pk])).content.decode()
    assert "Not to enter Toxteth" in overview


def test_condition_ending_before_it_starts_is_refused(client_for, personas, participant):
    Licence.objects.create(participant=participant, starts_on=days_ago(30), ends_on=days_ago(-300))
    url = reverse("participants:condition_add", args=[participant.pk])
    data = {
        "category": "curfew",
        "text": "21:00 to 07:00",
        **date_fields("starts_on", days_ago(5)),
        **date_fields("ends_on", days_ago(10)),
    }
    response = client_for(personas["offender_manager"]).post(url, data)
    assert "The end date must be on or after the start date" in response.content.decode()
    assert not LicenceCondition.objects.exists()


def test_reallocation_ends_the_old_allocation_and_moves_the_rights(personas, participant):
    services.allocate(
        participant=participant, role=Role.HEALTH_KEYWORKER, staff=personas["colleague"],
        actor=personas["service_manager"], started_on=days_ago(1),
    )  # fmt: skip
    old = participant.allocations.get(role=Role.HEALTH_KEYWORKER, staff=personas["keyworker"])
    assert old.ended_on == days_ago(1)
    assert not may_change(personas["keyworker"], participant)
    assert may_change(personas["colleague"], participant)
    history = list(
        participant.allocations.filter(role=Role.HEALTH_KEYWORKER).order_by("started_on")
    )
    assert [a.staff for a in history] == [personas["keyworker"], personas["colleague"]]


def test_pathway_needs_are_saved_for_all_eight_pathways(client_for, personas, participant):
    from participants.models import Pathway

    data = {}
    for pathway in Pathway:
        data[f"{pathway.value}_level"] = "high" if pathway == Pathway.ACCOMMODATION else "low"
        data[f"{pathway.value}_notes"] = ""
    data["accommodation_notes"] = "NFA on release unless AP place confirmed"
    url = reverse("participants:pathway_needs", args=[participant.pk])
    assert client_for(personas["keyworker"]).post(url, data).status_code == 302
    assert participant.pathway_needs.count() == 8
    assert participant.pathway_needs.get(pathway="accommodation").level == "high"


def test_outcome_snapshot_cannot_be_dated_in_the_future(client_for, personas, participant):
    url = reverse("participants:outcome_add", args=[participant.pk])
    data = {
        "point": "release",
        **date_fields("taken_on", days_ago(-5)),
        "accommodation": "nfa",
        "occupation": "none",
        "notes": "",
    }
    response = client_for(personas["keyworker"]).post(url, data)
    assert "Date must be today or in the past" in response.content.decode()
    assert not OutcomeSnapshot.objects.exists()
    data.update(date_fields("taken_on", days_ago(0)))
    assert client_for(personas["keyworker"]).post(url, data).status_code == 302
    assert OutcomeSnapshot.objects.get().accommodation == "nfa"


def test_contacts_and_goals(client_for, personas, participant):
    client = client_for(personas["keyworker"])
    add = reverse("participants:contact_add", args=[participant.pk])
    client.post(add, {"name": "Maureen Okoro", "relationship": "Mother", "phone": "0151 496 0000",
                      "is_next_of_kin": "on", "notes": ""})  # fmt: skip
    contact = participant.contacts.get()
    assert contact.is_next_of_kin
    goal_url = reverse("participants:goal_add", args=[participant.pk])
    client.post(goal_url, {"in_his_words": "Get my own flat", "progress": "not_started"})
    assert participant.goals.get().in_his_words == "Get my own flat"
    client.post(reverse("participants:contact_remove", args=[participant.pk, contact.pk]))
    assert not participant.contacts.exists()


def test_timeline_shows_restricted_entries_without_their_content(client_for, personas, participant):
    record_event(participant=participant, category="session", title="Key-work: housing plan")
    record_event(
        participant=participant, category="session", title="Disclosed self-harm history",
        detail="Details of the disclosure", visibility="health",
    )  # fmt: skip
    url = reverse("participants:timeline", args=[participant.pk])
    om_view = client_for(personas["offender_manager"]).get(url).content.decode()
    assert "Key-work: housing plan" in om_view
    assert "Disclosed self-harm history" not in om_view
    assert "Restricted entry (health only)" in om_view
    keyworker_view = client_for(personas["keyworker"]).get(url).content.decode()
    assert "Disclosed self-harm history" in keyworker_view


def test_history_page_shows_who_changed_what(client_for, personas, participant):
    services.update_participant(
        participant=participant, actor=personas["keyworker"], expected_version=participant.version,
        changes={"phone": "07700 900555"},
    )  # fmt: skip
    body = (
        client_for(personas["colleague"])
        .get(reverse("participants:history", args=[participant.pk]))
        .content.decode()
    )
    assert "07700 900555" in body
    assert personas["keyworker"].full_name in body


def test_history_comes_a_page_at_a_time_with_each_change_before_and_after(
    client_for, personas, participant
):
    for number in range(1, 31):
        participant.refresh_from_db()
        services.update_participant(
            participant=participant, actor=personas["keyworker"],
            expected_version=participant.version, changes={"phone": f"07700 900{number:03d}"},
        )  # fmt: skip
    client = client_for(personas["colleague"])
    url = reverse("participants:history", args=[participant.pk])
    first = client.get(url).content.decode()
    # Newest first; the 25th row down still shows what the phone number was before it.
    assert "07700 900029 → 07700 900030" in first
    assert "07700 900005 → 07700 900006" in first
    assert "07700 900004 → 07700 900005" not in first
    assert "Older changes" in first and "Newer changes" not in first
    second = client.get(url, {"page": 2}).content.decode()
    assert "07700 900004 → 07700 900005" in second
    assert "07700 900029 → 07700 900030" not in second
    assert "Newer changes" in second
    # A page number that is not a number shows the first page, never an error.
    assert client.get(url, {"page": "x"}).status_code == 200


def test_caseload_search_by_any_identifier_and_filter_by_stage(
    client_for, personas, participant, service
):
    ParticipantFactory(
        service=service, given_name="Liam", family_name="Doherty", stage=Stage.COMMUNITY
    )
    client = client_for(personas["colleague"])
    url = reverse("participants:caseload")
    by_prison_number = client.get(url, {"q": "a1234 bc"}).content.decode()
    assert "OKORO" in by_prison_number
    assert "DOHERTY" not in by_prison_number
    by_stage = client.get(url, {"stage": "community"}).content.decode()
    assert "DOHERTY" in by_stage
    assert "OKORO" not in by_stage


def test_capacity_counts_each_services_men_and_referrals_on_their_own(
    service, other_service, django_assert_num_queries
):
    from participants.models import Referral
    from participants.selectors import capacities
    from tests.factories import ReferralFactory

    for stage in (Stage.IN_REACH, Stage.COMMUNITY, Stage.COMMUNITY, Stage.MOVE_ON, Stage.WAITING):
        ParticipantFactory(service=service, stage=stage)
    ParticipantFactory(service=other_service, stage=Stage.COMMUNITY)
    ReferralFactory(service=service, status=Referral.Status.RECEIVED)
    ReferralFactory(service=other_service, status=Referral.Status.RECEIVED)
    ReferralFactory(service=other_service, status=Referral.Status.DECLINED)
    with django_assert_num_queries(1):
        ours, theirs = capacities([service, other_service])
    assert (ours["service"], ours["community"], ours["custody"], ours["waiting"]) == (
        service,
        3,
        1,
        1,
    )
    assert (theirs["community"], theirs["custody"], theirs["waiting"]) == (1, 0, 0)
    assert dict(ours["pipeline"])[Referral.Status.RECEIVED.label] == 1
    assert dict(theirs["pipeline"])[Referral.Status.DECLINED.label] == 1
    assert dict(ours["pipeline"])[Referral.Status.DECLINED.label] == 0
    assert capacities([]) == []


def test_capacity_panel_is_for_service_managers(client_for, personas, participant):
    url = reverse("participants:caseload")
    manager_view = client_for(personas["service_manager"]).get(url).content.decode()
    assert "Capacity: Resettle Merseyside" in manager_view
    assert "1 / 25" in manager_view
    assert "Capacity" not in client_for(personas["keyworker"]).get(url).content.decode()
