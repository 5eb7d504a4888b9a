"""Issue #10 item 9: the service manager reviews records past the retention period, keeps one
for now and deletes another after confirming, entirely in the browser."""

import datetime

import pytest
from django.utils import timezone

from participants.models import Participant, RetentionDecision, retention_reference
from participants.retention import years_after
from tests.factories.retention import ended_participant, past_the_period

from .conftest import serious_accessibility_violations
from .steps import no_errors, success_banner

pytestmark = pytest.mark.django_db(transaction=True)


def fill_date(page, field_id: str, day: datetime.date) -> None:
    page.locator(f"#{field_id}").fill(str(day.day))
    page.locator(f"#{field_id}_month").fill(str(day.month))
    page.locator(f"#{field_id}_year").fill(str(day.year))


@pytest.fixture
def two_old_records(personas, service):
    manager = personas["service_manager"]
    kept = ended_participant(
        service=service,
        manager=manager,
        ended_on=past_the_period(extra_days=40),
        given_name="Brian",
        family_name="Catterall",
    )
    deleted = ended_participant(
        service=service,
        manager=manager,
        ended_on=past_the_period(extra_days=10),
        given_name="Stephen",
        family_name="Ashworth",
    )
    return kept, deleted


def test_manager_keeps_one_record_and_deletes_another(page, sign_in, personas, two_old_records):
    brian, stephen = two_old_records
    sign_in(personas["service_manager"])

    # Home page: the count, linking to the list.
    page.get_by_role("link", name="2 records due for review").click()
    page.wait_for_url("**/participants/retention/")
    assert serious_accessibility_violations(page) == [], "records due for review"
    men = page.get_by_test_id("retention-men")
    assert "CATTERALL, Brian" in men.inner_text()
    assert "ASHWORTH, Stephen" in men.inner_text()

    # Keep Brian's record for a year, with a reason.
    page.get_by_role("link", name="CATTERALL, Brian").click()
    page.get_by_label("Keep for now").check()
    # The revealed fields are there, and no radio carries aria-expanded (axe: critical).
    assert page.get_by_label("Why keep it?").is_visible()
    assert page.locator("input[aria-expanded]").count() == 0
    assert serious_accessibility_violations(page) == [], "review, a choice revealed"
    page.get_by_label("Why keep it?").fill("His family has asked for his records; reply pending")
    next_review = years_after(timezone.localdate(), 1)
    fill_date(page, "id_next_review_on", next_review)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/participants/retention/")
    no_errors(page)
    assert f"due for review again on {next_review:%-d %B %Y}" in success_banner(page).inner_text()
    assert "CATTERALL" not in page.get_by_test_id("retention-men").inner_text()

    # Delete Stephen's record: a reason, then the confirmation with what goes.
    page.get_by_role("link", name="ASHWORTH, Stephen").click()
    page.get_by_label("Delete the record").check()
    page.get_by_label("Why delete it?").fill("Past the retention period with nothing holding it")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Delete Stephen Ashworth's record?").is_visible()
    assert "Moves between stages\t2" in page.get_by_test_id("deletion-counts").inner_text()
    assert serious_accessibility_violations(page) == [], "confirmation"
    page.get_by_role("button", name="Delete the record").click()
    assert "Confirm that you understand" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("I understand that this record and its history will be deleted").check()
    page.get_by_role("button", name="Delete the record").click()
    page.wait_for_url("**/participants/retention/")
    no_errors(page)
    banner = success_banner(page).inner_text()
    assert "Stephen Ashworth's record has been deleted" in banner
    assert retention_reference(stephen.pk) in banner
    assert "No man's record is due for review" in page.get_by_test_id("retention-men").inner_text()

    # The decisions page is the audit trail of both.
    page.get_by_role("link", name="Decisions already made").click()
    decisions = page.get_by_test_id("retention-decisions").inner_text()
    assert "Kept" in decisions and "Deleted" in decisions
    assert "Ashworth" not in decisions
    assert not Participant.objects.filter(pk=stephen.pk).exists()
    assert Participant.objects.filter(pk=brian.pk).exists()
    assert RetentionDecision.objects.count() == 2


def test_without_javascript_each_choice_shows_its_fields_and_works(
    browser, live_server, personas, two_old_records
):
    from tests.factories.accounts import PASSWORD

    brian, _stephen = two_old_records
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/sign-in/")
        page.get_by_label("Email address").fill(personas["service_manager"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/participants/retention/{brian.pk}/")
        # Nothing is hidden: the fields of both choices are on the page.
        assert page.get_by_label("Why keep it?").is_visible()
        assert page.get_by_label("Why delete it?").is_visible()
        page.get_by_label("Keep for now").check()
        page.get_by_label("Why keep it?").fill("Subject access request in progress")
        fill_date(page, "id_next_review_on", years_after(timezone.localdate(), 2))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/participants/retention/")
        assert "record is kept" in success_banner(page).inner_text()
    finally:
        context.close()
    assert RetentionDecision.objects.get().subject_id == brian.pk
