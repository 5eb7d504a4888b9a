"""Every page carries the OFFICIAL-SENSITIVE marking, and no case page is kept by the browser."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def case_pages(participant) -> list[str]:
    return [
        reverse("core:home"),
        reverse("participants:caseload"),
        reverse("participants:overview", args=[participant.pk]),
        reverse("participants:timeline", args=[participant.pk]),
        reverse("participants:history", args=[participant.pk]),
        reverse("riskplans:overview", args=[participant.pk]),
        reverse("keywork:participant_sessions", args=[participant.pk]),
        reverse("crisisline:summary", args=[participant.pk]),
        reverse("crisisline:search") + "?q=Okoro",
        reverse("reports:list"),
    ]


def test_case_pages_are_marked_and_never_stored(client_for, personas, participant):
    browser = client_for(personas["service_manager"])
    for url in case_pages(participant):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert "OFFICIAL-SENSITIVE" in response.content.decode(), url
        cache_control = response.headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url


def test_htmx_fragments_are_never_stored_either(client_for, personas, participant):
    response = client_for(personas["crisis_worker"]).get(
        reverse("crisisline:search") + "?q=Okoro", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Okoro" in response.content.decode()
    assert "no-store" in response.headers["Cache-Control"]


def test_the_sign_in_page_is_marked_too(client):
    response = client.get(reverse("accounts:login"))
    assert "OFFICIAL-SENSITIVE" in response.content.decode()
