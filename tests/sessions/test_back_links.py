"""Issue 27: session pages have a back link (GOV.UK back link, above the content)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions import services

pytestmark = pytest.mark.django_db


def back_link(html: str) -> str:
    start = html.index('class="govuk-back-link"')
    return html[html.rindex("<a", 0, start) : html.index("</a>", start)]


def test_session_pages_have_a_back_link(client_for, personas, participant, service):
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
        participants=[participant],
    )
    client = client_for(personas["keyworker"])
    my_day = reverse("keywork:my_day")
    detail = reverse("keywork:session_detail", args=[session.pk])
    for url, target in (
        (detail, my_day),
        (reverse("keywork:session_add"), my_day),
        (reverse("keywork:session_edit", args=[session.pk]), detail),
        (reverse("keywork:note_add", args=[session.pk, participant.pk]), detail),
    ):
        html = client.get(url).content.decode()
        assert f'href="{target}"' in back_link(html), url


def test_from_his_sessions_tab_the_back_link_returns_there(
    client_for, personas, participant, service
):
    starts = timezone.now() - datetime.timedelta(hours=1)
    session = services.create_session(
        service=service,
        actor=personas["keyworker"],
        session_type="keywork",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=[participant],
    )
    client = client_for(personas["keyworker"])
    tab = reverse("keywork:participant_sessions", args=[participant.pk])
    detail = reverse("keywork:session_detail", args=[session.pk])
    html = client.get(tab).content.decode()
    # The links on his tab carry him, so the session page knows where it was opened from.
    assert f'href="{detail}?participant={participant.pk}"' in html
    assert f'href="{reverse("keywork:session_add")}?participant={participant.pk}"' in html
    for url in (
        f"{detail}?participant={participant.pk}",
        f"{reverse('keywork:session_add')}?participant={participant.pk}",
    ):
        assert f'href="{tab}"' in back_link(client.get(url).content.decode()), url
    # Anything but a man's id falls back to My day.
    html = client.get(f"{detail}?participant=../../admin").content.decode()
    assert f'href="{reverse("keywork:my_day")}"' in back_link(html)
