"""His sessions list: what each row says."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import Outcome
from tests.sessions.test_compliance import days_ago, session_on

pytestmark = pytest.mark.django_db


def test_each_row_says_when_what_and_how_it_went(client_for, service, personas, participant):
    keyworker = personas["keyworker"]
    attended = session_on(service, keyworker, participant, days_ago(3), hour=14)
    services.record_outcome(
        attendance=attended.attendances.get(), outcome=Outcome.ATTENDED, actor=keyworker
    )
    missing = session_on(service, keyworker, participant, days_ago(2), enforceable=False)
    starts = timezone.now() + datetime.timedelta(days=2)
    planned = services.create_session(
        service=service, actor=keyworker, session_type="one_to_one", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind="centre",
        title="<script>alert('x')</script> Housing", participants=[participant],
    )  # fmt: skip

    url = reverse("keywork:participant_sessions", args=[participant.pk])
    rows = client_for(keyworker).get(url).content.decode().split('<tr class="govuk-table__row">')
    planned_row = next(row for row in rows if str(planned.pk) in row)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Housing" in planned_row
    assert "<script>" not in planned_row
    assert "Planned" in planned_row
    missing_row = next(row for row in rows if str(missing.pk) in row)
    assert "(not enforceable)" in missing_row
    assert "Outcome missing" in missing_row
    attended_row = next(row for row in rows if str(attended.pk) in row)
    local = timezone.localtime(attended.starts_at)
    assert f"{local:%a} {local.day} {local:%b %Y}, 14:00" in attended_row
    assert "Attended and complied" in attended_row
    assert "(not enforceable)" not in attended_row
