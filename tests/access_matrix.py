"""Shared by the table-driven access tests of every app: who is asked, and how answers look."""

from django.urls import reverse

# Every persona of tests/conftest.py, and someone not signed in.
PERSONAS = (
    "anonymous",
    "offender_manager",
    "keyworker",
    "psychologist",
    "colleague",
    "service_manager",
    "crisis_worker",
    "administrator",
    "commissioner",
    "outsider",
    "outsider_manager",
)


def sign_in_as(client, client_for, personas, persona: str):
    return client if persona == "anonymous" else client_for(personas[persona])


def assert_status(response, expected: int) -> None:
    assert response.status_code == expected, response.content.decode()[:500]
    if expected == 302:
        login = reverse("accounts:login")
        assert response.url.startswith(f"{login}?next="), response.url
    if expected == 404:  # not found looks the same whether or not he exists
        body = response.content.decode()
        assert "Page not found" in body
        assert "Jamal" not in body and "Okoro" not in body


def persona_cases(pages, expected_status) -> list:
    """One test case for each page × persona, carrying the status the rules expect."""
    import pytest

    return [
        pytest.param(
            page, persona, expected_status(persona, page.kind), id=f"{page.case}-{persona}"
        )
        for page in pages
        for persona in PERSONAS
    ]
