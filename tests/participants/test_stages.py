import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from participants import selectors, services
from participants.models import Stage, StageChange
from tests.factories import days_ago

pytestmark = pytest.mark.django_db
Kind = StageChange.Kind


def move(participant, actor, kind, days=0, **extra):
    return services.change_stage(
        participant=participant, actor=actor, kind=kind, effective_on=days_ago(days), **extra
    )


def test_the_whole_journey_release_recall_re_release_move_on_end(participant, personas):
    om = personas["offender_manager"]
    move(participant, om, Kind.RELEASED, days=150)
    move(participant, om, Kind.RECALLED, days=100, recall_type="fixed_term", reason="Curfew")
    move(participant, om, Kind.RE_RELEASED, days=72)
    move(participant, om, Kind.MOVED_ON, days=10)
    move(participant, om, Kind.ENDED, days=0, ending="completed")
    participant.refresh_from_db()
    assert participant.stage == Stage.ENDED
    kinds = list(participant.stage_changes.values_list("kind", flat=True))
    assert kinds == ["accepted", "released", "recalled", "re_released", "moved_on", "ended"]
    titles = list(
        participant.timeline_events.filter(category="stage").values_list("title", flat=True)
    )
    assert "Fixed-term recall to custody" in titles


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (Kind.MOVED_ON, "Move-on follows the community stage"),
        (Kind.RECALLED, "Only a man in the community or move-on can be recalled"),
        (Kind.RE_RELEASED, "Only a man back in custody after a recall can be re-released"),
    ],
)
def test_impossible_moves_are_refused_with_a_message(participant, personas, kind, message):
    with pytest.raises(ValidationError, match=message):
        move(participant, personas["offender_manager"], kind, recall_type="standard", reason="x")
    participant.refresh_from_db()
    assert participant.stage == Stage.IN_REACH
    assert participant.stage_changes.count() == 1


def test_a_stage_change_dated_in_the_future_is_refused(participant, personas):
    with pytest.raises(ValidationError, match="today or in the past"):
        move(participant, personas["offender_manager"], Kind.RELEASED, days=-3)
    participant.refresh_from_db()
    assert participant.stage == Stage.IN_REACH


def test_a_stage_change_before_the_referral_is_refused(participant, personas):
    with pytest.raises(ValidationError, match="on or after the referral was received"):
        move(participant, personas["offender_manager"], Kind.RELEASED, days=400)


def test_a_stage_change_before_the_current_stage_began_is_refused(participant, personas):
    move(participant, personas["offender_manager"], Kind.RELEASED, days=50)
    with pytest.raises(ValidationError, match="on or after he entered community"):
        move(participant, personas["offender_manager"], Kind.MOVED_ON, days=60)


def test_recall_needs_a_type_and_a_reason(participant, personas):
    om = personas["offender_manager"]
    move(participant, om, Kind.RELEASED, days=50)
    with pytest.raises(ValidationError, match="Select the type of recall"):
        move(participant, om, Kind.RECALLED, days=1, reason="Breach")
    with pytest.raises(ValidationError, match="Give the reason"):
        move(participant, om, Kind.RECALLED, days=1, recall_type="standard")
    participant.refresh_from_db()
    assert participant.stage == Stage.COMMUNITY


def test_time_in_each_stage_is_derived_from_the_history():
    today = datetime.date(2026, 11, 23)

    def change(to_stage, on):
        return StageChange(
            to_stage=to_stage, effective_on=on, recorded_at=datetime.datetime(2026, 1, 1)
        )

    changes = [
        change(Stage.IN_REACH, datetime.date(2026, 1, 1)),
        change(Stage.COMMUNITY, datetime.date(2026, 3, 1)),
        change(Stage.IN_REACH, datetime.date(2026, 6, 1)),
        change(Stage.COMMUNITY, datetime.date(2026, 7, 1)),
    ]
    durations = dict(selectors.time_in_stages(changes, today))
    assert durations["In-reach (in custody)"] == 59 + 30
    assert durations["Community"] == 92 + 145


def test_release_marks_the_release_day_plan_as_used(participant, personas):
    from participants.models import ReleasePlan

    plan = ReleasePlan.objects.create(participant=participant, collected_by="Sarah, 08:00")
    change = move(participant, personas["offender_manager"], Kind.RELEASED, days=5)
    plan.refresh_from_db()
    assert plan.release == change


def test_waiting_list_man_is_offered_a_place_only_when_one_is_free(personas, service):
    from tests.factories import ParticipantFactory

    service.funded_custody_places = 1
    service.save()
    ParticipantFactory(service=service, stage=Stage.IN_REACH)
    waiting = ParticipantFactory(service=service, stage=Stage.WAITING, stage_since=days_ago(30))
    with pytest.raises(ValidationError, match="funded custody places are taken"):
        move(waiting, personas["service_manager"], Kind.OFFERED_PLACE)
    service.funded_custody_places = 2
    service.save()
    move(waiting, personas["service_manager"], Kind.OFFERED_PLACE)
    waiting.refresh_from_db()
    assert waiting.stage == Stage.IN_REACH


def post_stage(client, participant, kind, day, **extra):
    return client.post(
        reverse("participants:change_stage", args=[participant.pk, kind]),
        {"effective_on_day": day.day, "effective_on_month": day.month,
         "effective_on_year": day.year, **extra},
    )  # fmt: skip


def test_recording_a_release_in_the_browser_form(client_for, personas, participant):
    response = post_stage(client_for(personas["keyworker"]), participant, "released", days_ago(2))
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.stage == Stage.COMMUNITY


def test_impossible_move_shows_the_message_on_the_form(client_for, personas, participant):
    response = post_stage(client_for(personas["keyworker"]), participant, "moved_on", days_ago(2))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Move-on follows the community stage" in body
    participant.refresh_from_db()
    assert participant.stage == Stage.IN_REACH


def test_only_the_offender_manager_or_service_manager_records_a_recall(
    client_for, personas, participant
):
    services.change_stage(
        participant=participant, actor=personas["offender_manager"], kind=Kind.RELEASED,
        effective_on=days_ago(20),
    )  # fmt: skip
    data = {"recall_type": "standard", "reason": "Arrested"}
    keyworker = post_stage(
        client_for(personas["keyworker"]), participant, "recalled", days_ago(1), **data
    )
    assert keyworker.status_code == 403
    om = post_stage(
        client_for(personas["offender_manager"]), participant, "recalled", days_ago(1), **data
    )
    assert om.status_code == 302
    participant.refresh_from_db()
    assert participant.stage == Stage.IN_REACH


def test_unknown_stage_kind_is_not_found(client_for, personas, participant):
    response = client_for(personas["keyworker"]).get(
        reverse("participants:change_stage", args=[participant.pk, "teleported"])
    )
    assert response.status_code == 404


def test_a_record_with_no_stage_history_has_no_time_in_stages():
    assert selectors.time_in_stages([], datetime.date(2026, 8, 1)) == []
