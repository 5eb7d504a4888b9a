"""Two people recording outcomes for the same session at the same moment."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from participants.models import TimelineEvent
from resettle.accounts.roles import Role
from sessions import services
from sessions.models import Attendance, Outcome
from tests.concurrency import Gate, Race, signed_in
from tests.factories import accepted_participant, days_ago
from tests.factories.reports import at

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_flush")]


@pytest.fixture
def group(personas, service, participant):
    """Yesterday's group (fixed times, so nothing depends on the hour the tests run)."""
    ryan = accepted_participant(
        service=service, manager=personas["service_manager"], given_name="Ryan",
        family_name="Doherty", prison_number="B2345CD",
    )  # fmt: skip
    starts = at(days_ago(1), 10)
    return services.create_session(
        service=service, actor=personas["keyworker"], session_type="group", title="Cooking group",
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), location_kind="centre",
        participants=[participant, ryan], staff=[personas["keyworker"]],
    )  # fmt: skip


def attendances(session) -> list[Attendance]:
    return list(session.attendances.order_by("pk"))


def assert_one_outcome_each(session) -> None:
    """One row per man, one recorded change in its history, one entry on his timeline."""
    for attendance in attendances(session):
        assert attendance.outcome
        assert attendance.history.exclude(outcome="").count() == 1
        assert (
            TimelineEvent.objects.filter(
                participant=attendance.participant, category="session"
            ).count()
            == 1
        )
    assert session.attendances.count() == 2


def test_two_different_outcomes_for_the_same_man_at_once_record_one(
    monkeypatch, personas, group, participant
):
    jamal = group.attendances.get(participant=participant)
    first_recorded = Gate(monkeypatch, services, "record_event", thread="first")

    def record(actor, outcome):
        return lambda: services.record_outcome(attendance=jamal, outcome=outcome, actor=actor)

    with Race(
        first=record(personas["keyworker"], Outcome.ATTENDED),
        second=first_recorded.then(
            record(personas["offender_manager"], Outcome.UNACCEPTABLE_ABSENCE)
        ),
    ) as recording:
        recording.wait_at(first_recorded)
        recording.wait_until_blocked_or_done("second")
        first_recorded.open()

    assert recording["first"].ok
    told = recording["second"].error
    assert isinstance(told, ValidationError)
    assert told.messages == [
        "An outcome is already recorded for Jamal Okoro: attended and complied (by Aisha Rahman)"
    ]
    jamal.refresh_from_db()
    assert (jamal.outcome, jamal.recorded_by) == (Outcome.ATTENDED, personas["keyworker"])
    assert jamal.history.exclude(outcome="").count() == 1
    assert Attendance.objects.filter(session=group, participant=participant).count() == 1


def test_two_people_clicking_an_outcome_in_my_day_at_once(
    monkeypatch, personas, group, participant
):
    jamal = group.attendances.get(participant=participant)
    url = reverse("keywork:record_outcome", args=[group.pk, jamal.pk])
    aisha, sarah = signed_in(personas["keyworker"]), signed_in(personas["offender_manager"])
    first_recorded = Gate(monkeypatch, services, "record_event", thread="first")

    with Race(
        first=lambda: aisha.post(url, {"outcome": Outcome.LATE}),
        second=first_recorded.then(
            lambda: sarah.post(url, {"outcome": Outcome.UNACCEPTABLE_ABSENCE})
        ),
    ) as clicking:
        clicking.wait_at(first_recorded)
        clicking.wait_until_blocked_or_done("second")
        first_recorded.open()

    def said(response):
        return [str(m) for m in get_messages(response.wsgi_request)]

    assert said(clicking["first"].value) == ["Jamal Okoro: attended late"]
    assert said(clicking["second"].value) == [
        "An outcome is already recorded for Jamal Okoro: attended late (by Aisha Rahman)"
    ]
    jamal.refresh_from_db()
    assert jamal.outcome == Outcome.LATE
    assert jamal.history.exclude(outcome="").count() == 1


def test_two_registers_at_once_record_one_set_of_outcomes(monkeypatch, personas, group):
    men = attendances(group)
    first_recorded = Gate(monkeypatch, services, "record_event", thread="first")

    def register(actor, outcome):
        outcomes = {a.pk: (outcome, "", "") for a in men}
        return lambda: services.record_register(session=group, actor=actor, outcomes=outcomes)

    with Race(
        first=register(personas["keyworker"], Outcome.ATTENDED),
        second=first_recorded.then(register(personas["colleague"], Outcome.SENT_HOME_SERVICE)),
    ) as registering:
        registering.wait_at(first_recorded)
        registering.wait_until_blocked_or_done("second")
        first_recorded.open()

    assert registering["first"].value == 2
    assert isinstance(registering["second"].error, ValidationError)
    assert "already recorded" in registering["second"].error.messages[0]
    assert {a.outcome for a in attendances(group)} == {Outcome.ATTENDED}
    assert_one_outcome_each(group)


def test_registers_listing_the_men_in_different_orders_do_not_deadlock(
    monkeypatch, personas, group
):
    """The form lists the men in whatever order the database returns them. Two registers in
    opposite orders each locked one man and waited for the other: PostgreSQL then killed one
    with a deadlock error (a 500) instead of telling that person the register was done."""
    first_man, second_man = attendances(group)
    first_did_one = Gate(monkeypatch, services, "_record", thread="forwards", after=True)

    def register(actor, order, outcome):
        outcomes = {a.pk: (outcome, "", "") for a in order}
        return lambda: services.record_register(session=group, actor=actor, outcomes=outcomes)

    with Race(
        forwards=register(personas["keyworker"], [first_man, second_man], Outcome.ATTENDED),
        backwards=first_did_one.then(
            register(personas["colleague"], [second_man, first_man], Outcome.LATE)
        ),
    ) as registering:
        registering.wait_at(first_did_one)
        registering.wait_until_blocked_or_done("backwards")
        first_did_one.open()

    assert registering["forwards"].value == 2
    assert isinstance(registering["backwards"].error, ValidationError)
    assert {a.outcome for a in attendances(group)} == {Outcome.ATTENDED}
    assert_one_outcome_each(group)


def test_two_people_submitting_the_register_in_the_browser_at_once(
    monkeypatch, personas, group, service
):
    from tests.factories import staff_member

    url = reverse("keywork:register", args=[group.pk])
    ben_kowalski = staff_member(Role.HEALTH_KEYWORKER, service, full_name="Ben Kowalski")
    aisha, ben = signed_in(personas["keyworker"]), signed_in(ben_kowalski)
    first_recorded = Gate(monkeypatch, services, "record_event", thread="first")

    def submit(client, outcome):
        return lambda: client.post(url, {f"a{a.pk}_outcome": outcome for a in attendances(group)})

    with Race(
        first=submit(aisha, Outcome.ATTENDED),
        second=first_recorded.then(submit(ben, Outcome.CANCELLED_BY_SERVICE)),
    ) as submitting:
        submitting.wait_at(first_recorded)
        submitting.wait_until_blocked_or_done("second")
        first_recorded.open()

    assert submitting["first"].value.status_code == 302
    refused = submitting["second"].value
    assert refused.status_code == 200
    assert "An outcome is already recorded for" in refused.content.decode()
    assert {a.outcome for a in attendances(group)} == {Outcome.ATTENDED}
    assert_one_outcome_each(group)


def test_a_register_racing_a_one_click_outcome_does_not_deadlock(
    monkeypatch, personas, group, participant
):
    """The register had locked the first man (and, with him, the session row); a one-click
    outcome for the second man locked him and waited for the session; the register then
    waited for the second man: a deadlock, and one of them failed with an error page.
    Now both take the session's lock first: the register is recorded, the click is told."""
    men = attendances(group)
    second_man = men[1]
    register_did_one = Gate(monkeypatch, services, "_record", thread="register", after=True)

    everyone_attended = {a.pk: (Outcome.ATTENDED, "", "") for a in men}

    with Race(
        register=lambda: services.record_register(
            session=group, actor=personas["keyworker"], outcomes=everyone_attended
        ),
        click=register_did_one.then(
            lambda: services.record_outcome(
                attendance=second_man, outcome=Outcome.LATE, actor=personas["offender_manager"]
            )
        ),
    ) as both:
        both.wait_at(register_did_one)
        both.wait_until_blocked_or_done("click")
        register_did_one.open()

    assert both["register"].value == 2
    assert isinstance(both["click"].error, ValidationError)
    assert "already recorded for" in both["click"].error.messages[0]
    assert [a.outcome for a in attendances(group)] == [Outcome.ATTENDED, Outcome.ATTENDED]
    assert_one_outcome_each(group)


def test_moving_a_session_into_the_future_while_an_outcome_is_recorded(
    monkeypatch, personas, group, participant
):
    """The move checked for outcomes before the one being recorded had committed, then saved:
    the session ended up in the future with an outcome recorded for it."""
    jamal = group.attendances.get(participant=participant)
    outcome_saved = Gate(monkeypatch, services, "record_event", thread="record")
    tomorrow = at(days_ago(-1), 10)

    with Race(
        record=lambda: services.record_outcome(
            attendance=jamal, outcome=Outcome.ATTENDED, actor=personas["keyworker"]
        ),
        move=outcome_saved.then(
            lambda: services.change_session(
                session=group,
                actor=personas["keyworker"],
                starts_at=tomorrow,
                ends_at=tomorrow + datetime.timedelta(hours=2),
                location_kind="centre",
                location_detail="",
                enforceable=True,
            )
        ),
    ) as both:
        both.wait_at(outcome_saved)
        both.wait_until_blocked_or_done("move")
        outcome_saved.open()

    assert both["record"].ok
    assert both["move"].error.messages == [
        "Outcomes are recorded for this session: it cannot move into the future"
    ]
    group.refresh_from_db()
    assert group.starts_at == at(days_ago(1), 10)


# --- Enforcement and recall decisions -------------------------------------------------------


def recall_considered(participant, personas):
    return services.record_enforcement(
        participant=participant, actor=personas["offender_manager"],
        decision="recall_considered", decided_on=days_ago(0), reason="Contact lost",
    )  # fmt: skip


def test_two_recall_decisions_for_the_same_enforcement_at_once_record_one(
    monkeypatch, personas, participant
):
    """Both checked that no decision existed, then both saved: the second broke the one-
    decision rule with a database error instead of being told."""
    from sessions.models import RecallDecision

    enforcement = recall_considered(participant, personas)
    first_checked = Gate(monkeypatch, RecallDecision.objects, "create", thread="first")

    def decide(actor, rationale):
        return lambda: services.record_recall_decision(
            enforcement=enforcement, actor=actor, why="contact", alternatives_tried=["warning"],
            senior_manager_rationale=rationale, outcome="no_recall", decided_on=days_ago(0),
        )  # fmt: skip

    with Race(
        first=decide(personas["offender_manager"], "Manageable with more contact"),
        second=first_checked.then(decide(personas["service_manager"], "Keep him out")),
    ) as deciding:
        deciding.wait_at(first_checked)
        deciding.wait_until_blocked_or_done("second")
        first_checked.open()

    assert deciding["first"].ok
    assert deciding["second"].error.messages == ["The recall decision is already recorded"]
    assert (
        RecallDecision.objects.get(enforcement=enforcement).decided_by
        == (personas["offender_manager"])
    )


def test_enforcement_decision_by_an_offender_manager_reallocated_meanwhile_is_refused(
    monkeypatch, personas, participant, service
):
    from participants import services as participant_services
    from tests.factories import staff_member

    new_om = staff_member(Role.OFFENDER_MANAGER, service, full_name="Dev Patel")
    checked_access = Gate(monkeypatch, services, "record_enforcement", thread="decide")

    with Race(decide=lambda: recall_considered(participant, personas)) as deciding:
        deciding.wait_at(checked_access)
        participant_services.allocate(
            participant=participant, role=Role.OFFENDER_MANAGER, staff=new_om,
            actor=personas["service_manager"], started_on=days_ago(0),
        )  # fmt: skip
        checked_access.open()

    assert "You can no longer change" in deciding["decide"].error.messages[0]
    assert not participant.enforcement_decisions.exists()
