"""Issue #6: the crisis line finds a caller fast, logs the call, and hands over to the day team."""

import datetime
import re

import pytest
from django.utils import timezone

from crisisline import selectors
from crisisline.handover import handover_window
from crisisline.models import CrisisCall

from .conftest import serious_accessibility_violations
from .steps import no_errors, primary_nav, success_banner, switch_to

pytestmark = pytest.mark.django_db(transaction=True)

PRESENTING_ISSUE = "Drinking again after a row with his girlfriend"
NARRATIVE = "Rang from outside the hostel. Calmer by the end; agreed to go back in and sleep."
FOLLOW_UP_NOTE = "Aisha will visit him at the hostel at 10:00 and tell his OM."


# --- helpers -------------------------------------------------------------------------------


def a_moment_in_the_handover_window(service) -> datetime.datetime:
    """A minute inside the out-of-hours period the service's day team hands over from now, so
    the journey behaves the same whenever the suite runs."""
    now = timezone.now()
    window = handover_window(now, selectors.non_working_days(service.pk))
    latest = min(window.ends, now)
    moment = window.starts + (latest - window.starts) / 2
    return timezone.localtime(moment).replace(second=0, microsecond=0)


# Keyboard only: Tab moves focus, typing fills, arrows and Space choose.


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, limit: int = 80) -> None:
    for _ in range(limit):
        if is_focused(locator):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def type_into(page, locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.type(text)
    assert locator.input_value() == text


def choose_radio(page, name: str, label: str) -> None:
    """Tab into the radio group (focus lands on the checked radio, or the first), then the
    arrow keys move through it and Space chooses."""
    target = page.get_by_role("radio", name=label, exact=True)
    for _ in range(80):
        if page.evaluate(
            "name => document.activeElement && document.activeElement.type === 'radio'"
            " && document.activeElement.name === name",
            name,
        ):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError(f"Tab never reached the {name} radios")
    for _ in range(10):
        if is_focused(target):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert target.is_checked(), label


def tick(page, label: str) -> None:
    box = page.get_by_label(label, exact=True)
    kind = box.get_attribute("type")
    assert kind == "checkbox", (
        f"{label!r} is an <input type={kind}>, so only one option can be chosen: "
        "widget_kind() in resettle/core/templatetags/govuk.py tests RadioSelect before "
        "CheckboxSelectMultiple, which is a subclass of RadioSelect"
    )
    tab_to(page, box)
    page.keyboard.press("Space")
    assert box.is_checked(), label


def type_date_and_time(page, moment: datetime.datetime) -> None:
    type_into(page, page.locator("#id_started_date"), str(moment.day))
    type_into(page, page.locator("#id_started_date_month"), str(moment.month))
    type_into(page, page.locator("#id_started_date_year"), str(moment.year))
    type_into(page, page.get_by_label("Time the call started", exact=True), f"{moment:%H:%M}")


def mark_page(page) -> None:
    """A flag that survives htmx swaps but not a full page load."""
    page.evaluate("window.__stillTheSamePage = true")


def same_page(page) -> bool:
    return page.evaluate("window.__stillTheSamePage === true")


def search_results(page):
    return page.locator("#crisis-results")


def crisis_search_for(page, text: str) -> None:
    """On the crisis-line search page: type, and the results come without pressing Search."""
    box = page.get_by_label(re.compile("^Name, prison number"))
    assert box.get_attribute("hx-get"), "the search box should search as you type"
    mark_page(page)
    box.fill("")
    box.press_sequentially(text, delay=40)
    search_results(page).get_by_role("link", name="Jamal Okoro", exact=True).wait_for()
    assert same_page(page), "results should arrive by htmx, without a page load"
    assert "1 result" in search_results(page).inner_text()


# --- issue #6 ------------------------------------------------------------------------------


def test_crisis_call_is_found_logged_and_handed_over(page, sign_in, personas, participant):
    crisis_worker, keyworker = personas["crisis_worker"], personas["keyworker"]
    started = a_moment_in_the_handover_window(participant.service)

    # The crisis worker lands on home, which has a search box ready.
    sign_in(crisis_worker)
    page.wait_for_url(re.compile(r"/$"))
    home_box = page.get_by_role("searchbox", name="Find the person")
    assert home_box.is_visible()

    # The home box searches with the Search button.
    home_box.fill("Okoro")
    page.get_by_role("search").get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/crisis/?q=Okoro")
    assert search_results(page).get_by_role("link", name="Jamal Okoro", exact=True).is_visible()

    # On the crisis-line page, typing alone brings the results (htmx) ...
    crisis_search_for(page, "Okoro")
    # ... and the plain Search button works too.
    mark_page(page)
    with page.expect_navigation():
        page.get_by_role("search").get_by_role("button", name="Search", exact=True).click()
    assert not same_page(page)
    assert "q=Okoro" in page.url
    assert "1 result" in search_results(page).inner_text()

    # His crisis summary.
    search_results(page).get_by_role("link", name="Jamal Okoro", exact=True).click()
    page.wait_for_url(f"**/crisis/people/{participant.pk}/")
    assert page.get_by_role("heading", name="Jamal Okoro", level=1).is_visible()
    assert page.get_by_role("link", name="Open the full record").count() == 0
    main = page.locator("main").inner_text()
    assert "Aisha Rahman" in main  # his keyworker, under "Who to call"
    assert "Sarah Okafor" in main  # his offender manager

    # Log the call, keyboard only.
    page.get_by_role("link", name="Log a call about Jamal", exact=True).click()
    page.wait_for_url("**/crisis/calls/new/?participant=*")
    assert page.get_by_role("heading", name="Log a call about Jamal Okoro", level=1).is_visible()
    issue = page.get_by_label("What the call is about", exact=True)
    issue.wait_for()
    type_into(page, issue, PRESENTING_ISSUE)
    choose_radio(page, "urgency", "Urgent")
    choose_radio(page, "caller_type", "The participant")
    type_date_and_time(page, started)
    tick(page, "Substance use")
    tick(page, "Relationship breakdown")
    tick(page, "Listened and de-escalated")
    tick(page, "Followed the contingency plan")
    tick(page, "The day team must follow this up")
    narrative = page.get_by_label("What happened", exact=True)
    tab_to(page, narrative)
    page.keyboard.type(NARRATIVE)
    save = page.get_by_role("button", name="Save the call", exact=True)
    tab_to(page, save)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    no_errors(page)
    page.wait_for_url("**/crisis/calls/*/")
    assert "Call logged" in success_banner(page).inner_text()
    assert page.get_by_role("heading", name=PRESENTING_ISSUE, level=1).is_visible()
    main = page.locator("main")
    assert main.get_by_text("Follow-up needed", exact=True).is_visible()
    assert main.get_by_text("Urgent", exact=True).is_visible()
    text = main.inner_text()
    assert "Jamal Okoro" in text
    assert "Substance use, Relationship breakdown" in text
    assert "Listened and de-escalated, Followed the contingency plan" in text
    assert NARRATIVE in text
    assert f"{started:%H:%M}" in text

    call = CrisisCall.objects.get()
    assert call.participant_id == participant.pk
    assert call.caller_type == "participant"
    assert call.urgency == "urgent"
    assert call.follow_up_required is True
    assert call.recorded_by == crisis_worker
    assert timezone.localtime(call.started_at) == started

    # The crisis summary is as deep as a crisis worker goes.
    for path in (f"/participants/{participant.pk}/", f"/participants/{participant.pk}/risk/"):
        response = page.goto(path)
        assert response.status == 403, path
        assert page.get_by_role("heading", name="You cannot use this page", level=1).is_visible()

    # Next morning: his keyworker sees the follow-up on her home page and in the handover.
    switch_to(page, sign_in, keyworker)
    follow_ups = page.get_by_role("region", name="Crisis-line follow-ups")
    assert (
        follow_ups.get_by_test_id("follow-ups")
        .get_by_role("link", name=re.compile(r"^Jamal Okoro, .*\(urgent\)$"))
        .is_visible()
    )

    primary_nav(page, "Handover")
    page.wait_for_url("**/crisis/handover/")
    jamal = page.locator("section").filter(
        has=page.get_by_role("heading", name="Jamal Okoro", level=2)
    )
    assert jamal.count() == 1
    assert PRESENTING_ISSUE in jamal.inner_text()
    jamal.get_by_label("Follow-up note", exact=True).press_sequentially(FOLLOW_UP_NOTE)
    with page.expect_navigation():
        jamal.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    no_errors(page)
    page.wait_for_url("**/crisis/handover/")
    assert "Follow-up acknowledged" in success_banner(page).inner_text()
    jamal = page.locator("section").filter(
        has=page.get_by_role("heading", name="Jamal Okoro", level=2)
    )
    assert jamal.get_by_text("Followed up", exact=True).is_visible()
    assert f"by Aisha Rahman: {FOLLOW_UP_NOTE}" in jamal.inner_text()
    assert jamal.get_by_role("button", name=re.compile(r"^Acknowledge")).count() == 0
    assert "0 follow-ups not yet acknowledged" in page.locator("main").inner_text()

    call.refresh_from_db()
    assert call.acknowledged_by == keyworker
    assert call.acknowledgement_note == FOLLOW_UP_NOTE

    primary_nav(page, "Home")
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("region", name="Crisis-line follow-ups").count() == 0
    assert page.get_by_test_id("follow-ups").count() == 0


def test_call_from_an_unknown_caller_is_linked_to_him_later(page, sign_in, personas, participant):
    sign_in(personas["crisis_worker"])
    primary_nav(page, "Crisis line")
    page.wait_for_url("**/crisis/")
    page.get_by_role("link", name="Log a call about someone not known", exact=True).click()
    page.wait_for_url("**/crisis/calls/new/")
    assert page.get_by_role("heading", name="Log a call", level=1).is_visible()
    assert "Not linked to a participant" in page.locator("main").inner_text()

    page.get_by_label("What the call is about", exact=True).fill("Man asking for a bed tonight")
    page.get_by_label("Concerning", exact=True).check()
    page.get_by_label("Anonymous or unknown", exact=True).check()
    page.get_by_label("Accommodation crisis", exact=True).check()
    page.get_by_label("Gave advice", exact=True).check()
    page.get_by_role("button", name="Save the call", exact=True).click()
    page.wait_for_url("**/crisis/calls/*/")
    no_errors(page)
    assert "Call logged" in success_banner(page).inner_text()
    main = page.locator("main")
    assert "Not linked to a participant" in main.inner_text()
    call = CrisisCall.objects.get()
    assert call.participant_id is None

    # He said his name was Jamal Okoro: find him from the call page and link the call.
    page.get_by_label("Name, identifier or phone number", exact=True).fill("Okoro")
    main.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/crisis/calls/*/?q=Okoro")
    with page.expect_navigation():
        page.get_by_role("button", name="Link to Jamal Okoro", exact=True).click()
    page.wait_for_url(f"**/crisis/calls/{call.pk}/")
    assert "Call linked to Jamal Okoro" in success_banner(page).inner_text()
    about = page.locator(".govuk-summary-list__row").filter(has_text="About")
    assert about.get_by_role("link", name="Jamal Okoro", exact=True).is_visible()
    assert "Not linked to a participant" not in main.inner_text()
    assert page.get_by_label("Name, identifier or phone number").count() == 0
    call.refresh_from_db()
    assert call.participant_id == participant.pk

    # It is among the last calls on his crisis summary.
    about.get_by_role("link", name="Jamal Okoro", exact=True).click()
    page.wait_for_url(f"**/crisis/people/{participant.pk}/")
    assert "Man asking for a bed tonight" in page.locator("main").inner_text()


def test_crisis_pages_have_no_serious_accessibility_violations(
    page, sign_in, personas, participant, service
):
    CrisisCall.objects.create(
        service=service,
        participant=participant,
        started_at=a_moment_in_the_handover_window(service),
        caller_type="family",
        caller_name="Grace Okoro",
        presenting_issue="His sister is worried he has stopped eating",
        urgency="concerning",
        follow_up_required=True,
        narrative="She has not seen him for three days.",
        recorded_by=personas["crisis_worker"],
    )

    sign_in(personas["crisis_worker"])
    primary_nav(page, "Crisis line")
    page.wait_for_url("**/crisis/")
    crisis_search_for(page, "Okoro")
    assert serious_accessibility_violations(page) == [], "search with results"

    search_results(page).get_by_role("link", name="Jamal Okoro", exact=True).click()
    page.wait_for_url(f"**/crisis/people/{participant.pk}/")
    assert serious_accessibility_violations(page) == [], "crisis summary"

    primary_nav(page, "Crisis line")
    page.get_by_role("link", name="Log a call about someone not known", exact=True).click()
    page.wait_for_url("**/crisis/calls/new/")
    page.get_by_role("button", name="Save the call", exact=True).click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "There is a problem" in summary.inner_text()
    # The presenting issue, the urgency and who called are all required.
    assert summary.get_by_role("link").count() >= 3
    assert page.locator(".govuk-error-message").count() >= 3
    assert serious_accessibility_violations(page) == [], "call form with errors"
    # Each link in the error summary must lead to its field (for radios, the first radio).
    links_to_nowhere = [
        f"{link.inner_text()!r} links to {link.get_attribute('href')}"
        for link in summary.get_by_role("link").all()
        if page.locator(link.get_attribute("href")).count() != 1
    ]

    switch_to(page, sign_in, personas["keyworker"])
    primary_nav(page, "Handover")
    page.wait_for_url("**/crisis/handover/")
    assert "His sister is worried he has stopped eating" in page.locator("main").inner_text()
    assert serious_accessibility_violations(page) == [], "handover"

    assert links_to_nowhere == [], "error summary on the call form"
