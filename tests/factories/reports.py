"""Builders for the records reports count: moves between stages, sessions with outcomes,
crisis calls and outcome snapshots, each made through the real service functions."""

import datetime

from django.utils import timezone

from crisisline import services as crisis_services
from crisisline.models import CallerType, CrisisCall
from participants import services as participant_services
from participants.models import OutcomeSnapshot, Participant
from sessions import services as session_services
from sessions.models import Outcome, Session

from .participants import ReferralFactory


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A time on `day` in the service's own (London) time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def accepted_on(*, service, manager, day: datetime.date, **referral_fields) -> Participant:
    """A man whose referral (received ten days before) was accepted on `day`."""
    referral = ReferralFactory(
        service=service,
        received_on=day - datetime.timedelta(days=10),
        created_by=manager,
        **referral_fields,
    )
    return participant_services.accept_referral(referral=referral, actor=manager, decided_on=day)


def move(participant: Participant, actor, kind: str, day: datetime.date, **details):
    """A change of stage (release, recall, move-on, ending...) dated `day`."""
    change = participant_services.change_stage(
        participant=participant, actor=actor, kind=kind, effective_on=day, **details
    )
    participant.refresh_from_db()
    return change


def session_with_outcomes(
    *,
    service,
    actor,
    starts_at: datetime.datetime,
    outcomes: dict,
    enforceable: bool = True,
    title: str = "",
) -> Session:
    """One session for several men and each man's outcome.

    `outcomes` maps a participant to an outcome, or to (outcome, absence reason).
    """
    session = session_services.create_session(
        service=service,
        actor=actor,
        session_type="group",
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        location_kind="centre",
        enforceable=enforceable,
        participants=list(outcomes),
    )
    by_man = {a.participant_id: a.pk for a in session.attendances.all()}
    register = {}
    for participant, value in outcomes.items():
        outcome, reason = value if isinstance(value, tuple) else (value, "")
        rescheduled_by = "service" if outcome == Outcome.RESCHEDULED else ""
        register[by_man[participant.pk]] = (outcome, reason, rescheduled_by)
    session_services.record_register(session=session, actor=actor, outcomes=register)
    return session


def attendance(
    *, service, actor, participant, starts_at, outcome, reason="", enforceable=True, title=""
):
    """One man's outcome at a session of his own; returns the attendance."""
    session = session_with_outcomes(
        service=service,
        actor=actor,
        starts_at=starts_at,
        outcomes={participant: (outcome, reason)},
        enforceable=enforceable,
        title=title,
    )
    return session.attendances.get()


def crisis_call(*, service, actor, started_at: datetime.datetime, urgency: str) -> CrisisCall:
    return crisis_services.log_call(
        call=CrisisCall(
            service=service,
            started_at=started_at,
            ended_at=started_at + datetime.timedelta(minutes=12),
            caller_type=CallerType.UNKNOWN,
            presenting_issue="Could not sleep, wanted to talk",
            urgency=urgency,
        ),
        actor=actor,
    )


def outcome_snapshot(
    participant, actor, *, point: str, day: datetime.date, accommodation: str, occupation: str
) -> OutcomeSnapshot:
    return participant_services.record_outcome_snapshot(
        participant=participant,
        actor=actor,
        snapshot=OutcomeSnapshot(
            point=point, taken_on=day, accommodation=accommodation, occupation=occupation
        ),
    )
