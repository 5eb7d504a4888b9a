"""Issue #5: a keyworker runs a group register and key-work with a restricted note; the
offender manager sees the note is restricted, is prompted after absences, and decides."""

import datetime
import re

import pytest
from django.utils import timezone

from participants.models import Participant, Stage
from sessions import services
from sessions.models import Attendance, EnforcementDecision, Outcome, Session, SessionNote
from tests.factories import ParticipantFactory

from .conftest import serious_accessibility_violations
from .steps import no_errors, primary_nav, success_banner, switch_to

pytestmark = pytest.mark.django_db(transaction=True)

NOTE_SUMMARY = "Talked through his sleep and the voices at night"
NOTE_NARRATIVE = "He says the new medication helps. Agreed to see the GP on Thursday."
DECISION_REASON = "Two missed group sessions this month; the letter sets out what happens next."


# --- helpers -------------------------------------------------------------------------------


def times_today() -> tuple[datetime.time, datetime.time, datetime.time, datetime.time]:
    """(group start, group end, key-work start, key-work end) as whole minutes, all today:
    the group started up to an hour ago and ends in 10 minutes; key-work started earlier.
    Near midnight the times are clamped to today, so every session has started and ends
    after it starts."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    if (now.hour, now.minute) < (0, 2) or (now.hour, now.minute) > (23, 56):
        pytest.skip("too close to midnight for a session that has started and not ended")
    midnight = now.replace(hour=0, minute=0)
    last_minute = now.replace(hour=23, minute=59)
    group_start = max(now - datetime.timedelta(hours=1), midnight)
    group_end = min(now + datetime.timedelta(minutes=10), last_minute)
    keywork_start = max(now - datetime.timedelta(hours=2), midnight)
    keywork_end = min(keywork_start + datetime.timedelta(minutes=45), last_minute)
    return group_start.time(), group_end.time(), keywork_start.time(), keywork_end.time()


def fill_session_form(page, *, kind: str, title: str, start, end, men: list[str]) -> None:
    today = timezone.localdate()
    page.get_by_label("Type", exact=True).select_option(label=kind)
    page.get_by_label("Title", exact=True).fill(title)
    date = page.get_by_role("group", name="Date", exact=True)
    assert date.get_by_label("Day", exact=True).input_value() == str(today.day)
    date.get_by_label("Day", exact=True).fill(str(today.day))
    date.get_by_label("Month", exact=True).fill(str(today.month))
    date.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("Starts at", exact=True).fill(f"{start:%H:%M}")
    page.get_by_label("Ends at", exact=True).fill(f"{end:%H:%M}")
    page.get_by_label("The centre", exact=True).check()
    for label in men:
        page.get_by_label(label, exact=True).check()


def create_session_from_my_day(page, **fields) -> None:
    primary_nav(page, "My day")
    page.wait_for_url("**/sessions/")
    page.get_by_role("link", name="New session", exact=True).click()
    page.wait_for_url("**/sessions/new/")
    fill_session_form(page, **fields)
    with page.expect_navigation():
        page.get_by_role("button", name="Create", exact=True).click()
    no_errors(page)
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    assert "Session created" in success_banner(page).inner_text()


def register(page):
    return page.get_by_test_id("register")


def register_row(page, name: str):
    return (
        register(page)
        .locator("tbody tr")
        .filter(has=page.get_by_role("rowheader", name=name, exact=True))
    )


def sessions_tab(page, participant) -> None:
    page.get_by_role("navigation", name="Participant record").get_by_role(
        "link", name="Sessions", exact=True
    ).click()
    page.wait_for_url(f"**/sessions/participants/{participant.pk}/")


def enforcement_banner(page):
    return page.get_by_test_id("enforcement-prompt")


def five_community_men(service, participant) -> list[Participant]:
    Participant.objects.filter(pk=participant.pk).update(stage=Stage.COMMUNITY)
    participant.refresh_from_db()
    others = [ParticipantFactory(service=service, stage=Stage.COMMUNITY) for _ in range(4)]
    return [participant, *others]


def an_unacceptable_absence_yesterday(service, participant, actor) -> None:
    yesterday = timezone.localtime() - datetime.timedelta(days=1)
    starts = yesterday.replace(hour=10, minute=0, second=0, microsecond=0)
    session = services.create_session(
        service=service,
        actor=actor,
        session_type="group",
        title="Art group",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        location_kind="centre",
        participants=[participant],
    )
    services.record_outcome(
        attendance=session.attendances.get(), outcome="unacceptable_absence", actor=actor
    )


# --- issue #5 ------------------------------------------------------------------------------


def test_register_restricted_note_and_enforcement_decision(
    page, sign_in, personas, participant, service
):
    keyworker, om = personas["keyworker"], personas["offender_manager"]
    group_start, group_end, keywork_start, keywork_end = times_today()
    men = five_community_men(service, participant)
    labels = [f"{man.full_name} (Community)" for man in men]

    # 1. The keyworker runs the cooking group and takes the register.
    sign_in(keyworker)
    page.wait_for_url(re.compile(r"/$"))
    create_session_from_my_day(
        page,
        kind="Group session",
        title="Cooking group",
        start=group_start,
        end=group_end,
        men=labels,
    )
    assert page.get_by_role("heading", name="Cooking group", level=1).is_visible()
    main = page.locator("main").inner_text()
    assert f"{group_start:%H:%M} to {group_end:%H:%M}" in main
    assert "The centre" in main
    assert "Aisha Rahman" in main  # staff present defaults to her
    assert page.get_by_role("heading", name="Register", level=2).is_visible()
    assert register(page).locator("tbody tr").count() == 5

    others = men[1:]
    chosen = {
        others[0].full_name: "Attended and complied",
        others[1].full_name: "Attended and complied",
        others[2].full_name: "Attended and complied",
        others[3].full_name: "Attended late",
        participant.full_name: "Unacceptable absence",
    }
    for name, outcome in chosen.items():
        page.get_by_label(f"Outcome for {name}", exact=True).select_option(label=outcome)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the register", exact=True).click()
    no_errors(page)
    assert "5 outcomes recorded" in success_banner(page).inner_text()
    for name, outcome in chosen.items():
        row = register_row(page, name)
        assert outcome in row.inner_text(), name
        assert "by Aisha Rahman" in row.inner_text(), name
        assert row.get_by_role("combobox").count() == 0, name
    assert page.get_by_role("button", name="Save the register").count() == 0
    group = Session.objects.get(title="Cooking group")
    assert dict(
        Attendance.objects.filter(session=group).values_list("participant_id", "outcome")
    ) == {
        others[0].pk: Outcome.ATTENDED,
        others[1].pk: Outcome.ATTENDED,
        others[2].pk: Outcome.ATTENDED,
        others[3].pk: Outcome.LATE,
        participant.pk: Outcome.UNACCEPTABLE_ABSENCE,
    }

    # 2. Key-work with Jamal earlier today: the outcome, then a health-only note.
    create_session_from_my_day(
        page,
        kind="Individual key-work",
        title="",
        start=keywork_start,
        end=keywork_end,
        men=[labels[0]],
    )
    assert page.get_by_role("heading", name="Outcome", level=2).is_visible()
    assert register(page).locator("tbody tr").count() == 1
    page.get_by_label(f"Outcome for {participant.full_name}", exact=True).select_option(
        label="Attended and complied"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Save the outcome", exact=True).click()
    no_errors(page)
    assert "1 outcome recorded" in success_banner(page).inner_text()
    assert "Attended and complied" in register_row(page, participant.full_name).inner_text()

    register_row(page, participant.full_name).get_by_role(
        "link", name=f"Write a note about {participant.full_name}", exact=True
    ).click()
    page.wait_for_url(f"**/notes/{participant.pk}/new/")
    assert page.get_by_role("heading", name="Write a note", level=1).is_visible()
    page.get_by_label("Summary", exact=True).fill(NOTE_SUMMARY)
    page.get_by_label("Narrative", exact=True).fill(NOTE_NARRATIVE)
    page.get_by_label("Health only (NHS staff)", exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save note", exact=True).click()
    no_errors(page)
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    assert "Note saved" in success_banner(page).inner_text()
    note = page.get_by_test_id("note")
    assert NOTE_SUMMARY in note.inner_text()
    assert NOTE_NARRATIVE in note.inner_text()
    assert note.get_by_text("Health only (NHS staff)", exact=True).is_visible()
    saved = SessionNote.objects.get()
    assert (saved.participant_id, saved.author, saved.visibility) == (
        participant.pk,
        keyworker,
        "health",
    )

    # 3. His offender manager (probation) sees that the note exists, not what it says.
    switch_to(page, sign_in, om)
    page.get_by_role("table", name="People allocated to you").get_by_role(
        "link", name=participant.full_name, exact=True
    ).click()
    page.wait_for_url(f"**/participants/{participant.pk}/")
    sessions_tab(page, participant)
    main = page.locator("main")
    assert "Its content is not shared with your agency" in main.inner_text()
    assert "A note marked “Health only (NHS staff)” by Aisha Rahman" in main.inner_text()
    assert NOTE_SUMMARY not in page.content()
    assert NOTE_NARRATIVE not in page.content()
    assert "Cooking group" in main.inner_text()
    # One absence so far: a warning to consider, not yet a recall review.
    assert "1 unacceptable absence in the last 12 months" in enforcement_banner(page).inner_text()

    # 4. A second unacceptable absence (yesterday's group) calls for a recall review.
    an_unacceptable_absence_yesterday(service, participant, keyworker)
    page.reload()
    banner = enforcement_banner(page)
    assert "Enforcement decision needed" in banner.inner_text()
    assert "2 unacceptable absences in the last 12 months" in banner.inner_text()
    assert "review for recall" in banner.inner_text()

    primary_nav(page, "Home")
    page.wait_for_url(re.compile(r"/$"))
    prompts = page.get_by_role("region", name="Enforcement decisions needed")
    assert prompts.get_by_role("link", name=participant.full_name, exact=True).is_visible()
    assert "2 unacceptable absences" in prompts.inner_text()
    prompts.get_by_role("link", name=participant.full_name, exact=True).click()
    page.wait_for_url(f"**/sessions/participants/{participant.pk}/")

    enforcement_banner(page).get_by_role("link", name="Record your decision").click()
    page.wait_for_url(f"**/sessions/participants/{participant.pk}/enforcement/new/")
    assert page.get_by_role("heading", name="Record an enforcement decision").is_visible()
    page.get_by_label("First warning letter", exact=True).check()
    today = timezone.localdate()
    decided_on = page.get_by_role("group", name="Date of the decision", exact=True)
    decided_on.get_by_label("Day", exact=True).fill(str(today.day))
    decided_on.get_by_label("Month", exact=True).fill(str(today.month))
    decided_on.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("Reason", exact=True).fill(DECISION_REASON)
    with page.expect_navigation():
        page.get_by_role("button", name="Record decision", exact=True).click()
    no_errors(page)
    page.wait_for_url(f"**/sessions/participants/{participant.pk}/")
    assert "First warning letter recorded" in success_banner(page).inner_text()
    main = page.locator("main").inner_text()
    assert "First warning letter" in main
    assert f"by Sarah Okafor: {DECISION_REASON}" in main
    assert enforcement_banner(page).count() == 0
    decision = EnforcementDecision.objects.get()
    assert (decision.decision, decision.decided_on, decision.decided_by) == (
        "first_warning",
        today,
        om,
    )
    assert decision.absences_counted == 2

    primary_nav(page, "Home")
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("region", name="Enforcement decisions needed").count() == 0


def test_session_pages_have_no_serious_accessibility_violations(
    page, sign_in, personas, participant, service
):
    keyworker = personas["keyworker"]
    men = five_community_men(service, participant)
    start, end, _, _ = times_today()
    today = timezone.localdate()
    services.create_session(
        service=service,
        actor=keyworker,
        session_type="group",
        title="Cooking group",
        starts_at=timezone.make_aware(datetime.datetime.combine(today, start)),
        ends_at=timezone.make_aware(datetime.datetime.combine(today, end)),
        location_kind="centre",
        participants=men,
    )
    an_unacceptable_absence_yesterday(service, participant, keyworker)

    sign_in(keyworker)
    primary_nav(page, "My day")
    page.wait_for_url("**/sessions/")
    assert page.get_by_test_id("my-day-session").count() >= 1
    my_day = serious_accessibility_violations(page)

    page.get_by_role("link", name=re.compile("Cooking group$")).first.click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f-]{36}/$"))
    assert register(page).locator("tbody tr").count() == 5
    assert page.get_by_role("button", name="Save the register").is_visible()
    session_page = serious_accessibility_violations(page)

    page.goto(f"/sessions/participants/{participant.pk}/")
    assert enforcement_banner(page).is_visible()
    sessions_page = serious_accessibility_violations(page)

    assert my_day == [], "My day"
    assert session_page == [], "session page with the register"
    assert sessions_page == [], "Sessions tab"
