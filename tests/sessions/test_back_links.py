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
