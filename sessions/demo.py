"""Twelve weeks of realistic attendance, today's sessions (one waiting for its register), notes,
one man nearing the recall-review threshold and one attending 2 of his 4 expected days."""

import datetime

from django.utils import timezone

from participants.clock import stage_history_of
from participants.models import Participant, Stage
from resettle.accounts.models import User
from resettle.core.demo import demo_email

from . import services
from .models import Outcome, Session, SessionNote

WEEKS = 12


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _outcome_for(
    person_index: int, session_index: int, nearing_threshold: bool, week: int
) -> tuple[str, str]:
    if nearing_threshold and week == 3 and session_index % 2 == 0:
        return Outcome.UNACCEPTABLE_ABSENCE, ""
    pattern = (session_index + person_index * 3) % 17
    if pattern == 5:
        return Outcome.LATE, ""
    if pattern == 9:
        return Outcome.ACCEPTABLE_ABSENCE, "medical"
    if pattern == 13:
        return Outcome.CANCELLED_BY_SERVICE, ""
    return Outcome.ATTENDED, ""


# Four days a week, as the demo plans expect. One man comes only on Tuesdays and Thursdays: he
# attends 2 of his 4 expected days, every session he is booked on, so his session compliance is
# high while his days fall short, and the Sessions tab shows both.
WEEKLY = (
    (0, "Monday allotment group"),
    (1, "Tuesday community group"),
    (2, "Wednesday employment workshop"),
    (3, "Thursday cooking group"),
)
HALF_DAYS = (1, 3)


def seed_sessions(demo_services) -> None:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    for key, service in demo_services.items():
        if Session.objects.filter(service=service).exists():
            continue
        keyworker = User.objects.get(email=demo_email("keyworker", key))
        colleague = User.objects.get(email=demo_email("keyworker2", key))
        # Everyone on licence at some point of the twelve weeks (a man recalled last week, or
        # whose time with the service ended, came until then): each is booked only on the
        # days he was on licence.
        men = list(
            Participant.objects.filter(service=service)
            .exclude(stage=Stage.WAITING)
            .order_by("family_name")
        )
        histories = {man.pk: stage_history_of(man) for man in men}
        people = [man for man in men if man.stage in (Stage.COMMUNITY, Stage.MOVE_ON)]
        if not people:
            continue
        nearing = people[0]
        half = [man for man in people if man.stage == Stage.COMMUNITY][-1]
        session_index = 0
        for week in range(WEEKS, 0, -1):
            week_start = monday - datetime.timedelta(weeks=week)
            for offset, title in WEEKLY:
                day = week_start + datetime.timedelta(days=offset)
                booked = [
                    man
                    for man in men
                    if histories[man.pk].on_licence_on(day) and (man != half or offset in HALF_DAYS)
                ]
                if not booked:
                    continue
                session = services.create_session(
                    service=service, actor=keyworker, session_type="group", title=title,
                    starts_at=_at(day, 10), ends_at=_at(day, 12), location_kind="centre",
                    staff=[keyworker, colleague], participants=booked,
                )  # fmt: skip
                for person_index, attendance in enumerate(
                    session.attendances.select_related("participant")
                ):
                    outcome, reason = _outcome_for(
                        person_index, session_index, attendance.participant == nearing, week
                    )
                    services.record_outcome(
                        attendance=attendance,
                        outcome=outcome,
                        absence_reason=reason,
                        actor=keyworker,
                    )
                session_index += 1
        # Earlier today: a group whose register is still to be taken.
        now = timezone.localtime().replace(second=0, microsecond=0)
        morning = max(now - datetime.timedelta(hours=2), now.replace(hour=0, minute=0))
        morning_group = services.create_session(
            service=service, actor=keyworker, session_type="group", title="Morning check-in group",
            starts_at=morning, ends_at=morning + datetime.timedelta(hours=1), location_kind="centre",
            staff=[keyworker, colleague], participants=people,
        )  # fmt: skip
        # A key-work session that has ended without an outcome, and a group still to come.
        now = timezone.localtime().replace(second=0, microsecond=0)
        earlier, later = now - datetime.timedelta(hours=3), now + datetime.timedelta(hours=2)
        services.create_session(
            service=service, actor=keyworker, session_type="keywork", title="Key-work",
            starts_at=earlier, ends_at=earlier + datetime.timedelta(minutes=45), location_kind="centre",
            staff=[keyworker], participants=[people[-1]],
        )  # fmt: skip
        services.create_session(
            service=service, actor=keyworker, session_type="group", title="Evening group",
            starts_at=later, ends_at=later + datetime.timedelta(minutes=90), location_kind="centre",
            staff=[keyworker, colleague], participants=people,
        )  # fmt: skip
        last_group = (
            Session.objects.filter(
                service=service, session_type="group", starts_at__lt=timezone.now()
            )
            .exclude(pk=morning_group.pk)
            .order_by("-starts_at")
            .first()
        )
        if last_group is not None:
            services.add_note(
                session=last_group, participant=people[0], actor=keyworker,
                note=SessionNote(
                    summary="Quiet in group; spoke afterwards about his ex-partner",
                    narrative="Said he had been drinking at the weekend. Agreed to see his GP.",
                    pathways=["drugs_alcohol", "family"], visibility="health",
                    risk_concern="Mentions wanting to see his ex-partner despite the non-contact condition",
                    risk_concern_shared="He spoke of wanting to contact his ex-partner (non-contact condition): please call Aisha today",
                ),
            )  # fmt: skip
