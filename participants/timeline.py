"""The participant's timeline: any app records events here; the record page reads them.

Apps call `record_event` inside the transaction of their own change, so the timeline never
shows something that did not happen, nor misses something that did.
"""

import datetime

from django.utils import timezone
from django.utils.text import Truncator

from resettle import access
from resettle.accounts.roles import Agency

from .models import Participant, TimelineEvent

Visibility = TimelineEvent.Visibility


def record_event(
    *,
    participant: Participant,
    category: str,
    title: str,
    actor=None,
    detail: str = "",
    occurred_at: datetime.datetime | None = None,
    visibility: str = Visibility.SHARED,
    link: str = "",
) -> TimelineEvent:
    # Titles quote what staff typed (a call's presenting issue may be 300 characters): the
    # entry says the start, and its link or detail leads to the whole record.
    title_length = TimelineEvent._meta.get_field("title").max_length
    return TimelineEvent.objects.create(
        participant=participant,
        category=category,
        title=Truncator(title).chars(title_length),
        detail=detail,
        occurred_at=occurred_at or timezone.now(),
        visibility=visibility,
        actor=actor,
        link=link,
    )


def at_start_of_day(day: datetime.date) -> datetime.datetime:
    """An event dated by a day (e.g. a release) sorts at 09:00 London time that day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))


def may_read(user, participant: Participant, visibility: str) -> bool:
    """Health-only content is for NHS staff; probation-only for probation staff."""
    if visibility == Visibility.SHARED:
        return True
    agency = access.agency_in_service(user, participant.service_id)
    if visibility == Visibility.HEALTH:
        return agency == Agency.HEALTH
    return agency == Agency.PROBATION


def timeline_for(user, participant: Participant, *, category: str = ""):
    """Events newest first; restricted ones carry `restricted=True` and no content."""
    events = participant.timeline_events.select_related("actor").order_by(
        "-occurred_at", "-recorded_at"
    )
    if category:
        events = events.filter(category=category)
    return events


def redact_for(user, participant: Participant, events) -> list[TimelineEvent]:
    readable = {
        visibility: may_read(user, participant, visibility) for visibility in Visibility.values
    }
    shown = []
    for event in events:
        event.restricted = not readable[event.visibility]
        if event.restricted:
            event.title = f"Restricted entry ({event.get_visibility_display().lower()})"
            event.detail = ""
            event.link = ""
        shown.append(event)
    return shown


# What the timeline can be narrowed to (its events' categories), as its filter offers them.
TIMELINE_CATEGORIES = (
    ("stage", "Stage changes"),
    ("risk", "Risk and plans"),
    ("session", "Sessions"),
    ("note", "Notes"),
    ("enforcement", "Enforcement"),
    ("crisis", "Crisis calls"),
    ("licence", "Licence"),
    ("allocation", "Team"),
    ("needs", "Pathway needs"),
    ("goal", "Goals"),
    ("access", "Access to the record"),
)
