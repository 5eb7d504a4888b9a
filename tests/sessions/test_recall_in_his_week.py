"""Issue 20, item 4: a recall in his week.

A recall, whether decided on his Sessions tab (a recall decision) or recorded as a stage move,
cancels his community sessions from its effective date ("Cancelled: recalled to custody"; in a
group only his place), closes his open enforcement prompt with the recall as the decision, and
marks him "Recalled (standard / fixed-term) since …" wherever he is listed or named. A
re-release recreates nothing, and the expectation counts again from the re-release date.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import services as participant_services
from participants.models import Participant, Stage, StageChange
from sessions import compliance, services
from sessions.models import (
    Attendance,
    EnforcementDecision,
    Outcome,
    Session,
)
from tests.factories import accepted_participant, allocate_team

pytestmark = pytest.mark.django_db

RECALLED = Outcome.CANCELLED_RECALLED


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def monday_weeks_ago(weeks: int) -> datetime.date:
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday() + 7 * weeks)


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def release(man, om, day):
    participant_services.change_stage(
        participant=man, actor=om, kind=StageChange.Kind.RELEASED, effective_on=day
    )
    man.refresh_from_db()
    return man


@pytest.fixture
def jamal(participant, personas):
    """Jamal, released 150 days ago: in the community, his team allocated."""
    return release(participant, personas["offender_manager"], days_ago(150))


@pytest.fixture
def daniel(personas, service):
    """Another man of the service in the community, in the same group as Jamal."""
    man = accepted_participant(
        service=service, manager=personas["service_manager"], given_name="Daniel",
        family_name="Price", prison_number="B2345CD",
    )  # fmt: skip
    allocate_team(
        man, manager=personas["service_manager"], om=personas["offender_manager"],
        keyworker=personas["keyworker"],
    )  # fmt: skip
    return release(man, personas["offender_manager"], days_ago(150))


def book(service, keyworker, men, starts, *, kind="keywork", where="centre", title=""):
    return services.create_session(
        service=service, actor=keyworker, session_type=kind, starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1), location_kind=where, title=title,
        location_detail="HMP Liverpool" if where == "prison" else "", participants=men,
    )  # fmt: skip


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def outcome_of(session, man) -> str:
    return Attendance.objects.get(session=session, participant=man).outcome


def recall_by_decision(man, om, day):
    """The recall decided on his Sessions tab: recall considered 6 days before (an absence
    since prompts again), then a standard recall decided on `day`."""
    enforcement = services.record_enforcement(
        participant=man, actor=om, decision="recall_considered",
        decided_on=day - datetime.timedelta(days=6), reason="Whereabouts unknown",
    )  # fmt: skip
    services.record_recall_decision(
        enforcement=enforcement, actor=om, why="contact", alternatives_tried=["warning"],
        senior_manager_rationale="Whereabouts unknown for 5 days", outcome="standard",
        decided_on=day,
    )  # fmt: skip
    return "standard"


def recall_by_stage_move(man, om, day):
    """The recall recorded directly as a move of stage (a fixed-term recall)."""
    participant_services.change_stage(
        participant=man, actor=om, kind=StageChange.Kind.RECALLED, effective_on=day,
        recall_type="fixed_term", reason="Missed curfew three times",
    )  # fmt: skip
    return "fixed-term"


BOTH_PATHS = pytest.mark.parametrize(
    "recall", [recall_by_decision, recall_by_stage_move], ids=["recall-decision", "stage-move"]
)


@pytest.fixture
def his_week(service, personas, jamal, daniel):
    """Jamal's sessions around a recall today, and an unacceptable absence that prompts."""
    keyworker = personas["keyworker"]
    now = timezone.now()
    soon = {
        "tonight_group": datetime.timedelta(hours=2),
        "one_to_one": datetime.timedelta(days=1),
        "home_visit": datetime.timedelta(days=2),
        "in_reach_visit": datetime.timedelta(days=7),
        "daniels_own": datetime.timedelta(days=1),
    }
    week = {
        "attended_before": book(service, keyworker, [jamal], at(days_ago(3))),
        "unrecorded_before": book(service, keyworker, [jamal], at(days_ago(2))),
        "absent_before": book(service, keyworker, [jamal], at(days_ago(5))),
        "tonight_group": book(
            service, keyworker, [jamal, daniel], now + soon["tonight_group"], kind="group"
        ),
        "one_to_one": book(service, keyworker, [jamal], now + soon["one_to_one"]),
        "home_visit": book(
            service,
            keyworker,
            [jamal],
            now + soon["home_visit"],
            kind="outreach",
            where="community",
        ),
        "in_reach_visit": book(
            service,
            keyworker,
            [jamal],
            now + soon["in_reach_visit"],
            kind="in_reach",
            where="prison",
        ),
        "daniels_own": book(service, keyworker, [daniel], now + soon["daniels_own"]),
    }
    services.record_outcome(
        attendance=week["attended_before"].attendances.get(), outcome=Outcome.ATTENDED,
        actor=keyworker,
    )  # fmt: skip
    services.record_outcome(
        attendance=week["absent_before"].attendances.get(),
        outcome=Outcome.UNACCEPTABLE_ABSENCE, actor=keyworker,
    )  # fmt: skip
    return week


@BOTH_PATHS
def test_a_recall_cancels_his_future_community_sessions_and_only_his_place_in_a_group(
    recall, his_week, jamal, daniel, personas
):
    om = personas["offender_manager"]
    assert compliance.enforcement_prompt(jamal) is not None
    recall(jamal, om, days_ago(0))

    # His one-to-one sessions from today are cancelled with the recall's coded reason ...
    for name in ("one_to_one", "home_visit", "tonight_group"):
        row = Attendance.objects.get(session=his_week[name], participant=jamal)
        assert (row.outcome, row.get_outcome_display()) == (
            RECALLED,
            "Cancelled: recalled to custody",
        )
        assert (row.recorded_by, row.absence_reason) == (om, "")
    # ... in the group only his place: Daniel is still expected there, and at his own.
    assert outcome_of(his_week["tonight_group"], daniel) == ""
    assert outcome_of(his_week["daniels_own"], daniel) == ""
    # In-reach work goes on in custody; the days before the recall are as they were.
    assert outcome_of(his_week["in_reach_visit"], jamal) == ""
    assert outcome_of(his_week["attended_before"], jamal) == Outcome.ATTENDED
    assert outcome_of(his_week["absent_before"], jamal) == Outcome.UNACCEPTABLE_ABSENCE
    assert outcome_of(his_week["unrecorded_before"], jamal) == ""
    # Every session still exists (a cancelled one is a fact of his week), each with history.
    assert Session.objects.count() == 8
    cancelled = Attendance.objects.get(session=his_week["one_to_one"], participant=jamal)
    assert cancelled.history.order_by("-history_date").first().history_user == om
    # His timeline says what happened to his week, in words.
    event = jamal.timeline_events.get(category="session", title__contains="recalled")
    assert event.title == "3 community sessions cancelled: recalled to custody"
    assert event.detail.endswith(
        f"recall from {long_date(days_ago(0))}: 2 one-to-one sessions cancelled; his place in "
        "1 group session cancelled"
    )


@BOTH_PATHS
def test_a_recall_closes_his_open_prompt_with_the_recall_as_the_decision(
    recall, his_week, jamal, personas
):
    om = personas["offender_manager"]
    prompt = compliance.enforcement_prompt(jamal)
    assert (prompt.level, prompt.absences) == ("warning", 1)
    kind = recall(jamal, om, days_ago(0))

    assert compliance.enforcement_prompt(jamal) is None
    latest = jamal.enforcement_decisions.first()
    assert latest.get_decision_display() == "Recalled to custody"
    assert (latest.decided_on, latest.decided_by, latest.absences_counted) == (
        days_ago(0),
        om,
        1,
    )
    assert latest.reason.startswith(f"{kind.capitalize()} recall from {long_date(days_ago(0))}")
    # His sessions tab agrees: no prompt, and the decision listed with its words.
    recent = compliance.recent_compliance(jamal, days_ago(0))
    assert recent.prompt is None
    assert recent.decisions[0].decision == EnforcementDecision.Decision.RECALLED


def test_a_recall_without_an_open_prompt_records_no_decision(jamal, personas):
    before = EnforcementDecision.objects.count()
    recall_by_stage_move(jamal, personas["offender_manager"], days_ago(0))
    assert EnforcementDecision.objects.count() == before


def test_a_backdated_recall_cancels_what_was_not_recorded_from_its_date_and_keeps_outcomes(
    service, personas, jamal
):
    """Recorded today, effective 3 days ago: he has been in custody since. An unrecorded
    session since then is cancelled (no one is left to record an absence for a man in
    custody); an outcome already recorded stays as recorded; the day before is untouched."""
    keyworker = personas["keyworker"]
    before = book(service, keyworker, [jamal], at(days_ago(4)))
    on_the_day = book(service, keyworker, [jamal], at(days_ago(3)))
    recorded_since = book(service, keyworker, [jamal], at(days_ago(2)))
    services.record_outcome(
        attendance=recorded_since.attendances.get(), outcome=Outcome.ATTENDED, actor=keyworker
    )
    recall_by_stage_move(jamal, personas["offender_manager"], days_ago(3))
    assert outcome_of(before, jamal) == ""
    assert outcome_of(on_the_day, jamal) == RECALLED
    assert outcome_of(recorded_since, jamal) == Outcome.ATTENDED


def test_the_recalled_outcome_and_decision_are_never_chosen_by_hand(his_week, jamal, personas):
    with pytest.raises(ValidationError, match="Choose an outcome"):
        services.record_outcome(
            attendance=his_week["unrecorded_before"].attendances.get(), outcome=RECALLED,
            actor=personas["keyworker"],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="Choose a decision"):
        services.record_enforcement(
            participant=jamal, actor=personas["offender_manager"],
            decision=EnforcementDecision.Decision.RECALLED, decided_on=days_ago(0),
        )  # fmt: skip


def test_the_register_shows_his_place_cancelled_and_keeps_the_others_to_record(
    his_week, jamal, daniel, personas, client_for
):
    recall_by_stage_move(jamal, personas["offender_manager"], days_ago(0))
    response = client_for(personas["keyworker"]).get(
        reverse("keywork:session_detail", args=[his_week["tonight_group"].pk])
    )
    text = " ".join(response.content.decode().split())
    assert "Cancelled: recalled to custody" in text
    assert "Outcome for Daniel Price" in text
    assert "Outcome for Jamal Okoro" not in text


# --- Marked as recalled, distinct from pre-release in-reach --------------------------------


def page_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@BOTH_PATHS
def test_he_is_marked_recalled_on_the_caseload_identity_bar_and_crisis_summary(
    recall, jamal, personas, client_for, service
):
    # A man still in pre-release in-reach, for contrast.
    in_reach = accepted_participant(
        service=service, manager=personas["service_manager"], given_name="Lee",
        family_name="Moss", prison_number="C3456DE",
    )  # fmt: skip
    assert in_reach.stage == Stage.IN_REACH
    kind = recall(jamal, personas["offender_manager"], days_ago(1))
    mark = f"Recalled ({kind}) since {long_date(days_ago(1))}"
    jamal.refresh_from_db()
    assert jamal.stage_label == mark

    om = client_for(personas["offender_manager"])
    caseload = page_text(om, reverse("participants:caseload"))
    assert f'<strong class="govuk-tag govuk-tag--red" data-testid="stage-tag">{mark}</strong>' in (
        caseload
    )
    assert (
        '<strong class="govuk-tag govuk-tag--blue" data-testid="stage-tag">'
        "In-reach (in custody)</strong>"
    ) in caseload
    assert caseload.count('data-testid="stage-tag">Recalled') == 1  # Lee is not
    recalled_only = page_text(om, reverse("participants:caseload") + "?stage=recalled")
    assert "OKORO, Jamal" in recalled_only and "MOSS, Lee" not in recalled_only
    assert '<option value="recalled" selected>Recalled (back in custody)</option>' in recalled_only

    identity_bar = page_text(om, reverse("participants:overview", args=[jamal.pk]))
    bar = identity_bar.split('data-testid="identity-bar"')[1].split("</div> </div> </div>")[0]
    assert mark in bar
    assert "In-reach (in custody)" not in bar
    lees_bar = page_text(om, reverse("participants:overview", args=[in_reach.pk]))
    assert "In-reach (in custody)" in lees_bar and "Recalled" not in lees_bar

    crisis = client_for(personas["crisis_worker"])
    summary = page_text(crisis, reverse("crisisline:summary", args=[jamal.pk]))
    assert f'data-testid="stage-tag">{mark}</strong>' in summary
    lees_summary = page_text(crisis, reverse("crisisline:summary", args=[in_reach.pk]))
    assert "In-reach (in custody)" in lees_summary and "Recalled" not in lees_summary


def test_re_release_clears_the_mark(jamal, personas):
    om = personas["offender_manager"]
    recall_by_stage_move(jamal, om, days_ago(20))
    participant_services.change_stage(
        participant=jamal, actor=om, kind=StageChange.Kind.RE_RELEASED, effective_on=days_ago(2)
    )
    jamal.refresh_from_db()
    assert (jamal.stage, jamal.recall_type, jamal.is_recalled) == (Stage.COMMUNITY, "", False)
    assert jamal.stage_label == "Community"


def test_the_mark_is_read_from_his_own_row(jamal, personas, django_assert_num_queries):
    recall_by_stage_move(jamal, personas["offender_manager"], days_ago(1))
    with django_assert_num_queries(1):
        man = Participant.objects.get(pk=jamal.pk)
    with django_assert_num_queries(0):
        assert man.stage_label.startswith("Recalled (fixed-term) since")


# --- Compliance: worked by hand ------------------------------------------------------------


def test_recall_and_re_release_in_the_figures_worked_by_hand(service, personas, participant):
    """Released on the Monday 4 weeks ago; plan: the service's 4 days a week.

    Week -4: on licence Mon-Fri, expects 5 x 4/5 = 4; attended Mon, Tue, Wed: 3 (1 short).
    Week -3: expects 4; attended Mon-Thu: 4.
    Week -2: attended Mon, unacceptable absence Tue; recalled (fixed-term) from Wednesday:
             on licence Mon, Tue: 2 x 4/5 = 8/5, rounded down 1; attended 1. The sessions
             booked for Wed and Thu are cancelled by the recall.
    Week -1: in custody Mon-Wed (the Monday session booked before the recall is cancelled
             too); re-released on Thursday: Thu, Fri on licence: 8/5, 1; attended Fri: 1.
             Nothing is rebooked for him.

    Days attended against days expected: 3 + 4 + 1 + 1 = 9 of 4 + 4 + 1 + 1 = 10: 90%, 1 day
    short in 1 week. Enforceable sessions complied with: 9 attended of 10 counted (the
    absence counts, the 3 sessions cancelled by the recall do not): 90% (9 of 10); were the
    cancelled ones counted it would read 9 of 13, 69%.
    """
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    week = {n: monday_weeks_ago(n) for n in range(1, 5)}

    def day(n, weekday):
        return week[n] + datetime.timedelta(days=weekday)

    def attend(n, weekday):
        session = book(service, keyworker, [participant], at(day(n, weekday)), kind="group")
        services.record_outcome(
            attendance=session.attendances.get(), outcome=Outcome.ATTENDED, actor=keyworker
        )

    release(participant, om, week[4])
    for n, weekdays in ((4, (0, 1, 2)), (3, (0, 1, 2, 3)), (2, (0,))):
        for weekday in weekdays:
            attend(n, weekday)
    absent = book(service, keyworker, [participant], at(day(2, 1)), kind="group")
    services.record_outcome(
        attendance=absent.attendances.get(), outcome=Outcome.UNACCEPTABLE_ABSENCE,
        actor=keyworker,
    )  # fmt: skip
    booked = [book(service, keyworker, [participant], at(d)) for d in (day(2, 2), day(2, 3))]
    booked.append(book(service, keyworker, [participant], at(day(1, 0))))
    assert compliance.enforcement_prompt(participant) is not None

    participant_services.change_stage(
        participant=participant, actor=om, kind=StageChange.Kind.RECALLED,
        effective_on=day(2, 2), recall_type="fixed_term", reason="Curfew breaches",
    )  # fmt: skip
    assert [outcome_of(s, participant) for s in booked] == [RECALLED] * 3
    assert compliance.enforcement_prompt(participant) is None
    participant.refresh_from_db()
    participant_services.change_stage(
        participant=participant, actor=om, kind=StageChange.Kind.RE_RELEASED,
        effective_on=day(1, 3),
    )  # fmt: skip
    sessions_before = Session.objects.count()
    attend(1, 4)
    assert Session.objects.count() == sessions_before + 1  # only the one booked by hand
    assert [outcome_of(s, participant) for s in booked] == [RECALLED] * 3

    end = day(1, 6)
    weeks = compliance.weekly_attendance(participant, week[4], end)
    assert [(w.expected, w.attended_days, w.shortfall) for w in weeks] == [
        (4, 3, 1),
        (4, 4, 0),
        (1, 1, 0),
        (1, 1, 0),
    ]
    assert weeks[2].note == "In custody 3 weekdays; pro rata: 2 of 5 weekdays on licence"
    assert weeks[3].note == "In custody 3 weekdays; pro rata: 2 of 5 weekdays on licence"
    days = compliance.days_measure(weeks)
    assert days.summary == (
        "Days attended against days expected: 90% (9 of 10 expected days); "
        "1 day short in 1 week below expectation"
    )
    rate = compliance.compliance_rate(participant, week[4], end)
    assert rate.summary == "Enforceable sessions complied with: 90% (9 of 10)"
    # The commissioner's figures, by the same rule, agree.
    across = compliance.days_across(Participant.objects.filter(pk=participant.pk), week[4], end)
    assert (across.expected, across.attended) == (10, 9)


def test_re_release_counts_the_expectation_again_from_the_plan_in_force(service, personas, jamal):
    """A plan of 2 days a week approved while he was back in custody applies from his
    re-release: recalled on the Monday 3 weeks ago, re-released on the Monday 2 weeks ago:
    the week in custody expects nothing, each week since expects 2."""
    from tests.sessions.test_compliance import approve_a_plan_expecting, approved_on

    om = personas["offender_manager"]
    recall_by_stage_move(jamal, om, monday_weeks_ago(3))
    approve_a_plan_expecting(jamal, personas, 2)
    approved_on(jamal, monday_weeks_ago(3) + datetime.timedelta(days=2))
    jamal.refresh_from_db()
    participant_services.change_stage(
        participant=jamal, actor=om, kind=StageChange.Kind.RE_RELEASED,
        effective_on=monday_weeks_ago(2),
    )  # fmt: skip
    weeks = compliance.weekly_attendance(
        jamal, monday_weeks_ago(4), monday_weeks_ago(1) + datetime.timedelta(days=6)
    )
    assert [(w.expected, w.in_custody) for w in weeks] == [
        (4, False),
        (0, True),
        (2, False),
        (2, False),
    ]
