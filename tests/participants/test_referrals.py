import pytest
from django.urls import reverse

from participants.models import Participant, Referral, Stage
from tests.factories import ParticipantFactory, ReferralFactory, days_ago

pytestmark = pytest.mark.django_db


def referral_post(**overrides):
    received = days_ago(10)
    born = days_ago(365 * 35)
    data = {
        "received_on_day": received.day,
        "received_on_month": received.month,
        "received_on_year": received.year,
        "source": "prison",
        "given_name": "Jamal",
        "family_name": "Okoro",
        "date_of_birth_day": born.day,
        "date_of_birth_month": born.month,
        "date_of_birth_year": born.year,
        "prison_number": "a1234 bc",
        "crn": "",
        "pnc_number": "",
        "nhs_number": "",
        "current_prison": "HMP Liverpool",
        "sentence_type": "determinate",
        "sentence_length_months": "96",
        "index_offence": "violence",
        "screened_into_opd": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def manager_client(client_for, personas, service):
    client = client_for(personas["service_manager"])
    client.service = service
    return client


def post_referral(client, **overrides):
    data = referral_post(**overrides)
    data["service"] = client.service.pk
    return client.post(reverse("participants:referral_create"), data)


def test_service_manager_records_a_referral(manager_client):
    response = post_referral(manager_client)
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.prison_number == "A1234BC"  # normalised
    assert referral.status == Referral.Status.RECEIVED


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"prison_number": "12345"}, "Enter a prison number in the right format"),
        ({"crn": "X12"}, "Enter a case reference number (CRN) in the right format"),
        ({"nhs_number": "9434765918"}, "Enter a valid NHS number"),
        ({"pnc_number": "nonsense"}, "Enter a PNC number in the right format"),
        ({"sentence_length_months": ""}, "Enter the length of the determinate sentence"),
        (
            {"received_on_year": str(days_ago(-400).year)},
            "Date received must be today or in the past",
        ),
        ({"date_of_birth_month": "13"}, "Date of birth must be a real date"),
        ({"given_name": "<script>alert(1)</script>"}, "must not contain HTML"),
        ({"source": "carrier pigeon"}, "Select a valid choice"),
    ],
)
def test_bad_referral_input_is_refused_with_a_message_and_nothing_saved(
    manager_client, overrides, field_message
):
    response = post_referral(manager_client, **overrides)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert field_message in body
    assert not Referral.objects.exists()


def test_a_duplicate_referral_of_someone_already_referred_is_caught(manager_client, service):
    ReferralFactory(service=service, prison_number="A1234BC", received_on=days_ago(40))
    response = post_referral(manager_client)
    assert "is already on an open referral" in response.content.decode()
    assert Referral.objects.count() == 1


def test_a_referral_of_an_existing_participant_is_caught(manager_client, service):
    ParticipantFactory(service=service, prison_number="A1234BC")
    response = post_referral(manager_client)
    assert "belongs to a participant of this service" in response.content.decode()
    assert not Referral.objects.exists()


def test_keyworkers_cannot_record_referrals(client_for, personas):
    response = client_for(personas["keyworker"]).get(reverse("participants:referral_create"))
    assert response.status_code == 403


def accept(client, referral, day, offer="in_reach"):
    return client.post(
        reverse("participants:referral_accept", args=[referral.pk]),
        {
            "decided_on_day": day.day,
            "decided_on_month": day.month,
            "decided_on_year": day.year,
            "offer": offer,
        },
    )


def test_accepting_creates_the_participant_in_in_reach(manager_client, personas, service):
    referral = ReferralFactory(service=service, received_on=days_ago(30))
    response = accept(manager_client, referral, days_ago(1))
    participant = Participant.objects.get()
    assert response.url == reverse("participants:overview", args=[participant.pk])
    assert participant.stage == Stage.IN_REACH
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.participant == participant
    assert participant.stage_changes.get().recorded_by == personas["service_manager"]


def test_accepting_when_custody_places_are_full_puts_him_on_the_waiting_list(
    manager_client, service
):
    service.funded_custody_places = 1
    service.save()
    ParticipantFactory(service=service, stage=Stage.IN_REACH)
    referral = ReferralFactory(service=service, received_on=days_ago(30))
    accept(manager_client, referral, days_ago(1))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WAITING_LIST
    assert referral.participant.stage == Stage.WAITING


def test_decision_date_before_the_referral_is_refused(manager_client, service):
    referral = ReferralFactory(service=service, received_on=days_ago(30))
    response = accept(manager_client, referral, days_ago(40))
    assert "must be on or after the referral was received" in response.content.decode()
    assert not Participant.objects.exists()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED


def test_declining_needs_a_reason(manager_client, service):
    referral = ReferralFactory(service=service, received_on=days_ago(30))
    today = days_ago(0)
    url = reverse("participants:referral_decline", args=[referral.pk])
    date = {
        "decided_on_day": today.day,
        "decided_on_month": today.month,
        "decided_on_year": today.year,
    }
    response = manager_client.post(url, {**date, "reason": ""})
    body = response.content.decode()
    assert "This field is required" not in body
    assert "Enter the reason" in body
    assert "Choose the main reason for declining" in body
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RECEIVED
    response = manager_client.post(url, {**date, "reason": "Not screened in", "category": "bogus"})
    assert "Select a valid choice" in response.content.decode()
    manager_client.post(url, {**date, "reason": "Not screened in", "category": "not_screened_in"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.decision_reason == "Not screened in"
    assert referral.decline_category == Referral.DeclineCategory.NOT_SCREENED_IN


def test_a_closed_referral_cannot_be_accepted(manager_client, service):
    referral = ReferralFactory(
        service=service, received_on=days_ago(30), status=Referral.Status.WITHDRAWN
    )
    response = accept(manager_client, referral, days_ago(1))
    assert "already withdrawn" in response.content.decode()
    assert not Participant.objects.exists()


def test_assessment_then_acceptance(manager_client, service):
    referral = ReferralFactory(service=service, received_on=days_ago(30))
    manager_client.post(reverse("participants:referral_assess", args=[referral.pk]))
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ASSESSING
