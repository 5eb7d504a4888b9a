"""The licence-compliance rules: what counts, the rolling window, the prompt."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from participants.models import Stage, StageChange
from sessions import compliance, services
from sessions.models import Attendance, CompliancePolicy, EnforcementDecision, Outcome, Session
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, other_service, personas, participant = from_world(
    "service", "other_service", "personas", "participant"
)


@pytest.fixture
def jamal(participant, personas):
    participant_services.change_stage(
        participant=participant, actor=personas["offender_manager"],
        kind=StageChange.Kind.RELEASED, effective_on=timezone.localdate() - datetime.timedelta(days=150),
    )  # fmt: skip
    participant.refresh_from_db()
    return participant


def session_on(service, keyworker, participant, day, *, enforceable=True, hour=10):
    starts = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))
    return services.create_session(
        service=service, actor=keyworker, session_type="group", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind="centre",
        enforceable=enforceable, participants=[participant],
    )  # fmt: skip


def outcome(service, keyworker, participant, day, value, *, enforceable=True, reason=""):
    session = session_on(service, keyworker, participant, day, enforceable=enforceable)
    return services.record_outcome(
        attendance=session.attendances.get(), outcome=value, actor=keyworker,
        absence_reason=reason, rescheduled_by="service" if value == Outcome.RESCHEDULED else "",
    )  # fmt: skip


def days_ago(n):
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def record(service, personas, jamal):
    def make(days, value, **kwargs):
        return outcome(service, personas["keyworker"], jamal, days_ago(days), value, **kwargs)

    return make


def test_compliant_and_non_compliant_outcomes_and_those_left_out(record, jamal):
    record(10, Outcome.ATTENDED)
    record(9, Outcome.LATE)
    record(8, Outcome.ACCEPTABLE_ABSENCE, reason="medical")
    record(7, Outcome.FAILED_TO_COMPLY)
    record(6, Outcome.SENT_HOME_BEHAVIOUR)
    record(5, Outcome.UNACCEPTABLE_ABSENCE)
    record(4, Outcome.CANCELLED_BY_SERVICE)
    record(3, Outcome.RESCHEDULED)
    record(2, Outcome.SENT_HOME_SERVICE)
    rate = compliance.compliance_rate(jamal, days_ago(30), days_ago(0))
    assert (rate.compliant, rate.counted) == (3, 6)
    assert rate.percent == 50


def test_non_enforceable_sessions_are_excluded(record, jamal):
    record(5, Outcome.ATTENDED)
    record(4, Outcome.UNACCEPTABLE_ABSENCE, enforceable=False)
    rate = compliance.compliance_rate(jamal, days_ago(30), days_ago(0))
    assert (rate.compliant, rate.counted) == (1, 1)
    assert compliance.unacceptable_absences_in_window(jamal, days_ago(0), 12) == []


def test_no_sessions_means_no_rate(jamal):
    assert compliance.compliance_rate(jamal, days_ago(30), days_ago(0)).percent is None


def test_rate_period_edges_are_inclusive_by_day(record, jamal):
    record(10, Outcome.ATTENDED)
    record(5, Outcome.UNACCEPTABLE_ABSENCE)
    assert compliance.compliance_rate(jamal, days_ago(10), days_ago(10)).counted == 1
    assert compliance.compliance_rate(jamal, days_ago(9), days_ago(6)).counted == 0
    assert compliance.compliance_rate(jamal, days_ago(5), days_ago(5)).compliant == 0


def test_rolling_window_edges(record, jamal):
    today = days_ago(0)
    twelve_months_ago = compliance._months_before(today, 12)
    inside = (today - twelve_months_ago).days - 1  # the day after, counted
    record(inside, Outcome.UNACCEPTABLE_ABSENCE)
    record(inside + 1, Outcome.UNACCEPTABLE_ABSENCE)  # exactly 12 months ago: outside
    absences = compliance.unacceptable_absences_in_window(jamal, today, 12)
    assert len(absences) == 1


def test_recall_and_re_release_do_not_reset_the_count(record, jamal, personas):
    record(60, Outcome.UNACCEPTABLE_ABSENCE)
    om = personas["offender_manager"]
    participant_services.change_stage(
        participant=jamal, actor=om, kind=StageChange.Kind.RECALLED, effective_on=days_ago(50),
        recall_type="fixed_term", reason="Curfew",
    )  # fmt: skip
    participant_services.change_stage(
        participant=jamal, actor=om, kind=StageChange.Kind.RE_RELEASED, effective_on=days_ago(22)
    )
    record(10, Outcome.UNACCEPTABLE_ABSENCE)
    jamal.refresh_from_db()
    assert jamal.stage == Stage.COMMUNITY
    assert len(compliance.unacceptable_absences_in_window(jamal, days_ago(0), 12)) == 2


def test_prompt_levels_follow_the_service_policy(record, jamal, service):
    assert compliance.enforcement_prompt(jamal) is None
    record(20, Outcome.UNACCEPTABLE_ABSENCE)
    prompt = compliance.enforcement_prompt(jamal)
    assert (prompt.level, prompt.absences) == ("warning", 1)
    record(10, Outcome.UNACCEPTABLE_ABSENCE)
    prompt = compliance.enforcement_prompt(jamal)
    assert (prompt.level, prompt.absences) == ("recall_review", 2)
    assert "review for recall" in prompt.message
    CompliancePolicy.objects.update_or_create(
        service=service, defaults={"warning_threshold": 3, "recall_review_threshold": 4}
    )
    assert compliance.enforcement_prompt(jamal) is None


def test_a_decision_after_the_latest_absence_clears_the_prompt(record, jamal, personas):
    record(10, Outcome.UNACCEPTABLE_ABSENCE)
    services.record_enforcement(
        participant=jamal, actor=personas["offender_manager"],
        decision=EnforcementDecision.Decision.FIRST_WARNING, decided_on=days_ago(5),
    )  # fmt: skip
    assert compliance.enforcement_prompt(jamal) is None
    record(2, Outcome.UNACCEPTABLE_ABSENCE)  # a new absence after the decision prompts again
    assert compliance.enforcement_prompt(jamal).absences == 2


@pytest.mark.parametrize("window_months", [1, 2, 6, 12])
def test_his_sessions_page_finds_what_the_rules_find_on_their_own(
    record, jamal, service, personas, window_months
):
    """The page reads the last 12 weeks and the policy's window in one go, and the prompt from
    his latest decisions: whether the window is shorter or longer than 12 weeks, it must find
    the same absences, rate, weeks and prompt as each rule does alone."""
    CompliancePolicy.objects.update_or_create(
        service=service,
        defaults={"window_months": window_months, "warning_threshold": 1,
                  "recall_review_threshold": 3},
    )  # fmt: skip
    for days in (300, 200, 100, 70, 40, 20, 3):
        record(days, Outcome.UNACCEPTABLE_ABSENCE)
    record(50, Outcome.ATTENDED)
    record(15, Outcome.ACCEPTABLE_ABSENCE, reason="medical")
    today = days_ago(0)
    twelve_weeks_from = today - datetime.timedelta(weeks=11)

    def page_agrees_with_the_rules():
        recent = compliance.recent_compliance(jamal, today)
        alone = compliance.unacceptable_absences_in_window(jamal, today, window_months)
        assert [a.pk for a in recent.absences] == [a.pk for a in alone]
        assert recent.prompt == compliance.enforcement_prompt(jamal, today)
        assert recent.rate == compliance.compliance_rate(jamal, twelve_weeks_from, today)
        assert recent.weeks == compliance.weekly_attendance(jamal, twelve_weeks_from, today)
        return recent

    assert page_agrees_with_the_rules().prompt is not None
    om = personas["offender_manager"]
    services.record_enforcement(
        participant=jamal, actor=om, decision=EnforcementDecision.Decision.FIRST_WARNING,
        decided_on=days_ago(4), reason="Before the latest absence",
    )  # fmt: skip
    assert page_agrees_with_the_rules().prompt is not None
    services.record_enforcement(
        participant=jamal, actor=om, decision=EnforcementDecision.Decision.FIRST_WARNING,
        decided_on=days_ago(1), reason="After it",
    )  # fmt: skip
    recent = page_agrees_with_the_rules()
    assert recent.prompt is None
    assert [d.reason for d in recent.decisions] == ["After it", "Before the latest absence"]


def test_no_further_action_needs_a_reason(jamal, personas):
    with pytest.raises(ValidationError, match="reason"):
        services.record_enforcement(
            participant=jamal, actor=personas["offender_manager"], decision="nfa",
            decided_on=days_ago(0),
        )  # fmt: skip


def test_recall_decided_here_moves_the_stage(jamal, personas):
    om = personas["offender_manager"]
    enforcement = services.record_enforcement(
        participant=jamal, actor=om, decision="recall_considered", decided_on=days_ago(0),
        reason="Contact lost",
    )  # fmt: skip
    services.record_recall_decision(
        enforcement=enforcement, actor=om, why="contact", alternatives_tried=["warning"],
        senior_manager_rationale="Whereabouts unknown for 5 days", outcome="standard",
        decided_on=days_ago(0),
    )  # fmt: skip
    jamal.refresh_from_db()
    assert jamal.stage == Stage.IN_REACH
    change = jamal.stage_changes.order_by("-recorded_at").first()
    assert (change.kind, change.recall_type) == ("recalled", "standard")


def test_no_recall_decision_leaves_the_stage(jamal, personas):
    om = personas["offender_manager"]
    enforcement = services.record_enforcement(
        participant=jamal, actor=om, decision="recall_considered", decided_on=days_ago(0)
    )
    services.record_recall_decision(
        enforcement=enforcement, actor=om, why="risk", alternatives_tried=[],
        senior_manager_rationale="Manageable in the community with more contact",
        outcome="no_recall", decided_on=days_ago(0),
    )  # fmt: skip
    jamal.refresh_from_db()
    assert jamal.stage == Stage.COMMUNITY
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_recall_decision(
            enforcement=enforcement, actor=om, why="risk", alternatives_tried=[],
            senior_manager_rationale="x", outcome="no_recall", decided_on=days_ago(0),
        )  # fmt: skip


def test_weekly_grid_counts_attended_days_against_expected(record, jamal):
    monday = days_ago(0) - datetime.timedelta(days=days_ago(0).weekday() + 7)
    start = (days_ago(0) - monday).days
    record(start, Outcome.ATTENDED)
    record(start - 1, Outcome.LATE)
    record(start - 2, Outcome.UNACCEPTABLE_ABSENCE)
    weeks = compliance.weekly_attendance(jamal, monday, monday + datetime.timedelta(days=6))
    assert weeks[0].starts == monday
    assert (weeks[0].attended_days, weeks[0].expected, len(weeks[0].absences)) == (2, 4, 1)


def approve_a_plan_expecting(man, personas, days: int) -> None:
    from riskplans import services as plan_services

    plan = plan_services.start_plan(participant=man, actor=personas["keyworker"])
    plan_services.save_plan(
        plan=plan, actor=personas["keyworker"], expected_version=plan.lock_version, submit=True,
        changes={"actions": [{"pillar": "supervision", "action": "a", "owner": "b", "due": "c"}],
                 "contingency_plan": "x", "expected_days_per_week": days},
    )  # fmt: skip
    plan_services.approve_plan(plan=plan, actor=personas["offender_manager"])


def test_expected_days_come_from_the_approved_plan(jamal, personas):
    assert compliance.expected_days_per_week(jamal) == 4
    approve_a_plan_expecting(jamal, personas, 2)
    assert compliance.expected_days_per_week(jamal) == 2


def approved_on(man, day: datetime.date) -> None:
    """Date his latest approval back, as if the OM had approved it that day."""
    from riskplans.models import RiskManagementPlan

    plan = RiskManagementPlan.objects.filter(participant=man).order_by("-number").first()
    RiskManagementPlan.objects.filter(pk=plan.pk).update(
        decided_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(15, 0)))
    )


def monday_weeks_ago(weeks: int) -> datetime.date:
    today = days_ago(0)
    return today - datetime.timedelta(days=today.weekday() + 7 * weeks)


def test_a_new_plan_version_applies_from_its_approval_never_backwards(jamal, personas):
    """v1 (3 days) approved on the Monday 6 weeks ago, v2 (2 days) on the Wednesday 3 weeks
    ago. Worked by hand: the week before v1 expects the service's 4; v1's weeks 3; the week of
    v2 has Mon and Tue at 3 (2 x 3/5) and Wed to Fri at 2 (3 x 2/5): 12/5, rounded down 2;
    the weeks after v2 expect 2."""
    approve_a_plan_expecting(jamal, personas, 3)
    approved_on(jamal, monday_weeks_ago(6))
    before = compliance.weekly_attendance(
        jamal, monday_weeks_ago(7), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [w.expected for w in before] == [4, 3, 3, 3, 3, 3, 3]

    approve_a_plan_expecting(jamal, personas, 2)
    approved_on(jamal, monday_weeks_ago(3) + datetime.timedelta(days=2))
    weeks = compliance.weekly_attendance(
        jamal, monday_weeks_ago(7), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [w.expected for w in weeks] == [4, 3, 3, 3, 2, 2, 2]
    assert weeks[4].note == "Plan changed in the week (3 a week then 2 a week)"
    # The weeks before v2 are as they were before it was approved.
    assert weeks[:4] == before[:4]
    # The day before v2's approval still expects v1's 3; its day, v2's 2.
    v2_day = monday_weeks_ago(3) + datetime.timedelta(days=2)
    assert compliance.expected_days_per_week(jamal, v2_day - datetime.timedelta(days=1)) == 3
    assert compliance.expected_days_per_week(jamal, v2_day) == 2
    assert compliance.expected_days_per_week(jamal, monday_weeks_ago(7)) == 4


def test_days_in_custody_expect_nothing_and_read_in_custody(participant):
    """A man in in-reach (in custody) throughout: every week expects 0 and reads so."""
    weeks = compliance.weekly_attendance(
        participant, monday_weeks_ago(4), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [(w.expected, w.in_custody) for w in weeks] == [(0, True)] * 4
    assert compliance.days_measure(weeks).summary == (
        "Days attended against days expected: no days expected"
    )


def test_the_weeks_of_release_and_recall_are_pro_rata(participant, personas):
    """Released on the Thursday 5 weeks ago (Thu, Fri on licence: 2 x 4/5 = 8/5, rounded down
    1), recalled on the Wednesday 2 weeks ago (Mon, Tue on licence: 8/5, 1), in custody since."""
    om = personas["offender_manager"]
    released = monday_weeks_ago(5) + datetime.timedelta(days=3)
    participant_services.change_stage(
        participant=participant, actor=om, kind=StageChange.Kind.RELEASED, effective_on=released
    )
    participant_services.change_stage(
        participant=participant, actor=om, kind=StageChange.Kind.RECALLED,
        effective_on=monday_weeks_ago(2) + datetime.timedelta(days=2), recall_type="standard",
        reason="Lost contact",
    )  # fmt: skip
    weeks = compliance.weekly_attendance(
        participant, monday_weeks_ago(6), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [w.expected for w in weeks] == [0, 1, 4, 4, 1, 0]
    assert [w.in_custody for w in weeks] == [True, False, False, False, False, True]
    assert weeks[1].note == "In custody 3 weekdays; pro rata: 2 of 5 weekdays on licence"
    assert weeks[4].note == "In custody 3 weekdays; pro rata: 2 of 5 weekdays on licence"


def test_a_man_attending_2_of_his_4_days_shows_50_percent_with_the_shortfall(record, jamal):
    for weeks_back in range(1, 5):
        monday = monday_weeks_ago(weeks_back)
        for weekday in (0, 2):
            record((days_ago(0) - monday).days - weekday, Outcome.ATTENDED)
    weeks = compliance.weekly_attendance(
        jamal, monday_weeks_ago(4), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [(w.attended_days, w.expected, w.shortfall) for w in weeks] == [(2, 4, 2)] * 4
    days = compliance.days_measure(weeks)
    assert (days.attended, days.expected, days.percent, days.shortfall) == (8, 16, 50, 8)
    assert days.summary == (
        "Days attended against days expected: 50% (8 of 16 expected days); "
        "8 days short in 4 weeks below expectation"
    )
    rate = compliance.compliance_rate(jamal, monday_weeks_ago(4), days_ago(0))
    assert rate.summary == "Enforceable sessions complied with: 100% (8 of 8)"


def test_a_full_week_never_hides_a_short_one(record, jamal):
    """5 days one week and 1 the next, against 4 and 4: 5 of 8 expected days, 3 short."""
    for weekday in range(5):
        record((days_ago(0) - monday_weeks_ago(2)).days - weekday, Outcome.ATTENDED)
    record((days_ago(0) - monday_weeks_ago(1)).days, Outcome.ATTENDED)
    weeks = compliance.weekly_attendance(
        jamal, monday_weeks_ago(2), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    days = compliance.days_measure(weeks)
    assert (days.attended, days.expected, days.shortfall, len(days.weeks_below)) == (5, 8, 3, 1)


def test_his_sessions_tab_shows_both_measures_and_each_short_week(
    record, jamal, client_for, personas, monkeypatch
):
    """Seen on a Monday (nothing of the new week is over yet): 11 weeks of 2 of 4 days."""
    monday = monday_weeks_ago(0)
    for weeks_back in range(1, 12):
        week = monday_weeks_ago(weeks_back)
        for weekday in (0, 2):
            record((days_ago(0) - week).days - weekday, Outcome.ATTENDED)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: monday)
    response = client_for(personas["offender_manager"]).get(
        reverse("keywork:participant_sessions", args=[jamal.pk])
    )
    text = " ".join(response.content.decode().split())
    assert '50%</span><span class="govuk-body"><strong>days attended against days expected' in text
    assert "(22 of 44 expected days)" in text
    assert "22 days short</strong> in 11 weeks below expectation" in text
    assert "<strong>enforceable sessions complied with</strong> over 12 weeks (22 of 22)" in text
    assert text.count(">2 days short<") == 11


def test_the_offender_managers_home_prompt_names_both_measures(
    record, jamal, client_for, personas, service
):
    """Over the last four full weeks: Monday and Wednesday attended, then a missed Friday
    group, each week: 8 of 16 expected days (8 short); 8 of 12 enforceable sessions."""
    CompliancePolicy.objects.update_or_create(
        service=service, defaults={"warning_threshold": 2, "recall_review_threshold": 6}
    )
    for weeks_back in range(1, 5):
        back = (days_ago(0) - monday_weeks_ago(weeks_back)).days
        record(back, Outcome.ATTENDED)
        record(back - 2, Outcome.ATTENDED)
        record(back - 4, Outcome.UNACCEPTABLE_ABSENCE)
    response = client_for(personas["offender_manager"]).get(reverse("core:home"))
    text = " ".join(response.content.decode().split())
    assert (
        "4 unacceptable absences in the last 12 months: consider a warning and record your "
        "decision. Last 4 weeks: days attended against days expected 50% (8 of 16), 8 short; "
        "enforceable sessions complied with: 67% (8 of 12)"
    ) in text


def test_an_attendance_has_history_from_its_creation_so_the_outcome_is_a_change(
    service, personas, jamal
):
    keyworker = personas["keyworker"]
    session = session_on(service, keyworker, jamal, days_ago(1))
    attendance = session.attendances.get()
    created = attendance.history.get()
    assert (created.history_type, created.history_user, created.outcome) == ("+", keyworker, "")
    services.record_outcome(attendance=attendance, outcome=Outcome.ATTENDED, actor=keyworker)
    recorded = attendance.history.order_by("-history_date").first()
    change = recorded.diff_against(recorded.prev_record)
    assert [(c.field, c.old, c.new) for c in change.changes if c.field == "outcome"] == [
        ("outcome", "", "attended")
    ]


def test_his_sessions_tab_reads_in_custody_for_a_man_in_in_reach(participant, client_for, personas):
    response = client_for(personas["offender_manager"]).get(
        reverse("keywork:participant_sessions", args=[participant.pk])
    )
    text = " ".join(response.content.decode().split())
    assert "(no days expected: in custody or not on licence)" in text
    assert text.count('govuk-table__cell--numeric">In custody</td>') == 12
    assert "days short" not in text


def test_his_own_week_reads_in_custody_on_a_monday_before_any_weekday_is_over(participant):
    """Just after midnight on a Monday no weekday of the new week is over: the week reads as
    he stands on its first day (in custody), not as 0 days expected."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    history = compliance.expectation_history(participant)
    expectation = history.week(monday, monday - datetime.timedelta(days=1))
    assert (expectation.expected, expectation.weekdays_on_licence) == (0, 0)
    assert expectation.weekdays_in_custody == 0
    assert expectation.begins_in_custody
    week = compliance.Week(
        starts=monday, expected=0, attended_days=0, absences=[], weekdays_on_licence=0,
        begins_in_custody=expectation.begins_in_custody,
    )  # fmt: skip
    assert week.in_custody and not week.below_expectation


# --- Bad input ------------------------------------------------------------------------------


def test_session_ending_before_it_starts_is_refused(service, personas, jamal):
    starts = timezone.now()
    with pytest.raises(ValidationError, match="must end after it starts"):
        services.create_session(
            service=service, actor=personas["keyworker"], session_type="keywork",
            starts_at=starts, ends_at=starts - datetime.timedelta(minutes=30),
            location_kind="centre", participants=[jamal],
        )  # fmt: skip
    assert not Session.objects.exists()


def test_outcome_for_a_future_session_is_refused(service, personas, jamal):
    session = session_on(service, personas["keyworker"], jamal, days_ago(-2))
    with pytest.raises(ValidationError, match="has not started yet"):
        services.record_outcome(
            attendance=session.attendances.get(), outcome="attended", actor=personas["keyworker"]
        )
    assert session.attendances.get().outcome == ""


def test_participant_of_another_service_cannot_be_in_a_register(
    service, personas, jamal, other_service
):
    from tests.factories import ParticipantFactory

    stranger = ParticipantFactory(service=other_service)
    starts = timezone.now() - datetime.timedelta(hours=1)
    with pytest.raises(ValidationError, match="is not a participant of"):
        services.create_session(
            service=service, actor=personas["keyworker"], session_type="group", starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1), location_kind="centre",
            participants=[jamal, stranger],
        )  # fmt: skip
    assert not Session.objects.exists()


def test_a_duplicate_outcome_is_refused(record, personas):
    attendance = record(3, Outcome.ATTENDED)
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_outcome(
            attendance=attendance, outcome=Outcome.UNACCEPTABLE_ABSENCE, actor=personas["colleague"]
        )
    attendance.refresh_from_db()
    assert attendance.outcome == Outcome.ATTENDED


def test_register_is_all_or_nothing(service, personas, jamal):
    from tests.factories import ParticipantFactory

    other = ParticipantFactory(service=service, stage="community")
    starts = timezone.now() - datetime.timedelta(hours=2)
    session = services.create_session(
        service=service, actor=personas["keyworker"], session_type="group", starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind="centre", participants=[jamal, other],
    )  # fmt: skip
    first, second = session.attendances.order_by("pk")
    with pytest.raises(ValidationError, match="Give the reason"):
        services.record_register(
            session=session, actor=personas["keyworker"],
            outcomes={first.pk: ("attended", "", ""), second.pk: ("acceptable_absence", "", "")},
        )  # fmt: skip
    assert set(Attendance.objects.filter(session=session).values_list("outcome", flat=True)) == {""}
    with pytest.raises(ValidationError, match="not expected"):
        services.record_register(
            session=session, actor=personas["keyworker"], outcomes={999999: ("attended", "", "")}
        )


def test_a_series_makes_one_session_per_chosen_weekday(service, personas, jamal):
    monday = days_ago(0) + datetime.timedelta(days=7 - days_ago(0).weekday())
    series = services.create_series(
        service=service, actor=personas["keyworker"], weekdays=[1, 3], first_day=monday,
        last_day=monday + datetime.timedelta(days=13), start_time=datetime.time(10),
        end_time=datetime.time(12), session_type="group", title="Group", location_kind="centre",
        participants=[jamal],
    )  # fmt: skip
    days = [
        timezone.localtime(s.starts_at).weekday() for s in series.sessions.order_by("starts_at")
    ]
    assert days == [1, 3, 1, 3]
    with pytest.raises(ValidationError, match="up to 4 days a week"):
        services.create_series(
            service=service, actor=personas["keyworker"], weekdays=[0, 1, 2, 3, 4],
            first_day=monday, last_day=monday, start_time=datetime.time(10),
            end_time=datetime.time(11), session_type="group", location_kind="centre",
            participants=[jamal],
        )  # fmt: skip


def test_notes_are_editable_by_their_author_for_a_short_time_then_only_addenda(
    service, personas, jamal
):
    from sessions.models import SessionNote

    session = session_on(service, personas["keyworker"], jamal, days_ago(1))
    note = services.add_note(
        session=session, participant=jamal, actor=personas["keyworker"],
        note=SessionNote(summary="Talked about housing", visibility="shared"),
    )  # fmt: skip
    services.edit_note(note=note, actor=personas["keyworker"], changes={"summary": "Housing plan"})
    with pytest.raises(ValidationError, match="Add an addendum"):
        services.edit_note(note=note, actor=personas["colleague"], changes={"summary": "x"})
    SessionNote.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    note.refresh_from_db()
    with pytest.raises(ValidationError, match="Add an addendum"):
        services.edit_note(note=note, actor=personas["keyworker"], changes={"summary": "Late"})
    services.add_addendum(note=note, actor=personas["keyworker"], text="He phoned back later")
    assert note.addenda.count() == 1
    assert [h.summary for h in note.history.order_by("history_date")] == [
        "Talked about housing",
        "Housing plan",
    ]


def test_a_risk_concern_alerts_the_allocated_offender_manager(client_for, service, personas, jamal):
    from django.urls import reverse

    from sessions.models import SessionNote

    session = session_on(service, personas["keyworker"], jamal, days_ago(1))
    services.add_note(
        session=session, participant=jamal, actor=personas["keyworker"],
        note=SessionNote(summary="Group", visibility="shared", risk_concern="Talking about his ex"),
    )  # fmt: skip
    home = client_for(personas["offender_manager"]).get(reverse("core:home")).content.decode()
    assert "Risk concerns raised" in home
    assert "Talking about his ex" in home
    colleague_home = client_for(personas["colleague"]).get(reverse("core:home")).content.decode()
    assert "Risk concerns raised" not in colleague_home


def test_outcome_missing_is_flagged_to_the_staff_on_their_home_page(
    client_for, service, personas, jamal
):
    from django.urls import reverse

    session_on(service, personas["keyworker"], jamal, days_ago(1))
    home = client_for(personas["keyworker"]).get(reverse("core:home")).content.decode()
    assert "Outcome missing" in home


def test_my_sessions_today_and_those_of_the_last_30_days_with_an_outcome_missing(
    service, personas, jamal
):
    from sessions.selectors import my_day, outcomes_missing

    keyworker = personas["keyworker"]
    two_pm = timezone.make_aware(datetime.datetime.combine(days_ago(0), datetime.time(14)))
    ended_today = session_on(service, keyworker, jamal, days_ago(0), hour=9)
    later_today = session_on(service, keyworker, jamal, days_ago(0), hour=16)
    missing = session_on(service, keyworker, jamal, days_ago(3))
    recorded = session_on(service, keyworker, jamal, days_ago(4))
    services.record_outcome(
        attendance=recorded.attendances.get(), outcome=Outcome.ATTENDED, actor=keyworker
    )
    session_on(service, keyworker, jamal, days_ago(31))  # too long ago to be listed
    session_on(service, personas["colleague"], jamal, days_ago(2))  # someone else's

    today = my_day(keyworker, days_ago(0))
    assert today == [ended_today, later_today]
    assert [len(s.attendances.all()) for s in today] == [1, 1]
    # Newest first; a session of today that has ended without its outcome is in both lists.
    assert outcomes_missing(keyworker, now=two_pm) == [ended_today, missing]


def test_one_session_of_a_series_changes_alone(client_for, service, personas, jamal):
    from django.urls import reverse

    monday = days_ago(0) + datetime.timedelta(days=7 - days_ago(0).weekday())
    series = services.create_series(
        service=service, actor=personas["keyworker"], weekdays=[1], first_day=monday,
        last_day=monday + datetime.timedelta(days=13), start_time=datetime.time(10),
        end_time=datetime.time(12), session_type="group", title="Group", location_kind="centre",
        participants=[jamal],
    )  # fmt: skip
    first, second = series.sessions.order_by("starts_at")
    day = timezone.localtime(first.starts_at).date()
    response = client_for(personas["keyworker"]).post(
        reverse("keywork:session_edit", args=[first.pk]),
        {"date_day": day.day, "date_month": day.month, "date_year": day.year,
         "start_time": "14:00", "end_time": "15:30", "location_kind": "community",
         "address": "Toxteth library", "enforceable": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert timezone.localtime(first.starts_at).hour == 14
    assert first.location_detail == "Toxteth library"
    assert timezone.localtime(second.starts_at).hour == 10
    assert second.location_kind == "centre"


def test_service_manager_sets_the_thresholds(client_for, service, personas, record, jamal):
    from django.urls import reverse

    url = reverse("keywork:compliance_policy")
    client = client_for(personas["service_manager"])
    bad = client.post(
        url, {"warning_threshold": 3, "recall_review_threshold": 2, "window_months": 12}
    )
    assert "The recall review must come at or after the warning" in bad.content.decode()
    record(5, Outcome.UNACCEPTABLE_ABSENCE)
    assert compliance.enforcement_prompt(jamal) is not None
    client.post(url, {"warning_threshold": 2, "recall_review_threshold": 3, "window_months": 6})
    assert CompliancePolicy.objects.get(service=service).warning_threshold == 2
    assert compliance.enforcement_prompt(jamal) is None


def test_a_moved_session_moves_in_his_list_and_out_of_the_compliance_window(
    client_for, service, personas, jamal
):
    """Each attendance keeps a copy of its session's start (read by index for his sessions
    list and the compliance windows): moving the session moves every copy with it."""
    keyworker = personas["keyworker"]
    early = session_on(service, keyworker, jamal, days_ago(20))
    late = session_on(service, keyworker, jamal, days_ago(10))
    services.record_outcome(
        attendance=early.attendances.get(), outcome=Outcome.UNACCEPTABLE_ABSENCE, actor=keyworker
    )
    url = reverse("keywork:participant_sessions", args=[jamal.pk])

    def absences():
        return [a.session_id for a in compliance.unacceptable_absences_in_window(
            jamal, days_ago(0), 12
        )]  # fmt: skip

    def listed():
        return [a.session_id for a in client_for(keyworker).get(url).context["attendances"]]

    def move_early_to(day):
        moved_to = timezone.make_aware(datetime.datetime.combine(day, datetime.time(9)))
        services.change_session(
            session=early, actor=keyworker, starts_at=moved_to,
            ends_at=moved_to + datetime.timedelta(hours=1), location_kind="centre",
            location_detail="", enforceable=True,
        )  # fmt: skip
        assert early.attendances.get().session_starts_at == moved_to

    assert absences() == [early.pk]
    assert listed() == [late.pk, early.pk]
    # Moved to a day over a year ago: outside the 12-month window.
    move_early_to(days_ago(400))
    assert absences() == []
    # And moved to after the other: first in his list.
    move_early_to(days_ago(5))
    assert listed() == [early.pk, late.pk]


def test_an_attendance_takes_its_sessions_start_when_saved(service, personas, jamal):
    session = session_on(service, personas["keyworker"], jamal, days_ago(3))
    Attendance.objects.filter(session=session).delete()
    added = Attendance.objects.create(session=session, participant=jamal)
    assert added.session_starts_at == session.starts_at


def test_his_sessions_tab_shows_each_notes_addenda_except_on_notes_not_shared_with_you(
    client_for, service, personas, jamal
):
    from sessions.models import SessionNote

    keyworker = personas["keyworker"]
    session = session_on(service, keyworker, jamal, days_ago(1))
    shared = services.add_note(
        session=session, participant=jamal, actor=keyworker,
        note=SessionNote(summary="Talked about housing", visibility="shared"),
    )  # fmt: skip
    services.add_addendum(note=shared, actor=keyworker, text="He phoned back about the flat")
    health = services.add_note(
        session=session, participant=jamal, actor=keyworker,
        note=SessionNote(summary="Talked about his GP", visibility="health"),
    )  # fmt: skip
    services.add_addendum(note=health, actor=keyworker, text="New medication from Monday")
    url = reverse("keywork:participant_sessions", args=[jamal.pk])
    health_view = client_for(keyworker).get(url).content.decode()
    assert "He phoned back about the flat" in health_view
    assert "New medication from Monday" in health_view
    probation_view = client_for(personas["offender_manager"]).get(url).content.decode()
    assert "He phoned back about the flat" in probation_view
    assert "Its content is not shared with your agency" in probation_view
    assert "New medication" not in probation_view
