"""What one agency writes for itself never reaches the other, on any page, fragment or PDF.

A health-only note (NHS staff) and a probation-only note (probation staff) are written about
Jamal; every page that shows his record, his sessions or his crisis summary (whole pages and
the htmx fragments), his change history and a licence-compliance PDF are opened as the
offender manager (probation) and as his keyworker (NHS). Neither sees the other's words.
The crisis-line worker gets the contingency plan and nothing deeper.
"""

import datetime

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone

from reports import services as report_services
from resettle.core.models import AccessLog
from riskplans import services as plan_services
from sessions import services as session_services
from sessions.models import SessionNote, SessionType, Visibility

pytestmark = pytest.mark.django_db

HEALTH_WORDS = "Disclosed the childhood abuse in the psychology session"
PROBATION_WORDS = "Police intelligence places him near the victim on Elm Street"
SHARED_WORDS = "Came on time and cooked for the group"
CONTINGENCY = "If he misses two days the keyworker rings him and tells his OM"


@pytest.fixture
def jamal_with_notes(participant, personas, service):
    starts = timezone.now() - datetime.timedelta(minutes=30)
    session = session_services.create_session(
        service=service,
        actor=personas["keyworker"],
        session_type=SessionType.GROUP,
        title="Cooking group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        staff=[personas["keyworker"], personas["offender_manager"]],
        participants=[participant],
    )
    notes = {}
    for author, words, visibility in (
        (personas["keyworker"], HEALTH_WORDS, Visibility.HEALTH),
        (personas["offender_manager"], PROBATION_WORDS, Visibility.PROBATION),
        (personas["keyworker"], SHARED_WORDS, Visibility.SHARED),
    ):
        notes[visibility] = session_services.add_note(
            session=session,
            participant=participant,
            actor=author,
            note=SessionNote(summary=words, narrative=words, visibility=visibility),
        )
    plan = plan_services.start_plan(participant=participant, actor=personas["keyworker"])
    plan = plan_services.save_plan(
        plan=plan,
        actor=personas["keyworker"],
        expected_version=plan.lock_version,
        changes={
            "actions": [
                {"pillar": "supervision", "action": "Weekly", "owner": "OM", "due": "Weekly"}
            ],
            "contingency_plan": CONTINGENCY,
        },
    )
    plan = plan_services.submit_plan(plan=plan, actor=personas["keyworker"])
    plan = plan_services.approve_plan(plan=plan, actor=personas["offender_manager"])
    formulation = plan_services.start_formulation(
        participant=participant, actor=personas["psychologist"]
    )
    return {"session": session, "notes": notes, "plan": plan, "formulation": formulation}


def pages_about_him(participant, session) -> list[tuple[str, dict]]:
    """(url, extra headers) of every page and fragment that shows his case."""
    pk = participant.pk
    urls = [
        reverse("participants:overview", args=[pk]),
        reverse("participants:timeline", args=[pk]),
        reverse("participants:timeline", args=[pk]) + "?category=session",
        reverse("participants:history", args=[pk]),
        reverse("riskplans:overview", args=[pk]),
        reverse("keywork:participant_sessions", args=[pk]),
        reverse("keywork:session_detail", args=[session.pk]),
        reverse("keywork:my_day"),
        reverse("crisisline:summary", args=[pk]),
        reverse("crisisline:participant_calls", args=[pk]),
        reverse("crisisline:search") + "?q=Okoro",
        reverse("core:home"),
    ]
    pages = [(url, {}) for url in urls]
    pages.append((reverse("crisisline:search") + "?q=Okoro", {"HTTP_HX_REQUEST": "true"}))
    return pages


def everything_seen(client, pages) -> str:
    seen = []
    for url, headers in pages:
        response = client.get(url, **headers)
        assert response.status_code in (200, 403), (url, response.status_code)
        seen.append(response.content.decode())
    return "\n".join(seen)


def test_health_only_words_never_reach_probation_nor_probation_only_words_health(
    client_for, personas, participant, jamal_with_notes
):
    pages = pages_about_him(participant, jamal_with_notes["session"])
    probation_view = everything_seen(client_for(personas["offender_manager"]), pages)
    assert HEALTH_WORDS not in probation_view
    assert PROBATION_WORDS in probation_view
    assert SHARED_WORDS in probation_view
    health_view = everything_seen(client_for(personas["keyworker"]), pages)
    assert PROBATION_WORDS not in health_view
    assert HEALTH_WORDS in health_view
    assert SHARED_WORDS in health_view


def test_restricted_notes_are_refused_to_the_other_agency(client_for, personas, jamal_with_notes):
    health_note = jamal_with_notes["notes"][Visibility.HEALTH]
    probation_note = jamal_with_notes["notes"][Visibility.PROBATION]
    om = client_for(personas["offender_manager"])
    for name in ("note_edit", "note_addendum"):
        response = om.get(reverse(f"keywork:{name}", args=[health_note.pk]))
        assert response.status_code == 403
        assert HEALTH_WORDS not in response.content.decode()
    keyworker = client_for(personas["keyworker"])
    response = keyworker.get(reverse("keywork:note_addendum", args=[probation_note.pk]))
    assert response.status_code == 403
    assert PROBATION_WORDS not in response.content.decode()


def test_the_compliance_pdf_carries_no_restricted_note(personas, participant, jamal_with_notes):
    session = jamal_with_notes["session"]
    attendance = session.attendances.get(participant=participant)
    # A missed session: the report prints the note summary of missed sessions (shared only).
    session_services.record_outcome(
        attendance=attendance, actor=personas["keyworker"], outcome="unacceptable_absence"
    )
    today = timezone.localdate()
    report, _sent = report_services.request_compliance_report(
        actor=personas["offender_manager"],
        participant=participant,
        start=today - datetime.timedelta(days=30),
        end=today,
    )
    report.refresh_from_db()
    with report.file.open("rb") as handle:
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(handle).pages)
    text = " ".join(text.split())
    assert SHARED_WORDS in text
    assert HEALTH_WORDS not in text
    assert PROBATION_WORDS not in text


def test_the_crisis_line_gets_the_contingency_plan_and_nothing_deeper(
    client_for, personas, participant, jamal_with_notes
):
    crisis = client_for(personas["crisis_worker"])
    summary = crisis.get(reverse("crisisline:summary", args=[participant.pk]))
    assert summary.status_code == 200
    body = summary.content.decode()
    assert CONTINGENCY in body
    assert HEALTH_WORDS not in body and PROBATION_WORDS not in body
    refused = [
        reverse("riskplans:plan_detail", args=[participant.pk, jamal_with_notes["plan"].pk]),
        reverse(
            "riskplans:formulation_detail",
            args=[participant.pk, jamal_with_notes["formulation"].pk],
        ),
        reverse("riskplans:overview", args=[participant.pk]),
        reverse("keywork:session_detail", args=[jamal_with_notes["session"].pk]),
        reverse("participants:timeline", args=[participant.pk]),
        *(
            reverse("keywork:note_addendum", args=[note.pk])
            for note in jamal_with_notes["notes"].values()
        ),
    ]
    for url in refused:
        response = crisis.get(url)
        assert response.status_code in (403, 404), url
        assert SHARED_WORDS not in response.content.decode()


def test_each_view_of_his_record_leaves_an_access_log_row(
    client_for, personas, participant, jamal_with_notes
):
    om = personas["offender_manager"]
    record_pages = [
        reverse(name, args=[participant.pk])
        for name in (
            "participants:overview",
            "participants:timeline",
            "participants:history",
            "riskplans:overview",
            "keywork:participant_sessions",
            "crisisline:summary",
            "crisisline:participant_calls",
        )
    ]
    browser = client_for(om)
    for url in record_pages:
        before = AccessLog.objects.filter(user=om, participant_id=participant.pk).count()
        assert browser.get(url).status_code == 200
        rows = AccessLog.objects.filter(user=om, participant_id=participant.pk)
        assert rows.count() == before + 1, url
        latest = rows.order_by("-at").first()
        assert latest.allowed and latest.page == url and latest.role == "offender_manager"
