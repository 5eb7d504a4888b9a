"""Issue 27: one page of every kind, at phone (360), tablet (768) and desktop (1280) widths.

Fails on any horizontal overflow of the page itself (a wide table scrolls inside its own
app-table-scroll region instead) and on any serious or critical axe violation."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crisisline.models import Urgency
from participants.models import Participant
from resettle.accounts.roles import Role
from tests.crisisline.test_query_budgets import his_record
from tests.factories import ParticipantFactory, staff_member
from tests.factories.reports import crisis_call, session_with_outcomes

from .conftest import serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 768, 1280)

OVERFLOW = """() => {
  const root = document.documentElement;
  const over = root.scrollWidth - root.clientWidth;
  if (over <= 1) return null;
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1
      && !el.closest('.app-table-scroll') && !el.closest('.govuk-visually-hidden'))
    .slice(0, 3).map(el => el.tagName + '.' + el.className);
  const chain = [];
  let el = document.querySelector('.app-table-scroll');
  while (el && el !== root) { chain.push(el.tagName + '.' + el.className + '=' + Math.round(el.getBoundingClientRect().width)); el = el.parentElement; }
  return root.scrollWidth + ' px: ' + wide.join(', ') + ' | ' + chain.join(' < ');
}"""


def world(service, personas, participant):
    his_record(participant, personas, service)
    others = [
        ParticipantFactory(service=service, given_name=f"Man{n}", family_name="Longfamilyname")
        for n in range(3)
    ]
    for man in others:
        Participant.objects.filter(pk=man.pk).update(stage="community")
    group = session_with_outcomes(
        service=service,
        actor=personas["keyworker"],
        starts_at=timezone.now() - datetime.timedelta(days=1),
        outcomes={participant: "attended"},
        title="Thinking skills group with a long title",
    )
    call = crisis_call(
        service=service,
        actor=personas["crisis_worker"],
        started_at=timezone.now() - datetime.timedelta(hours=2),
        urgency=Urgency.URGENT,
    )
    return {"group": group, "call": call}


def check(page, sign_in, user, urls) -> list[str]:
    sign_in(user)
    problems = []
    for url in urls:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(url)
            assert response.status < 400, f"{url}: {response.status}"
            page.wait_for_load_state()
            over = page.evaluate(OVERFLOW)
            if over:
                problems.append(f"{url} at {width}: page is {over}")
            if width == WIDTHS[0]:
                problems += [f"{url}: {v}" for v in serious_accessibility_violations(page)]
    return problems


def test_service_managers_pages(page, sign_in, service, personas, participant):
    made = world(service, personas, participant)
    pk = participant.pk
    plan = participant.risk_plans.filter(status="approved").first()
    urls = [
        reverse("core:home"),
        reverse("participants:caseload"),
        reverse("participants:caseload") + "?risk=high&review_overdue=on",
        reverse("participants:referral_list"),
        reverse("participants:overview", args=[pk]),
        reverse("participants:timeline", args=[pk]),
        reverse("participants:history", args=[pk]),
        reverse("participants:allocate", args=[pk]),
        reverse("participants:record_access", args=[pk]),
        reverse("participants:retention_list"),
        reverse("riskplans:overview", args=[pk]),
        reverse("keywork:participant_sessions", args=[pk]),
        reverse("keywork:session_detail", args=[made["group"].pk]),
        reverse("keywork:session_add"),
        reverse("crisisline:summary", args=[pk]),
        reverse("crisisline:call_list"),
        reverse("crisisline:handover"),
        reverse("reports:list"),
        reverse("crisisline:bank_holidays"),
        reverse("crisisline:closure_days"),
    ]
    if plan is not None:
        urls.append(reverse("riskplans:plan_detail", args=[pk, plan.pk]))
    problems = check(page, sign_in, personas["service_manager"], urls)
    assert not problems, "\n".join(problems)


def test_keyworkers_and_crisis_workers_pages(page, sign_in, service, personas, participant):
    made = world(service, personas, participant)
    urls = [
        reverse("core:home"),
        reverse("keywork:my_day"),
        reverse("participants:my_caseload"),
    ]
    problems = check(page, sign_in, personas["keyworker"], urls)
    assert not problems, "\n".join(problems)
    page.context.clear_cookies()
    urls = [
        reverse("crisisline:search") + "?q=Okoro",
        reverse("crisisline:call_add"),
        reverse("crisisline:call_detail", args=[made["call"].pk]),
    ]
    problems = check(page, sign_in, personas["crisis_worker"], urls)
    assert not problems, "\n".join(problems)


def test_commissioners_and_administrators_pages(page, sign_in, service, personas):
    problems = check(page, sign_in, personas["commissioner"], [reverse("core:home")])
    assert not problems, "\n".join(problems)
    page.context.clear_cookies()
    for n in range(3):
        staff_member(
            Role.HEALTH_KEYWORKER,
            service,
            full_name=f"Alexandrina Featherstonehaugh-Worthington {n}",
            email=f"alexandrina.featherstonehaugh-worthington{n}@merseycare.example.nhs.uk",
        )
    urls = [
        reverse("core:home"),
        reverse("accounts:staff_list"),
        reverse("accounts:staff_detail", args=[personas["keyworker"].pk]),
    ]
    problems = check(page, sign_in, personas["administrator"], urls)
    assert not problems, "\n".join(problems)


def test_without_javascript_the_search_hint_does_not_promise_results_as_you_type(
    browser, live_server, personas
):
    from tests.factories.accounts import PASSWORD

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/accounts/sign-in/")
        page.get_by_label("Email address").fill(personas["crisis_worker"].email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(reverse("crisisline:search"))
        hint = page.locator("#crisis-search-hint")
        assert hint.inner_text().strip() == "Press Search to see who matches"
    finally:
        context.close()
