"""History in words (issue 20, item 8): every line of his History tab says labels, names and
dates, never codes, ids or Python lists; attendance is there from the moment he is put on a
session, and each outcome shows before and after."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from participants import services
from participants.models import Contact, StageChange
from resettle.core.words import date_in_words, datetime_in_words, in_words
from sessions import services as session_services
from sessions.models import (
    Attendance,
    EnforcementDecision,
    Outcome,
    RecallDecision,
    SessionNote,
    Visibility,
)
from tests.factories import AttendanceFactory, SessionFactory, days_ago

pytestmark = pytest.mark.django_db


def history_lines(client, participant) -> list[str]:
    """Each row of his History tab as the reader sees it: "What | Change", tags removed."""
    body = client.get(reverse("participants:history", args=[participant.pk])).content.decode()
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", body, flags=re.S)
    lines = []
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if len(cells) == 4:
            what, change = cells[2], cells[3]
            change = re.sub(r"</div>|<br>", " | ", change)
            text = re.sub(r"<[^>]+>", "", f"{what} || {change}")
            lines.append(html.unescape(re.sub(r"\s+", " ", text)).strip())
    return lines


def one_line(lines: list[str], *needles: str) -> str:
    found = [line for line in lines if all(needle in line for needle in needles)]
    assert found, f"no line with {needles} in:\n" + "\n".join(lines)
    return found[0]


def assert_no_codes_or_ids(lines: list[str], *ids) -> None:
    text = "\n".join(lines)
    for raw in ("move_on", "in_reach", "['", "[]", "{'", "drugs_alcohol", "unacceptable_absence"):
        assert raw not in text, raw
    for pk in ids:
        assert str(pk) not in text


def group_session(service, actor, men, *, hours_ago: int = 2):
    starts = timezone.now() - datetime.timedelta(hours=hours_ago)
    return session_services.create_session(
        service=service,
        actor=actor,
        session_type="group",
        title="Cooking group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=men,
    )


def test_a_stage_move_reads_in_labels_and_dates(client_for, personas, participant):
    om = personas["offender_manager"]
    for kind, day in (
        (StageChange.Kind.RELEASED, 100),
        (StageChange.Kind.MOVED_ON, 50),
        (StageChange.Kind.RECALLED, 10),
    ):
        extra = {"recall_type": "fixed_term", "reason": "Breach"} if kind == "recalled" else {}
        services.change_stage(
            participant=participant, actor=om, kind=kind, effective_on=days_ago(day), **extra
        )
        participant.refresh_from_db()
    lines = history_lines(client_for(personas["colleague"]), participant)
    changed = one_line(lines, "Personal details: changed", "Stage: Move-on →")
    assert "Stage: Move-on → In-reach (in custody)" in changed
    assert f"Stage since: {date_in_words(days_ago(50))} → {date_in_words(days_ago(10))}" in changed
    recall = one_line(lines, "Stage: created", "Recalled to custody")
    assert "Kind: Recalled to custody" in recall
    assert "From stage: Move-on" in recall and "To stage: In-reach (in custody)" in recall
    assert "Recall type: Fixed-term recall" in recall
    assert "Recorded by: Sarah Okafor" in recall
    assert f"Effective on: {date_in_words(days_ago(10))}" in recall
    assert_no_codes_or_ids(lines, om.pk)


def test_the_team_reads_by_name_not_by_id(client_for, personas, participant):
    lines = history_lines(client_for(personas["colleague"]), participant)
    allocation = one_line(lines, "Team: created", "Staff: Aisha Rahman")
    assert "Role: Health keyworker" in allocation
    assert "Allocated by: Joanne Kirkby" in allocation
    assert_no_codes_or_ids(lines, personas["keyworker"].pk, personas["service_manager"].pk)


def test_a_contact_created_reads_yes_and_no(client_for, personas, participant):
    services.save_contact(
        participant=participant,
        actor=personas["keyworker"],
        contact=Contact(name="Grace Okoro", relationship="Mother", is_next_of_kin=True),
    )
    lines = history_lines(client_for(personas["colleague"]), participant)
    assert "Next of kin: Yes" in one_line(lines, "Contacts: created", "Grace Okoro")


def test_attendance_is_in_his_history_from_the_start_with_each_outcome_before_and_after(
    client_for, personas, service, participant
):
    keyworker = personas["keyworker"]
    session = group_session(service, keyworker, [participant])
    attendance = session.attendances.get()
    assert attendance.history.count() == 1  # bulk-created, with a history row all the same
    session_services.record_outcome(
        attendance=attendance,
        outcome=Outcome.UNACCEPTABLE_ABSENCE,
        actor=keyworker,
    )
    recorded = Attendance.objects.get(pk=attendance.pk)
    lines = history_lines(client_for(personas["colleague"]), participant)
    created = one_line(lines, "Attendance: created")
    session_day = date_in_words(timezone.localtime(session.starts_at).date())
    assert f"Session: Cooking group, {session_day}" in created
    changed = one_line(lines, "Attendance: changed")
    assert "Outcome: (blank) → Unacceptable absence" in changed
    assert "Recorded by: (blank) → Aisha Rahman" in changed
    assert f"Recorded at: (blank) → {datetime_in_words(recorded.recorded_at)}" in changed
    assert_no_codes_or_ids(lines, keyworker.pk, session.pk)


def test_a_man_added_to_a_session_later_has_his_attendance_created_too(
    client_for, personas, service, participant
):
    from tests.factories import accepted_participant

    other = accepted_participant(service=service, manager=personas["service_manager"])
    session = group_session(service, personas["keyworker"], [other])
    session_services.add_participant_to_session(
        session=session, participant=participant, actor=personas["keyworker"]
    )
    lines = history_lines(client_for(personas["colleague"]), participant)
    assert "Session: Cooking group" in one_line(lines, "Attendance: created")


def test_a_notes_pathways_read_as_labels_joined(client_for, personas, service, participant):
    keyworker = personas["keyworker"]
    session = group_session(service, keyworker, [participant])
    note = session_services.add_note(
        session=session,
        participant=participant,
        actor=keyworker,
        note=SessionNote(
            summary="Housing and drinking",
            pathways=["accommodation", "drugs_alcohol"],
            visibility=Visibility.SHARED,
        ),
    )
    session_services.edit_note(
        note=note, actor=keyworker, changes={"pathways": ["accommodation", "finance"]}
    )
    lines = history_lines(client_for(personas["colleague"]), participant)
    created = one_line(lines, "Session notes: created")
    assert "Pathways: Accommodation, Drugs and alcohol" in created
    assert "Visibility: Shared with the whole team" in created
    assert "Author: Aisha Rahman" in created
    changed = one_line(lines, "Session notes: changed")
    assert "Pathways: Accommodation, Drugs and alcohol → Accommodation, Finance" in changed
    assert_no_codes_or_ids(lines, keyworker.pk, session.pk)


def test_a_recall_decision_reads_its_alternatives_and_its_enforcement(
    client_for, personas, participant
):
    om = personas["offender_manager"]
    services.change_stage(
        participant=participant,
        actor=om,
        kind=StageChange.Kind.RELEASED,
        effective_on=days_ago(60),
    )
    participant.refresh_from_db()
    enforcement = session_services.record_enforcement(
        participant=participant,
        actor=om,
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED,
        decided_on=days_ago(2),
    )
    session_services.record_recall_decision(
        enforcement=enforcement,
        actor=om,
        why=RecallDecision.Why.CONTACT,
        alternatives_tried=["warning", "more_contact"],
        senior_manager_rationale="Contact lost for two weeks",
        outcome=RecallDecision.Outcome.NO_RECALL,
        decided_on=days_ago(1),
    )
    lines = history_lines(client_for(personas["colleague"]), participant)
    recall = one_line(lines, "Recall decisions: created")
    assert "Alternatives tried: Warning, More frequent contact" in recall
    assert f"Enforcement: Recall considered, {date_in_words(days_ago(2))}" in recall
    assert "Why: Contact has been lost" in recall and "Decision: No recall" in recall
    assert "Decided by: Sarah Okafor" in recall
    assert_no_codes_or_ids(lines, om.pk, enforcement.pk)


def test_restricted_notes_stay_out_of_the_history_of_those_who_may_not_read_them(
    client_for, personas, service, participant
):
    keyworker = personas["keyworker"]
    session = group_session(service, keyworker, [participant])
    session_services.add_note(
        session=session,
        participant=participant,
        actor=keyworker,
        note=SessionNote(
            summary="Disclosed self-harm history",
            risk_concern="Thoughts of harming himself",
            risk_concern_shared="Please check in with him before Friday",
            visibility=Visibility.HEALTH,
        ),
    )
    om_lines = "\n".join(history_lines(client_for(personas["offender_manager"]), participant))
    assert "Disclosed self-harm history" not in om_lines
    assert "Thoughts of harming himself" not in om_lines
    colleague_lines = history_lines(client_for(personas["colleague"]), participant)
    created = one_line(colleague_lines, "Session notes: created")
    assert "What the offender manager needs to know: Please check in with him" in created


# --- The one home for a value in words ----------------------------------------------------


def test_values_in_words_without_a_database():
    session = SessionFactory.build(
        title="",
        session_type="keywork",
        starts_at=timezone.make_aware(datetime.datetime(2026, 3, 4, 9)),
    )
    attendance = AttendanceFactory.build(session=session)
    assert in_words(Attendance, "outcome", "late") == "Attended late"
    assert in_words(Attendance, "session", session.pk, {(type(session), session.pk): session}) == (
        "Individual key-work, 4 March 2026"
    )
    assert in_words(Attendance, "session", 12345, {}) == "a record since removed"
    assert in_words(SessionNote, "pathways", ["family", "health"]) == (
        "Family and social support, Health"
    )
    assert in_words(SessionNote, "pathways", []) == ""
    assert in_words(SessionNote, "created_at", session.starts_at) == "4 March 2026, 09:00"
    assert in_words(EnforcementDecision, "decided_on", datetime.date(2026, 12, 3)) == (
        "3 December 2026"
    )
    assert in_words(type(session), "enforceable", False) == "No"
    assert in_words(type(session), "enforceable", True) == "Yes"
    assert attendance.session is session
