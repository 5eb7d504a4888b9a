"""Correcting a recorded outcome (issue 20, item 3), told as the team would tell it.

Aisha, his keyworker, recorded Jamal's Thursday group as an unacceptable absence by mistake:
he had rung in from hospital. She may put it right the same day; after that only his offender
manager (Sarah) or the service manager (Joanne) may, at any time, and always with a reason.
A correction is kept (what it was, what it is, why, who, when), the attendance's history shows
before and after, his timeline says so, and every figure and prompt follows it at once.

Figures worked by hand (default policy: a warning at 1 unacceptable absence, recall review at
2, over 12 months). Four enforceable group sessions after his release, 30, 23, 16 and 9 days
ago: the first an unacceptable absence, the other three attended.

- Before: enforceable sessions complied with 3 of 4 (75%); 1 unacceptable absence: "consider
  a warning".
- The first corrected to an acceptable absence (medical): 4 of 4 (100%); no unacceptable
  absence, so no prompt.
- With Sarah's first warning recorded after it, the third corrected from attended to
  unacceptable: 2 of 4 (50%); 2 unacceptable absences, the latest after her decision:
  "review for recall".
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from participants.models import StageChange
from reports import services as report_services
from reports.models import ReportStatus
from resettle.core.validators import SHORT_TEXT
from sessions import compliance, selectors, services
from sessions.models import (
    AbsenceReason,
    Attendance,
    EnforcementDecision,
    Outcome,
    OutcomeCorrection,
)
from tests.factories import days_ago
from tests.factories.reports import at, attendance, move
from tests.fuzzing import changed_tables, snapshot
from tests.reports.conftest import read_pdf, report_files_dir  # noqa: F401 (fixtures)
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, personas, participant = from_world("service", "personas", "participant")

GROUP = "Thinking skills group"
REASON = "He rang at 9:40 from the Royal Liverpool: he was kept in overnight"


@pytest.fixture
def jamal(participant, personas):
    """Jamal, released 40 days ago, and his four weekly groups (see the module)."""
    move(participant, personas["offender_manager"], StageChange.Kind.RELEASED, days_ago(40))
    return participant


@pytest.fixture
def groups(jamal, personas, service):
    """His four groups, oldest first: Aisha recorded them all today."""
    plan = (
        (30, Outcome.UNACCEPTABLE_ABSENCE),
        (23, Outcome.ATTENDED),
        (16, Outcome.ATTENDED),
        (9, Outcome.ATTENDED),
    )
    keyworker = personas["keyworker"]
    return [
        attendance(
            service=service,
            actor=keyworker,
            participant=jamal,
            starts_at=at(days_ago(ago)),
            outcome=outcome,
            title=GROUP,
        )
        for ago, outcome in plan
    ]


def correct_url(row: Attendance) -> str:
    return reverse("keywork:correct_outcome", args=[row.session_id, row.pk])


def session_url(row: Attendance) -> str:
    return reverse("keywork:session_detail", args=[row.session_id])


def tab_url(man) -> str:
    return reverse("keywork:participant_sessions", args=[man.pk])


def to_acceptable(reason: str = REASON) -> dict:
    return {
        "outcome": Outcome.ACCEPTABLE_ABSENCE,
        "absence_reason": AbsenceReason.MEDICAL,
        "reason": reason,
    }


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def home_prompts(client) -> str:
    """The enforcement prompts on the offender manager's home page ("" when there are none)."""
    body = text_of(client.get(reverse("core:home")))
    if 'data-testid="enforcement-prompts"' not in body:
        return ""
    return body.split('data-testid="enforcement-prompts"', 1)[1].split("</ul>", 1)[0]


# --- Figures and prompts ------------------------------------------------------------------


def test_correcting_the_absence_to_acceptable_clears_the_prompt_and_the_figure(
    client_for, personas, jamal, groups
):
    aisha = client_for(personas["keyworker"])
    before = text_of(aisha.get(tab_url(jamal)))
    assert "enforceable sessions complied with</strong> over 12 weeks (3 of 4)" in before
    assert "Enforcement decision needed" in before
    assert "1 unacceptable absence in the last 12 months: consider a warning" in before
    sarah = client_for(personas["offender_manager"])
    assert "Jamal Okoro</a>: 1 unacceptable absence in the last 12 months" in home_prompts(sarah)

    aisha = client_for(personas["keyworker"])
    response = aisha.post(correct_url(groups[0]), to_acceptable())

    assert response.status_code == 302
    assert response.url == session_url(groups[0])
    after = text_of(aisha.get(tab_url(jamal)))
    assert "enforceable sessions complied with</strong> over 12 weeks (4 of 4)" in after
    assert "100%" in after
    assert "Enforcement decision needed" not in after
    assert compliance.enforcement_prompt(jamal) is None
    assert selectors.enforcement_prompts_for(personas["offender_manager"]) == []
    assert home_prompts(client_for(personas["offender_manager"])) == ""
    assert (
        '<span class="app-stat">0</span><span class="govuk-body">unacceptable absences in 12'
        in after
    )


def test_correcting_an_attendance_to_unacceptable_raises_the_prompt_again(
    client_for, personas, jamal, groups
):
    sarah = personas["offender_manager"]
    services.record_enforcement(
        participant=jamal,
        actor=sarah,
        decided_on=days_ago(29),
        decision=EnforcementDecision.Decision.FIRST_WARNING,
    )
    assert compliance.enforcement_prompt(jamal) is None  # decided after his one absence

    response = client_for(sarah).post(
        correct_url(groups[2]),
        {"outcome": Outcome.UNACCEPTABLE_ABSENCE, "reason": "Signed in, then left after 5 minutes"},
    )

    assert response.status_code == 302
    page = text_of(client_for(sarah).get(tab_url(jamal)))
    assert "enforceable sessions complied with</strong> over 12 weeks (2 of 4)" in page
    assert "50%" in page
    assert (
        "2 unacceptable absences in the last 12 months: review for recall and record your "
        "decision" in page
    )
    prompt = compliance.enforcement_prompt(jamal)
    assert (prompt.level, prompt.absences) == ("recall_review", 2)
    (prompted,) = selectors.enforcement_prompts_for(sarah)
    assert prompted[0] == jamal
    assert "Jamal Okoro</a>: 2 unacceptable absences in the last 12 months: review for recall" in (
        home_prompts(client_for(sarah))
    )


# --- What is kept -------------------------------------------------------------------------


def test_the_correction_is_kept_with_before_and_after_in_the_history_and_the_timeline(
    client_for, personas, jamal, groups
):
    aisha = personas["keyworker"]
    row = groups[0]
    client_for(aisha).post(correct_url(row), to_acceptable())

    (correction,) = OutcomeCorrection.objects.filter(attendance=row)
    assert (correction.previous_outcome, correction.outcome) == (
        Outcome.UNACCEPTABLE_ABSENCE,
        Outcome.ACCEPTABLE_ABSENCE,
    )
    assert correction.absence_reason == AbsenceReason.MEDICAL
    assert (correction.reason, correction.corrected_by) == (REASON, aisha)
    assert correction.previous_recorded_by == aisha
    row.refresh_from_db()
    assert (row.outcome, row.absence_reason) == (Outcome.ACCEPTABLE_ABSENCE, "medical")
    assert row.recorded_by == aisha  # who first recorded it stays

    newest, previous = row.history.order_by("-history_date", "-history_id")[:2]
    assert (previous.outcome, newest.outcome) == (
        Outcome.UNACCEPTABLE_ABSENCE,
        Outcome.ACCEPTABLE_ABSENCE,
    )
    changed = {c.field: (c.old, c.new) for c in newest.diff_against(previous).changes}
    assert changed["outcome"] == (Outcome.UNACCEPTABLE_ABSENCE, Outcome.ACCEPTABLE_ABSENCE)
    assert changed["absence_reason"] == ("", AbsenceReason.MEDICAL)
    assert newest.history_user == aisha
    assert newest.history_change_reason.startswith("Outcome corrected: He rang")

    timeline = text_of(
        client_for(personas["offender_manager"]).get(
            reverse("participants:timeline", args=[jamal.pk])
        )
    )
    assert (
        "Outcome corrected: was unacceptable absence, now acceptable absence (medical)" in timeline
    )
    assert REASON in timeline


def test_a_correction_is_never_changed_afterwards(personas, jamal, groups):
    correction = services.correct_outcome(
        attendance=groups[0], actor=personas["keyworker"], **to_acceptable()
    )
    correction.reason = "Something else"
    with pytest.raises(ValueError, match="kept as made"):
        correction.save()
    assert OutcomeCorrection.objects.get().reason == REASON


def test_a_second_correction_is_a_second_row(client_for, personas, jamal, groups):
    sarah = client_for(personas["offender_manager"])
    sarah.post(correct_url(groups[0]), to_acceptable())
    sarah.post(
        correct_url(groups[0]),
        {"outcome": Outcome.UNACCEPTABLE_ABSENCE, "reason": "The hospital has no record of him"},
    )
    assert [(c.previous_outcome, c.outcome) for c in groups[0].corrections.all()] == [
        (Outcome.UNACCEPTABLE_ABSENCE, Outcome.ACCEPTABLE_ABSENCE),
        (Outcome.ACCEPTABLE_ABSENCE, Outcome.UNACCEPTABLE_ABSENCE),
    ]
    page = text_of(sarah.get(session_url(groups[0])))
    assert page.count("Corrected</strong>") == 2
    assert "was acceptable absence (medical): The hospital has no record of him" in page


# --- Who may correct ----------------------------------------------------------------------

ALLOWED_TODAY = {"keyworker", "offender_manager", "service_manager"}


@pytest.mark.parametrize(
    "persona",
    [
        "keyworker",
        "offender_manager",
        "service_manager",
        "psychologist",
        "colleague",
        "crisis_worker",
        "outsider",
        "outsider_manager",
    ],
)
def test_who_may_correct_on_the_day_it_was_recorded(client_for, personas, jamal, groups, persona):
    row = groups[0]
    browser = client_for(personas[persona])
    before = snapshot()
    response = browser.post(correct_url(row), to_acceptable())
    row.refresh_from_db()
    if persona in ALLOWED_TODAY:
        assert response.status_code == 302
        assert row.outcome == Outcome.ACCEPTABLE_ABSENCE
        assert row.corrections.get().corrected_by == personas[persona]
        return
    expected = 404 if persona.startswith("outsider") else 403
    assert response.status_code == expected
    assert browser.get(correct_url(row)).status_code == expected
    assert row.outcome == Outcome.UNACCEPTABLE_ABSENCE
    changed = changed_tables(before, snapshot())
    assert set(changed) <= {"core.AccessLog"}, changed


def recorded_yesterday(row: Attendance) -> None:
    Attendance.objects.filter(pk=row.pk).update(
        recorded_at=timezone.now() - datetime.timedelta(days=1)
    )


def test_whoever_recorded_it_may_not_correct_it_the_next_day(client_for, personas, jamal, groups):
    row = groups[0]
    recorded_yesterday(row)
    aisha = client_for(personas["keyworker"])
    assert aisha.get(correct_url(row)).status_code == 403
    assert aisha.post(correct_url(row), to_acceptable()).status_code == 403
    # Her session page offers her no correction any more.
    assert "Correct this outcome" not in aisha.get(session_url(row)).content.decode()
    row.refresh_from_db()
    assert row.outcome == Outcome.UNACCEPTABLE_ABSENCE
    with pytest.raises(ValidationError, match="Only whoever recorded this outcome"):
        services.correct_outcome(attendance=row, actor=personas["keyworker"], **to_acceptable())
    assert not OutcomeCorrection.objects.exists()


@pytest.mark.parametrize("persona", ["offender_manager", "service_manager"])
def test_his_offender_manager_and_the_service_manager_may_correct_it_any_day(
    client_for, personas, jamal, groups, persona
):
    row = groups[0]
    recorded_yesterday(row)
    response = client_for(personas[persona]).post(correct_url(row), to_acceptable())
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.outcome == Outcome.ACCEPTABLE_ABSENCE


def test_an_offender_manager_not_in_his_team_may_not(client_for, personas, jamal, groups, service):
    from resettle.accounts.roles import Role
    from tests.factories import staff_member

    another_om = staff_member(Role.OFFENDER_MANAGER, service, full_name="Dave Pritchard")
    assert client_for(another_om).post(correct_url(groups[0]), to_acceptable()).status_code == 403
    assert not OutcomeCorrection.objects.exists()


def test_someone_excluded_from_him_is_refused_and_nothing_changes(
    client_for, personas, jamal, groups
):
    """Dana, a second service manager (who could otherwise correct it at any time)."""
    from resettle.accounts.roles import Role
    from tests.factories import staff_member

    dana = staff_member(Role.SERVICE_MANAGER, jamal.service, full_name="Dana Whitley")
    participant_services.exclude_staff(
        participant=jamal,
        staff=dana,
        reason="Lives on his street",
        actor=personas["service_manager"],
    )
    browser = client_for(dana)
    before = snapshot()
    url = correct_url(groups[0])
    assert browser.get(url).status_code in (403, 404)
    response = browser.post(url, to_acceptable())
    assert response.status_code in (403, 404)
    assert "Okoro" not in response.content.decode()
    assert "Correct this outcome" not in browser.get(session_url(groups[0])).content.decode()
    with pytest.raises(PermissionDenied):
        services.correct_outcome(attendance=groups[0], actor=dana, **to_acceptable())
    changed = changed_tables(before, snapshot())
    assert set(changed) <= {"core.AccessLog"}, changed
    groups[0].refresh_from_db()
    assert groups[0].outcome == Outcome.UNACCEPTABLE_ABSENCE


# --- Bad input ----------------------------------------------------------------------------

BAD = [
    pytest.param(
        {**to_acceptable(), "reason": "   "}, "Give the reason for the correction", id="no reason"
    ),
    pytest.param(
        {**to_acceptable(), "reason": "x" * (SHORT_TEXT + 1)},
        f"must be {SHORT_TEXT:,} characters or fewer",
        id="reason too long",
    ),
    pytest.param(
        {"outcome": Outcome.ACCEPTABLE_ABSENCE, "reason": REASON},
        "Give the reason the absence is acceptable",
        id="no absence reason",
    ),
    pytest.param(
        {"outcome": Outcome.RESCHEDULED, "reason": REASON},
        "Say who asked for the session to be moved",
        id="rescheduled by nobody",
    ),
    pytest.param({"reason": REASON}, "Choose what the outcome should be", id="no outcome"),
    pytest.param(
        {"outcome": "recalled", "reason": REASON}, "Select a valid choice", id="made-up outcome"
    ),
    pytest.param(
        {"outcome": Outcome.UNACCEPTABLE_ABSENCE, "reason": REASON},
        "That is the outcome already recorded",
        id="the same outcome",
    ),
    pytest.param(
        {**to_acceptable(), "reason": "<script>alert(1)</script>"},
        "must not contain HTML tags",
        id="markup",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(
    client_for, personas, jamal, groups, data, message
):
    browser = client_for(personas["keyworker"])
    before = snapshot()
    response = browser.post(correct_url(groups[0]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert changed_tables(before, snapshot()) == {}
    groups[0].refresh_from_db()
    assert groups[0].outcome == Outcome.UNACCEPTABLE_ABSENCE


def test_an_outcome_not_yet_recorded_has_nothing_to_correct(client_for, personas, jamal, service):
    from tests.sessions.test_access import group_session

    session = group_session(service, personas["keyworker"], [jamal])
    row = session.attendances.get()
    response = client_for(personas["service_manager"]).get(correct_url(row))
    assert response.status_code == 302
    assert response.url == session_url(row)
    with pytest.raises(ValidationError, match="No outcome is recorded yet"):
        services.correct_outcome(
            attendance=row, actor=personas["service_manager"], **to_acceptable()
        )


# --- What people see ----------------------------------------------------------------------


def test_the_form_shows_the_current_outcome_and_the_choices(client_for, personas, jamal, groups):
    page = client_for(personas["keyworker"]).get(correct_url(groups[0])).content.decode()
    assert "Correct the outcome for Jamal Okoro" in page
    assert "Outcome now" in page and "Unacceptable absence" in page
    assert 'data-aria-controls="conditional-absence-reason"' in page
    assert 'data-aria-controls="conditional-rescheduled-by"' in page
    assert 'name="absence_reason" type="radio" value="medical"' in page
    assert "Why is the outcome being corrected?" in page


def test_the_session_page_offers_the_correction_only_to_those_who_may(
    client_for, personas, jamal, groups
):
    url = session_url(groups[0])
    for persona in ("keyworker", "offender_manager", "service_manager"):
        page = client_for(personas[persona]).get(url).content.decode()
        assert f'href="{correct_url(groups[0])}"' in page, persona
        assert "Correct this outcome" in page
    for persona in ("psychologist", "colleague"):
        page = client_for(personas[persona]).get(url).content.decode()
        assert "Correct this outcome" not in page, persona


def test_the_session_page_and_his_sessions_tab_say_it_was_corrected(
    client_for, personas, jamal, groups
):
    sarah = client_for(personas["offender_manager"])
    recorded_yesterday(groups[0])
    sarah.post(correct_url(groups[0]), to_acceptable())
    today = timezone.localdate()
    on = f"{today.day} {today:%b %Y}"

    session_page = text_of(sarah.get(session_url(groups[0])))
    assert "Acceptable absence: medical" in session_page
    assert (
        f"Corrected</strong> on {on}, " in session_page
        and f"by Sarah Okafor, was unacceptable absence: {REASON}" in session_page
    )
    tab = text_of(sarah.get(tab_url(jamal)))
    assert (
        f'Corrected</strong> <span class="govuk-body-s">on {on} by Sarah Okafor, was '
        "unacceptable absence</span>" in tab
    )


def test_the_compliance_report_says_when_by_whom_and_what_it_was(
    personas,
    jamal,
    groups,
    read_pdf,  # noqa: F811 (the fixture imported above)
):
    sarah = personas["offender_manager"]
    services.correct_outcome(attendance=groups[0], actor=sarah, **to_acceptable())
    services.correct_outcome(
        attendance=groups[2],
        actor=sarah,
        outcome=Outcome.UNACCEPTABLE_ABSENCE,
        reason="Signed in, then left after 5 minutes",
    )
    report, _sent = report_services.request_compliance_report(
        actor=sarah, participant=jamal, start=days_ago(35), end=timezone.localdate()
    )
    assert report.status == ReportStatus.SUCCEEDED, report.error_message
    text = read_pdf(report).text
    today = timezone.localdate()
    on = f"{today.day} {today:%b %Y}"

    first, third = days_ago(30), days_ago(16)
    assert (
        f"{first.day} {first:%b %Y} 10:00 {GROUP} Acceptable absence (corrected on {on} by "
        f"Sarah Okafor, was unacceptable absence) Medical – Correction: {REASON}"
    ) in text
    assert (
        f"{third.day} {third:%b %Y} 10:00 {GROUP} Unacceptable absence (corrected on {on} by "
        "Sarah Okafor, was attended and complied) – – Correction: Signed in, then left"
    ) in text
    # The count follows the corrections: the first is acceptable now, the third is not.
    assert "Unacceptable absences in the period: 1." in text
    assert "Enforceable sessions complied with: 75% (3 of 4)." in text


def test_a_row_corrected_to_attended_stays_in_the_absences_table(personas, jamal, groups, read_pdf):  # noqa: F811
    sarah = personas["offender_manager"]
    services.correct_outcome(
        attendance=groups[0],
        actor=sarah,
        outcome=Outcome.ATTENDED,
        reason="The register was filled in for the wrong man",
    )
    report, _sent = report_services.request_compliance_report(
        actor=sarah, participant=jamal, start=days_ago(35), end=timezone.localdate()
    )
    text = read_pdf(report).text
    today = timezone.localdate()
    assert (
        f"Attended and complied (corrected on {today.day} {today:%b %Y} by Sarah Okafor, was "
        "unacceptable absence)"
    ) in text
    assert "Unacceptable absences in the period: 0." in text
