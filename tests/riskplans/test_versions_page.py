"""The plan's versions as staff see them: one row a version, the two latest ready to compare,
a clear error for a comparison that cannot be made, changes marked word by word, and a new
version started only once they have confirmed it (issue 27)."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from riskplans import services
from riskplans.models import PlanStatus, RiskAssessment, RiskManagementPlan
from tests.factories import days_ago
from tests.world import from_world

pytestmark = pytest.mark.django_db

service, personas, participant = from_world("service", "personas", "participant")

ACTION = {"pillar": "supervision", "action": "Weekly meeting", "owner": "OM", "due": "Weekly"}
TODAY = f"{timezone.localdate():%-d %B %Y}"


def written(participant, author, contingency: str) -> RiskManagementPlan:
    """A version started, written and saved twice (each a save of its own), then submitted."""
    plan = services.start_plan(participant=participant, actor=author)
    for wording in ("First go", contingency):
        plan = services.save_plan(
            plan=plan,
            actor=author,
            expected_version=plan.lock_version,
            changes={"actions": [ACTION], "contingency_plan": wording},
        )
    return services.submit_plan(plan=plan, actor=author)


def approved(participant, personas, contingency: str) -> RiskManagementPlan:
    plan = written(participant, personas["keyworker"], contingency)
    return services.approve_plan(plan=plan, actor=personas["offender_manager"])


def latest_save(plan) -> int:
    return plan.history.order_by("-history_date", "-history_id").first().history_id


def history_url(participant, kind: str = "plan") -> str:
    return reverse("riskplans:history", args=[participant.pk, kind])


def start_url(participant) -> str:
    return reverse("riskplans:plan_start", args=[participant.pk])


def text(fragment: str) -> str:
    """What a sighted reader sees: tags and visually hidden words left out, spaces squeezed."""
    fragment = re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", fragment)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def version_rows(body: str) -> list[str]:
    return [
        text(row)
        for row in re.findall(r'<tr [^>]*data-testid="version-row">(.*?)</tr>', body, re.S)
    ]


def checked(body: str, group: str) -> list[str]:
    return re.findall(rf'<input [^>]*name="{group}" [^>]*value="(\d+)" checked', body)


def comparison_cells(body: str, label: str) -> tuple[str, str]:
    """The two cells of one field's row of the comparison, as HTML."""
    row = re.search(rf"<th [^>]*>{re.escape(label)}.*?</th>(.*?)</tr>", body, re.S)
    assert row, f"no comparison row {label!r}"
    cells = re.findall(r"<td [^>]*>(.*?)</td>", row.group(1), re.S)
    return cells[0], cells[1]


# --- The list of versions -----------------------------------------------------------------


def test_each_version_is_one_row_in_words_however_often_it_was_saved(
    client_for, personas, participant
):
    approved(participant, personas, "Ring the duty manager")
    approved(participant, personas, "Ring the on-call manager")
    written(participant, personas["keyworker"], "Ring the police")
    saves = RiskManagementPlan.history.filter(participant_id=participant.pk).count()
    assert saves > 10  # each version saved again and again

    body = client_for(personas["colleague"]).get(history_url(participant)).content.decode()

    assert "3 versions, newest first" in body
    assert version_rows(body) == [
        f"Version 3 Submitted for approval on {TODAY} by Aisha Rahman What changed",
        f"Version 2 Approved on {TODAY} by Sarah Okafor: the plan in force What changed",
        f"Version 1 Approved on {TODAY} by Sarah Okafor; replaced on {TODAY}",
    ]
    assert "is Draft" not in body and "is draft" not in body


def test_a_draft_says_who_saved_it_last(client_for, personas, participant):
    plan = services.start_plan(participant=participant, actor=personas["keyworker"])
    services.save_plan(
        plan=plan,
        actor=personas["psychologist"],
        expected_version=plan.lock_version,
        changes={"contingency_plan": "Ring the duty manager"},
    )
    body = client_for(personas["colleague"]).get(history_url(participant)).content.decode()
    assert version_rows(body) == [f"Version 1 Draft, last saved on {TODAY} by Helen Marsh"]
    assert "Compare the two versions" not in body  # nothing to compare it with


def test_the_two_latest_versions_are_chosen_when_the_page_opens(client_for, personas, participant):
    first = approved(participant, personas, "Ring the duty manager")
    second = approved(participant, personas, "Ring the on-call manager")
    third = written(participant, personas["keyworker"], "Ring the police")
    body = client_for(personas["colleague"]).get(history_url(participant)).content.decode()
    assert checked(body, "a") == [str(latest_save(second))]
    assert checked(body, "b") == [str(latest_save(third))]
    assert str(latest_save(first)) not in checked(body, "a") + checked(body, "b")
    assert "There is a problem" not in body
    assert 'data-testid="comparison"' not in body  # chosen, not yet compared


# --- Comparing ----------------------------------------------------------------------------


@pytest.mark.parametrize("chosen", ["none", "one", "the same twice"])
def test_a_comparison_without_two_different_versions_says_so(
    client_for, personas, participant, chosen
):
    approved(participant, personas, "Ring the duty manager")
    second = approved(participant, personas, "Ring the on-call manager")
    one = str(latest_save(second))
    query = {
        "none": {"compare": "1"},
        "one": {"compare": "1", "a": one},
        "the same twice": {"compare": "1", "a": one, "b": one},
    }[chosen]

    response = client_for(personas["colleague"]).get(history_url(participant), query)

    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r"<title>\s*Error:", body)
    assert "There is a problem" in body
    link = re.search(r'<a href="#([ab]-\d+)">Choose two different versions to compare</a>', body)
    assert link, "the error summary links to the choice"
    assert f'id="{link.group(1)}"' in body  # to a radio on the page
    assert 'class="govuk-error-message"' in body
    assert 'data-testid="comparison"' not in body
    if chosen != "none":  # what they chose is kept
        assert checked(body, "a") == [one]


def test_an_edited_paragraph_is_compared_word_by_word_with_what_he_wrote_escaped(
    client_for, personas, participant
):
    old = approved(
        participant, personas, 'If he says <b>"I\'m done"</b>, ring the duty manager & his OM.'
    )
    new = approved(
        participant,
        personas,
        'If he says <b>"I\'m done"</b>, ring the police & his OM.<script>alert(1)</script>',
    )
    response = client_for(personas["colleague"]).get(
        history_url(participant), {"a": latest_save(old), "b": latest_save(new)}
    )
    body = response.content.decode()
    before, after = comparison_cells(body, "Contingency plan")

    # Only the words that changed are marked; what he wrote is text, never markup.
    assert before.startswith("If he says &lt;b&gt;&quot;I&#x27;m done&quot;&lt;/b&gt;, ring the ")
    assert after.startswith("If he says &lt;b&gt;&quot;I&#x27;m done&quot;&lt;/b&gt;, ring the ")
    assert re.findall(r"<del [^>]*>(.*?)</del>", before) == [
        '<span class="govuk-visually-hidden">removed: </span>duty manager'
        '<span class="govuk-visually-hidden"> (end of removed text)</span>'
    ]
    inserted = re.findall(r"<ins [^>]*>(.*?)</ins>", after)
    assert [text(part) for part in inserted] == ["police", "<script>alert(1)</script>"]
    assert "added: " in inserted[0]
    assert "&amp; his OM" in after
    assert "<script>alert" not in body and '<b>"' not in body
    # The fields that did not change are shown plainly, those that did are tagged.
    assert re.search(r"\b\d fields changed\b", text(body))
    assert "<del" not in comparison_cells(body, "Expected days a week")[0]


def test_the_formulation_and_assessment_histories_list_and_compare_too(
    client_for, personas, participant
):
    client = client_for(personas["colleague"])
    formulation = services.start_formulation(
        participant=participant, actor=personas["psychologist"]
    )
    services.make_formulation_current(formulation=formulation, actor=personas["psychologist"])
    body = client.get(history_url(participant, "formulation")).content.decode()
    assert version_rows(body) == [
        f"Version 1 Agreed on {TODAY} by Helen Marsh: the current formulation"
    ]

    for days, factors in ((40, "Alcohol and his brother"), (10, "Alcohol and cocaine")):
        services.record_assessment(
            participant=participant,
            actor=personas["offender_manager"],
            assessment=RiskAssessment(
                assessed_on=days_ago(days), rosh_public="high", rosh_known_adult="high",
                rosh_children="low", rosh_staff="medium", rosh_prisoners="low",
                risk_to_self="medium", reoffending="high", risk_factors=factors,
                protective_factors="His daughter", warning_signs="Missing sessions",
            ),
        )  # fmt: skip
    page = client.get(history_url(participant, "assessment"))
    rows = version_rows(page.content.decode())
    assert rows[0].startswith(f"{days_ago(10):%-d %B %Y} Assessed on {days_ago(10):%-d %B %Y}")
    assert rows[0].endswith("by Sarah Okafor What changed")
    assert len(rows) == 2
    chosen = page.context["chosen"]
    compared = client.get(history_url(participant, "assessment"), chosen).content.decode()
    before, after = comparison_cells(compared, "Risk factors")
    assert text(before) == "Alcohol and his brother" and "<del" in before
    assert re.findall(r"<ins [^>]*>.*?</span>(.*?)<span", after) == ["cocaine"]


# --- Starting a new version ---------------------------------------------------------------


def test_the_confirmation_page_says_what_will_happen_and_starts_nothing(
    client_for, personas, participant
):
    in_force = approved(participant, personas, "Ring the duty manager")
    saves = RiskManagementPlan.history.count()

    response = client_for(personas["keyworker"]).get(start_url(participant))

    assert response.status_code == 200
    body = response.content.decode()
    seen = text(body)
    assert "Start version 2 of his plan" in seen
    assert (
        f"A new draft, version 2, starts as a copy of version 1 (approved on {TODAY} by "
        "Sarah Okafor)" in seen
    )
    assert "Version 1 stays in force until the new one is approved" in seen
    form = re.search(
        rf'<form method="post" action="{start_url(participant)}".*?</form>', body, re.S
    )
    assert form, "the button posts to start it"
    assert "Start version 2</button>" in form.group(0)
    cancel = reverse("riskplans:overview", args=[participant.pk])
    assert f'href="{cancel}">Cancel</a>' in body
    assert list(participant.risk_plans.values_list("number", flat=True)) == [in_force.number]
    assert RiskManagementPlan.history.count() == saves


def test_the_overview_and_the_approved_plan_ask_first(client_for, personas, participant):
    plan = approved(participant, personas, "Ring the duty manager")
    client = client_for(personas["keyworker"])
    for page in (
        reverse("riskplans:overview", args=[participant.pk]),
        reverse("riskplans:plan_detail", args=[participant.pk, plan.pk]),
    ):
        body = client.get(page).content.decode()
        assert f'href="{start_url(participant)}">Start a new version</a>' in body, page
        assert f'action="{start_url(participant)}"' not in body, page
    assert participant.risk_plans.count() == 1


def test_starting_it_makes_a_draft_copied_from_the_version_in_force(
    client_for, personas, participant
):
    in_force = approved(participant, personas, "Ring the duty manager")

    response = client_for(personas["keyworker"]).post(start_url(participant), follow=True)

    draft = participant.risk_plans.get(number=2)
    assert response.redirect_chain[0][0] == reverse(
        "riskplans:plan_edit", args=[participant.pk, draft.pk]
    )
    assert "Version 2 started as a draft" in response.content.decode()
    assert draft.status == PlanStatus.DRAFT
    assert draft.author == personas["keyworker"]
    assert draft.contingency_plan == "Ring the duty manager"
    assert draft.actions == in_force.actions
    in_force.refresh_from_db()
    assert in_force.status == PlanStatus.APPROVED  # in force until the new one is approved


def test_the_first_plan_starts_empty(client_for, personas, participant):
    client = client_for(personas["keyworker"])
    seen = text(client.get(start_url(participant)).content.decode())
    assert "A new draft, version 1, starts empty" in seen
    assert "stays in force" not in seen
    client.post(start_url(participant))
    assert participant.risk_plans.get().contingency_plan == ""


@pytest.mark.parametrize("method", ["get", "post"])
def test_with_a_draft_already_open_none_is_started_and_the_page_links_to_it(
    client_for, personas, participant, method
):
    approved(participant, personas, "Ring the duty manager")
    open_one = services.start_plan(participant=participant, actor=personas["psychologist"])

    response = getattr(client_for(personas["keyworker"]), method)(start_url(participant))

    assert response.status_code == 200
    body = response.content.decode()
    seen = text(body)
    assert "Version 2 is already a draft" in seen
    assert "Helen Marsh started version 2" in seen
    detail = reverse("riskplans:plan_detail", args=[participant.pk, open_one.pk])
    assert f'href="{detail}">Open version 2</a>' in body
    assert "<button" not in body.split("<main", 1)[-1].split("</main>")[0]
    assert participant.risk_plans.count() == 2
