"""Risk concerns that can be acted on (issue 20, item 7).

A concern in a note his offender manager may not read (health only) says, in a short field
everyone in his team may read, what the OM needs to know: his alert and the note's place show
it, and "Mark as seen" sits beside it and is accepted only for the text shown. Nobody gives a
note a visibility that shuts their own agency out.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sessions import services
from sessions.models import SessionNote, SessionType, Visibility
from tests.factories import SessionNoteFactory
from tests.world import from_world

pytestmark = pytest.mark.django_db

service, personas, participant = from_world("service", "personas", "participant")

CONCERN = "Mentioned seeing his former partner in town, twice this week"
SHARED = "He may be breaching his non-contact condition: please call me today"


def group_session(service, actor, men):
    starts = timezone.now() - datetime.timedelta(hours=2)
    return services.create_session(
        service=service,
        actor=actor,
        session_type=SessionType.GROUP,
        title="Cooking group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=men,
    )


@pytest.fixture
def session(service, personas, participant):
    return group_session(service, personas["keyworker"], [participant])


def health_note(session, participant, author, **fields) -> SessionNote:
    return services.add_note(
        session=session,
        participant=participant,
        actor=author,
        note=SessionNote(
            **{
                "summary": "Talked about his drinking and his sister",
                "risk_concern": CONCERN,
                "visibility": Visibility.HEALTH,
                "risk_concern_shared": SHARED,
                **fields,
            }
        ),
    )


def note_form(session, participant, **data) -> dict:
    return {"summary": "Short check-in after the group", "narrative": "", **data}


def note_add_url(session, participant) -> str:
    return reverse("keywork:note_add", args=[session.pk, participant.pk])


def visibility_choices(response) -> list[str]:
    return [value for value, _ in response.context["form"].fields["visibility"].choices]


# --- Nobody shuts themselves out of their own note ----------------------------------------


def test_a_keyworker_is_offered_only_visibilities_she_can_read(
    client_for, personas, session, participant
):
    response = client_for(personas["keyworker"]).get(note_add_url(session, participant))
    assert visibility_choices(response) == [Visibility.SHARED, Visibility.HEALTH]
    body = response.content.decode()
    assert "Health only (NHS staff)" in body
    assert "Probation only" not in body


def test_the_offender_manager_is_offered_shared_or_probation_only(
    client_for, personas, session, participant
):
    response = client_for(personas["offender_manager"]).get(note_add_url(session, participant))
    assert visibility_choices(response) == [Visibility.SHARED, Visibility.PROBATION]
    assert "Health only" not in response.content.decode()


def test_a_keyworker_cannot_save_a_probation_only_note(client_for, personas, session, participant):
    response = client_for(personas["keyworker"]).post(
        note_add_url(session, participant), note_form(session, participant, visibility="probation")
    )
    assert response.status_code == 200
    assert "you cannot give it a visibility that leaves you out" in response.content.decode()
    assert not SessionNote.objects.filter(participant=participant).exists()


def test_the_service_refuses_a_visibility_that_excludes_the_writers_agency(
    personas, session, participant
):
    with pytest.raises(ValidationError) as refused:
        services.add_note(
            session=session,
            participant=participant,
            actor=personas["keyworker"],
            note=SessionNote(summary="Check-in", visibility=Visibility.PROBATION),
        )
    assert refused.value.message_dict["visibility"] == [
        "You could not read a note marked “Probation only”: choose “Shared with the whole "
        "team” or “Health only (NHS staff)”"
    ]
    assert not SessionNote.objects.filter(participant=participant).exists()


def test_editing_cannot_move_a_note_out_of_the_writers_agency(personas, session, participant):
    note = services.add_note(
        session=session,
        participant=participant,
        actor=personas["offender_manager"],
        note=SessionNote(summary="Licence reminder", visibility=Visibility.SHARED),
    )
    with pytest.raises(ValidationError) as refused:
        services.edit_note(
            note=note, actor=personas["offender_manager"], changes={"visibility": "health"}
        )
    assert "Health only (NHS staff)" in refused.value.message_dict["visibility"][0]
    note.refresh_from_db()
    assert note.visibility == Visibility.SHARED


def test_the_edit_form_refuses_it_too_and_changes_nothing(
    client_for, personas, session, participant
):
    note = health_note(session, participant, personas["keyworker"])
    response = client_for(personas["keyworker"]).post(
        reverse("keywork:note_edit", args=[note.pk]),
        note_form(session, participant, visibility="probation", risk_concern=CONCERN),
    )
    assert response.status_code == 200
    assert "leaves you out" in response.content.decode()
    note.refresh_from_db()
    assert note.visibility == Visibility.HEALTH


# --- What the offender manager needs to know ----------------------------------------------


def test_a_health_only_concern_needs_what_the_om_needs_to_know(
    client_for, personas, session, participant
):
    response = client_for(personas["keyworker"]).post(
        note_add_url(session, participant),
        note_form(session, participant, visibility="health", risk_concern=CONCERN),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Say what the offender manager needs to know" in body
    assert not SessionNote.objects.filter(participant=participant).exists()


def test_what_the_om_needs_to_know_is_short(client_for, personas, session, participant):
    response = client_for(personas["keyworker"]).post(
        note_add_url(session, participant),
        note_form(
            session,
            participant,
            visibility="health",
            risk_concern=CONCERN,
            risk_concern_shared="x" * 501,
        ),
    )
    assert response.status_code == 200
    assert "What the offender manager needs to know must be 500 characters or fewer" in (
        response.content.decode()
    )
    assert not SessionNote.objects.filter(participant=participant).exists()


def test_the_service_refuses_a_hidden_concern_without_a_shared_summary(
    personas, session, participant
):
    with pytest.raises(ValidationError) as refused:
        health_note(session, participant, personas["keyworker"], risk_concern_shared="  ")
    assert "needs to know" in refused.value.message_dict["risk_concern_shared"][0]


def test_a_concern_the_om_may_read_keeps_no_shared_summary(personas, session, participant):
    note = services.add_note(
        session=session,
        participant=participant,
        actor=personas["keyworker"],
        note=SessionNote(
            summary="Group",
            risk_concern=CONCERN,
            visibility=Visibility.SHARED,
            risk_concern_shared="left over from choosing health only first",
        ),
    )
    assert note.risk_concern_shared == ""


def test_the_oms_alert_shows_what_he_needs_to_know_not_the_concern(
    client_for, personas, session, participant
):
    note = health_note(session, participant, personas["keyworker"])
    body = client_for(personas["offender_manager"]).get(reverse("core:home")).content.decode()
    assert "Risk concerns raised" in body
    assert f"What the offender manager needs to know:</strong> {SHARED}" in body
    assert CONCERN not in body
    assert "ask Aisha Rahman" not in body
    # "Mark as seen" is beside the summary, naming the text shown.
    summary_at = body.index(SHARED)
    button_at = body.index('data-testid="mark-seen"', summary_at)
    assert body.index(SessionNote.fingerprint(SHARED), summary_at) < button_at
    assert reverse("keywork:risk_concern_seen", args=[note.pk]) in body[summary_at:button_at]


@pytest.mark.parametrize("page", ["session_detail", "participant_sessions"])
def test_the_notes_place_shows_the_summary_to_the_om_with_mark_as_seen(
    client_for, personas, session, participant, page
):
    health_note(session, participant, personas["keyworker"])
    obj = session if page == "session_detail" else participant
    body = (
        client_for(personas["offender_manager"])
        .get(reverse(f"keywork:{page}", args=[obj.pk]))
        .content.decode()
    )
    assert "Its content is not shared with your agency" in body
    assert SHARED in body and CONCERN not in body
    assert 'data-testid="mark-seen"' in body[body.index(SHARED) :]


def test_the_rest_of_the_team_reads_the_summary_but_is_not_offered_mark_as_seen(
    client_for, personas, session, participant
):
    health_note(session, participant, personas["keyworker"])
    colleague = client_for(personas["colleague"])
    body = colleague.get(reverse("keywork:session_detail", args=[session.pk])).content.decode()
    assert "Risk concern:</strong> " + CONCERN in body  # health: the concern itself
    assert 'data-testid="mark-seen"' not in body


def mark_seen(client, note, shown: str | None):
    data = {} if shown is None else {"shown": shown}
    return client.post(reverse("keywork:risk_concern_seen", args=[note.pk]), data)


def test_the_om_marks_seen_the_summary_he_was_shown(client_for, personas, session, participant):
    note = health_note(session, participant, personas["keyworker"])
    om = client_for(personas["offender_manager"])
    response = mark_seen(om, note, SessionNote.fingerprint(SHARED))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.risk_concern_seen_by == personas["offender_manager"]
    home = om.get(reverse("core:home")).content.decode()
    assert "Risk concerns raised" not in home
    page = om.get(reverse("keywork:session_detail", args=[session.pk])).content.decode()
    assert "Seen by Sarah Okafor" in page


@pytest.mark.parametrize("shown", [None, "", "0123456789abcdef"])
def test_marking_seen_without_being_shown_the_summary_is_refused(
    client_for, personas, session, participant, shown
):
    note = health_note(session, participant, personas["keyworker"])
    om = client_for(personas["offender_manager"])
    response = mark_seen(om, note, shown)
    assert response.status_code == 302
    (message,) = [m.message for m in get_messages(response.wsgi_request)]
    assert "read it, then mark it as seen" in message
    note.refresh_from_db()
    assert note.risk_concern_seen_at is None


def test_a_summary_changed_since_the_page_was_shown_is_not_marked_seen(
    client_for, personas, session, participant
):
    note = health_note(session, participant, personas["keyworker"])
    shown = SessionNote.fingerprint(SHARED)
    services.edit_note(
        note=note,
        actor=personas["keyworker"],
        changes={"risk_concern_shared": "He told us he went to her house: call me now"},
    )
    mark_seen(client_for(personas["offender_manager"]), note, shown)
    note.refresh_from_db()
    assert note.risk_concern_seen_at is None


def test_the_service_refuses_marking_seen_a_text_not_shown(personas, session, participant):
    note = health_note(session, participant, personas["keyworker"])
    with pytest.raises(ValidationError):
        services.mark_risk_concern_seen(
            note=note, actor=personas["offender_manager"], shown=SessionNote.fingerprint(CONCERN)
        )


# --- Concerns written before the summary was asked for ------------------------------------


@pytest.fixture
def old_note(personas, session, participant):
    """A health-only concern from before the rule: no shared summary (made straight to the
    table, as the service would now refuse it)."""
    return SessionNoteFactory(
        session=session,
        participant=participant,
        author=personas["keyworker"],
        visibility=Visibility.HEALTH,
        risk_concern=CONCERN,
    )


def test_an_old_concern_without_a_summary_says_whom_to_ask(client_for, personas, old_note):
    body = client_for(personas["offender_manager"]).get(reverse("core:home")).content.decode()
    assert "ask Aisha Rahman, who wrote it" in body
    assert CONCERN not in body
    assert 'data-testid="mark-seen"' in body[body.index("ask Aisha Rahman") :]


def test_an_old_concern_without_a_summary_can_still_be_marked_seen(
    client_for, personas, old_note, participant
):
    mark_seen(client_for(personas["offender_manager"]), old_note, SessionNote.fingerprint(""))
    old_note.refresh_from_db()
    assert old_note.risk_concern_seen_by == personas["offender_manager"]
    event = participant.timeline_events.get(title__startswith="Risk concern seen")
    assert event.title == (
        "Risk concern seen by his offender manager, with no shared summary to read "
        "(its writer: Aisha Rahman)"
    )


def test_his_timeline_tells_everyone_what_the_om_needs_to_know(
    client_for, personas, session, participant
):
    health_note(session, participant, personas["keyworker"])
    url = reverse("participants:timeline", args=[participant.pk])
    body = client_for(personas["offender_manager"]).get(url).content.decode()
    assert "Risk concern raised (in a health-only note)" in body
    assert f"What the offender manager needs to know: {SHARED}" in body
    assert CONCERN not in body
