"""Issue 27: the offender manager's enforcement decision shows the absences that prompted it,
read through the compliance rules (sessions/compliance.py), above the decision."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import Outcome
from tests.sessions.test_compliance import days_ago, jamal, outcome  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def in_words(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def absences_table(html: str) -> str:
    start = html.index('data-testid="enforcement-absences"')
    return html[start : html.index("</table>", start)]


def test_the_absences_that_prompted_it_are_listed_above_the_decision(
    client_for,
    service,
    personas,
    jamal,  # noqa: F811
):
    keyworker, colleague = personas["keyworker"], personas["colleague"]
    first = outcome(service, keyworker, jamal, days_ago(20), Outcome.UNACCEPTABLE_ABSENCE)
    second = outcome(service, colleague, jamal, days_ago(9), Outcome.UNACCEPTABLE_ABSENCE)
    corrected = outcome(service, keyworker, jamal, days_ago(5), Outcome.UNACCEPTABLE_ABSENCE)
    services.correct_outcome(
        attendance=corrected, actor=personas["offender_manager"],
        outcome=Outcome.ACCEPTABLE_ABSENCE, absence_reason="medical",
        reason="He brought a sick note",
    )  # fmt: skip
    outcome(service, keyworker, jamal, days_ago(3), Outcome.ATTENDED)
    outcome(service, keyworker, jamal, days_ago(2), Outcome.UNACCEPTABLE_ABSENCE, enforceable=False)

    html = (
        client_for(personas["offender_manager"])
        .get(reverse("keywork:enforcement_add", args=[jamal.pk]))
        .content.decode()
    )
    table = absences_table(html)
    rows = table.split('<tr class="govuk-table__row">')[2:]
    assert len(rows) == 2  # the corrected, attended and unenforceable ones are not there
    for row, absence, who in ((rows[0], first, keyworker), (rows[1], second, colleague)):
        day = timezone.localtime(absence.session_starts_at).date()
        assert in_words(day) in row
        assert absence.session.display_title in row
        assert "Unacceptable absence" in row
        assert who.full_name in row
    assert in_words(days_ago(5)) not in table and in_words(days_ago(2)) not in table
    # Above the decision itself.
    assert html.index('data-testid="enforcement-absences"') < html.index('name="decision"')


def test_with_no_absences_that_count_the_page_says_so(client_for, personas, jamal):  # noqa: F811
    html = (
        client_for(personas["offender_manager"])
        .get(reverse("keywork:enforcement_add", args=[jamal.pk]))
        .content.decode()
    )
    assert 'data-testid="enforcement-absences"' not in html
    assert "None: no unacceptable absence counts" in html
