"""Issue 27: the group register's errors name the man and link to his field."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant
from sessions import services
from sessions.models import Attendance, Outcome
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def test_an_acceptable_absence_without_a_reason_names_him_and_links_to_his_reason(
    client_for, personas, participant, service
):
    other = ParticipantFactory(service=service, given_name="Kwame", family_name="Asante")
    Participant.objects.filter(pk=other.pk).update(stage=participant.stage)
    starts = timezone.now() - datetime.timedelta(hours=1)
    session = services.create_session(
        service=service,
        actor=personas["keyworker"],
        session_type="group",
        title="Thinking skills",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        enforceable=True,
        participants=[participant, Participant.objects.get(pk=other.pk)],
    )
    jamal = session.attendances.get(participant=participant)
    kwame = session.attendances.get(participant_id=other.pk)
    response = client_for(personas["keyworker"]).post(
        reverse("keywork:register", args=[session.pk]),
        {
            f"a{jamal.pk}_outcome": Outcome.ACCEPTABLE_ABSENCE,
            f"a{kwame.pk}_outcome": Outcome.ATTENDED,
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'<a href="#id_a{jamal.pk}_reason">Give the reason Jamal Okoro&#x27;s absence is '
        "acceptable</a>" in html
    )
    assert f'id="id_a{jamal.pk}_reason"' in html
    # Nothing recorded for anyone: the register is all or nothing.
    assert set(Attendance.objects.filter(session=session).values_list("outcome", flat=True)) == {""}
