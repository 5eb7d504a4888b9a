"""Issue #3: a service manager takes a man from referral to move-on, entirely in the browser."""

import datetime

import pytest
from django.utils import timezone

from participants.models import Participant, Referral
from tests.factories import days_ago

from .steps import success_banner

pytestmark = pytest.mark.django_db(transaction=True)


def fill_date(page, field_id: str, day: datetime.date) -> None:
    """A GOV.UK date input: the day box carries the bare field id, then _month and _year."""
    page.locator(f"#{field_id}").fill(str(day.day))
    page.locator(f"#{field_id}_month").fill(str(day.month))
    page.locator(f"#{field_id}_year").fill(str(day.year))


def open_referral_form(page):
    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Referrals", exact=True
    ).click()
    page.wait_for_url("**/referrals/")
    page.get_by_role("link", name="Record a referral", exact=True).click()
    page.wait_for_url("**/referrals/new/")


def fill_referral(page, *, prison_number: str) -> None:
    fill_date(page, "id_received_on", days_ago(14))
    page.get_by_label("Offender manager", exact=True).check()
    page.get_by_label("First name", exact=True).fill("Jamal")
    page.get_by_label("Last name", exact=True).fill("Okoro")
    fill_date(page, "id_date_of_birth", datetime.date(1990, 5, 14))
    page.get_by_label("Prison number", exact=True).fill(prison_number)
    page.get_by_label("Current prison", exact=True).fill("HMP Liverpool")
    page.get_by_label("Determinate", exact=True).check()
    page.get_by_label("Sentence length in months", exact=True).fill("48")
    page.get_by_label("Index offence category", exact=True).select_option(
        label="Violence against the person"
    )
    page.get_by_label("Screened into the OPD pathway", exact=True).check()


def stage_tag(page):
    return page.get_by_test_id("identity-bar").locator(".govuk-tag").first


def record_stage_change(page, link: str, today: datetime.date, **extra) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    page.wait_for_url("**/stage/**")
    fill_date(page, "id_effective_on", today)
    if "recall_type" in extra:
        page.get_by_label(extra["recall_type"], exact=True).check()
    if "reason" in extra:
        page.get_by_label("Reason for the recall", exact=True).fill(extra["reason"])
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 0, page.locator(
        ".govuk-error-summary"
    ).inner_text()


def allocate_team(page, *, team: dict[str, str], today: datetime.date) -> None:
    """From the prompt after acceptance: his whole team chosen on one page, saved once."""
    page.get_by_test_id("team-prompt").get_by_role(
        "link", name="Allocate his team", exact=True
    ).click()
    page.wait_for_url("**/team/")
    for label, staff_name in team.items():
        page.get_by_label(label, exact=True).select_option(label=staff_name)
    fill_date(page, "id_started_on", today)
    page.get_by_role("button", name="Save team", exact=True).click()
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").count() == 0, page.locator(
        ".govuk-error-summary"
    ).inner_text()
    banner = success_banner(page).inner_text()
    for staff_name in team.values():
        assert staff_name in banner


def test_service_manager_takes_a_man_from_referral_to_move_on(page, sign_in, personas):
    today = timezone.localdate()
    sign_in(personas["service_manager"])

    # 1. Record the referral.
    open_referral_form(page)
    fill_referral(page, prison_number="A1234BC")
    page.get_by_role("button", name="Save referral", exact=True).click()
    page.wait_for_url("**/referrals/*-*/")
    assert "Referral of Jamal Okoro recorded" in success_banner(page).inner_text()
    heading = page.get_by_role("heading", level=1)
    assert "Jamal Okoro" in heading.inner_text()
    assert heading.locator(".govuk-tag").inner_text() == "Received"

    # 2. Assess, then accept with an in-reach place.
    page.get_by_role("button", name="Start assessment", exact=True).click()
    page.wait_for_load_state()
    assert "Assessment started" in success_banner(page).inner_text()
    assert page.get_by_role("heading", level=1).locator(".govuk-tag").inner_text() == "Assessing"
    page.get_by_role("link", name="Accept", exact=True).click()
    page.wait_for_url("**/accept/")
    fill_date(page, "id_decided_on", today)
    page.get_by_label("Offer an in-reach place now", exact=True).check()
    page.get_by_role("button", name="Accept referral", exact=True).click()
    page.wait_for_url("**/participants/*-*/")
    assert "Jamal Okoro accepted and offered in-reach" in success_banner(page).inner_text()
    assert stage_tag(page).inner_text().startswith("In-reach")
    assert page.get_by_role("heading", name="Overview", level=1).is_visible()
    overview_url = page.url

    # 3. Allocate the team.
    allocate_team(
        page,
        team={"Offender manager": "Sarah Okafor", "Health keyworker": "Aisha Rahman"},
        today=today,
    )
    # The psychologist is still to be chosen: the prompt stays until he has his whole team.
    assert "He has no psychologist yet" in page.get_by_test_id("team-prompt").inner_text()
    team = page.get_by_test_id("team").inner_text()
    assert "Sarah Okafor" in team
    assert "Aisha Rahman" in team

    # 4. Make the release-day plan.
    page.get_by_role("link", name="Make the release-day plan", exact=True).click()
    page.wait_for_url("**/release-plan/")
    fill_date(page, "id_planned_release_date", today)
    page.get_by_label("Who collects him at the gate", exact=True).fill("His brother, 08:00")
    page.get_by_label("Collection arranged", exact=True).check()
    page.get_by_label("Where he sleeps the first night", exact=True).fill("Approved premises")
    page.get_by_label("First night confirmed", exact=True).check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(overview_url)
    assert "Release-day plan saved" in success_banner(page).inner_text()
    assert "2 of 5 items done" in page.locator("main").inner_text()

    # 5. Release.
    record_stage_change(page, "Record release", today)
    assert page.url == overview_url
    assert stage_tag(page).inner_text() == "Community"

    # 6. Recall: back to custody.
    record_stage_change(
        page,
        "Record recall",
        today,
        recall_type="Fixed-term recall",
        reason="Missed two appointments with probation",
    )
    # Back in custody after a recall, and marked so: not a man in pre-release in-reach.
    recalled = f"Recalled (fixed-term) since {today.day} {today:%B %Y}"
    assert stage_tag(page).inner_text() == recalled
    assert page.get_by_role("link", name="Record release", exact=True).count() == 0

    # 7. Re-release, then move-on.
    record_stage_change(page, "Record re-release", today)
    assert stage_tag(page).inner_text() == "Community"
    record_stage_change(page, "Record move-on", today)
    assert stage_tag(page).inner_text() == "Move-on"

    # 8. Timeline (newest first) and history.
    record_nav = page.get_by_role("navigation", name="Participant record")
    record_nav.get_by_role("link", name="Timeline", exact=True).click()
    page.wait_for_url("**/timeline/")
    titles = page.locator(".moj-timeline__title").all_inner_texts()
    stage_titles = [
        t
        for t in titles
        if t
        in {
            "Released – through the gate",
            "Fixed-term recall to custody",
            "Re-released",
            "Moved on",
        }
    ]
    assert stage_titles == [
        "Moved on",
        "Re-released",
        "Fixed-term recall to custody",
        "Released – through the gate",
    ], titles

    record_nav.get_by_role("link", name="History", exact=True).click()
    page.wait_for_url("**/history/")
    history = page.locator("main table").first.inner_text()
    assert "No changes recorded" not in history
    assert "Personal details: changed" in history
    assert "Stage: created" in history
    assert "Team: created" in history
    assert "Release-day plan: changed" in history
    assert "Joanne Kirkby" in history

    participant = Participant.objects.get(prison_number="A1234BC")
    assert participant.stage == "move_on"
    assert participant.stage_changes.count() == 5


def test_invalid_prison_number_is_shown_in_the_error_summary_and_nothing_saved(
    page, sign_in, personas
):
    sign_in(personas["service_manager"])
    open_referral_form(page)
    fill_referral(page, prison_number="12345")
    page.get_by_role("button", name="Save referral", exact=True).click()
    page.wait_for_load_state()

    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "Enter a prison number in the right format" in summary.inner_text()
    link = summary.get_by_role(
        "link", name="Enter a prison number in the right format, like A1234BC"
    )
    assert link.get_attribute("href") == "#id_prison_number"
    assert "/referrals/new/" in page.url
    assert page.get_by_label("First name", exact=True).input_value() == "Jamal"

    page.get_by_role("navigation", name="Primary navigation").get_by_role(
        "link", name="Referrals", exact=True
    ).click()
    page.wait_for_url("**/referrals/")
    assert page.locator("table caption").inner_text() == "0 referrals"
    assert page.get_by_text("No referrals here.").is_visible()
    assert Referral.objects.count() == 0
