import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from resettle.core.models import AccessLog

pytestmark = pytest.mark.django_db


def test_opening_a_record_is_logged_without_its_content(client_for, personas, participant):
    client_for(personas["colleague"]).get(
        reverse("participants:overview", args=[participant.pk]), REMOTE_ADDR="10.1.2.3"
    )
    entry = AccessLog.objects.get()
    assert entry.user == personas["colleague"]
    assert entry.role == "health_keyworker"
    assert entry.participant_id == participant.pk
    assert entry.page == reverse("participants:overview", args=[participant.pk])
    assert entry.view_name == "participants:overview"
    assert entry.ip_address == "10.1.2.3"
    assert entry.allowed is True


def test_refusals_are_logged_too(client_for, personas, participant):
    client_for(personas["colleague"]).get(
        reverse("participants:edit_details", args=[participant.pk])
    )
    client_for(personas["outsider"]).get(reverse("participants:overview", args=[participant.pk]))
    refused = AccessLog.objects.filter(allowed=False)
    assert {entry.user for entry in refused} == {personas["colleague"], personas["outsider"]}


def test_crisis_summary_views_are_logged(client_for, personas, participant):
    client_for(personas["crisis_worker"]).get(reverse("crisisline:summary", args=[participant.pk]))
    assert AccessLog.objects.get().role == "crisis_line_worker"


def test_service_managers_see_who_looked_and_others_do_not(client_for, personas, participant):
    client_for(personas["colleague"]).get(reverse("participants:overview", args=[participant.pk]))
    url = reverse("participants:history", args=[participant.pk])
    manager_view = client_for(personas["service_manager"]).get(url).content.decode()
    assert "Who has looked at this record" in manager_view
    assert personas["colleague"].full_name in manager_view
    keyworker_view = client_for(personas["keyworker"]).get(url).content.decode()
    assert "Who has looked at this record" not in keyworker_view


def test_the_database_refuses_to_change_or_delete_the_log(client_for, personas, participant):
    client_for(personas["colleague"]).get(reverse("participants:overview", args=[participant.pk]))
    entry = AccessLog.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(allowed=False)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()
    assert AccessLog.objects.get().allowed is True
