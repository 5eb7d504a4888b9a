"""Twelve weeks of realistic attendance, today's sessions, notes, and one man nearing the
recall-review threshold."""

import datetime

from django.utils import timezone

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


def seed_sessions(demo_services) -> None:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    for key, service in demo_services.items():
        if Session.objects.filter(service=service).exists():
            continue
        keyworker = User.objects.get(email=demo_email("keyworker", key))
        colleague = User.objects.get(email=demo_email("keyworker2", key))
        people = list(
            Participant.objects.filter(
                service=service, stage__in=[Stage.COMMUNITY, Stage.MOVE_ON]
            ).order_by("family_name")
        )
        if not people:
            continue
        nearing = people[0]
        session_index = 0
        for week in range(WEEKS, 0, -1):
            week_start = monday - datetime.timedelta(weeks=week)
            for offset, title in ((1, "Tuesday community group"), (3, "Thursday cooking group")):
                day = week_start + datetime.timedelta(days=offset)
                session = services.create_session(
                    service=service, actor=keyworker, session_type="group", title=title,
                    starts_at=_at(day, 10), ends_at=_at(day, 12), location_kind="centre",
                    staff=[keyworker, colleague], participants=people,
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
