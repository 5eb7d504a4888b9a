"""Reads: my day, outcomes missing, a participant's sessions, risk concerns for the OM."""

import datetime

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from participants.access import may_recall
from participants.timeline import may_read
from resettle import access
from resettle.access import access_for
from resettle.accounts.roles import Role

from .models import Attendance, NoteAddendum, OutcomeCorrection, Session, SessionNote

OUTCOME_MISSING_DAYS = 30


def _with_attendances(sessions, user):
    attendances = (
        access.access_for(user)
        .without_exclusions(
            Attendance.objects.select_related("participant"), participant_field="participant_id"
        )
        .order_by("participant__family_name", "participant__given_name")
    )
    return sessions.prefetch_related(Prefetch("attendances", queryset=attendances))


def _sessions_of(user):
    """Sessions this member of staff runs, in the services they work in (staff are always of
    the session's service): the service narrows a national table by index before the staff."""
    return Session.objects.filter(
        service_id__in={m.service_id for m in access.memberships_of(user)}, staff=user
    )


def my_day(user, day: datetime.date | None = None) -> list[Session]:
    day = day or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    sessions = list(
        _with_attendances(
            _sessions_of(user).filter(
                starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1)
            ),
            user,
        ).order_by("starts_at")
    )
    if access_for(user).has_exclusions:
        # His rows are left out; a session only with men they are excluded from, too.
        sessions = [session for session in sessions if session.attendances.all()]
    return sessions


def outcomes_missing(user, now=None) -> list[Session]:
    """Sessions of this member of staff that have ended with someone's outcome not recorded."""
    now = now or timezone.now()
    # Only about men they may see: an entry only about a man they are excluded from is left out.
    missing = access_for(user).without_exclusions(
        Attendance.objects.filter(session=OuterRef("pk"), outcome=""),
        participant_field="participant_id",
    )
    return list(
        Session.objects.filter(
            staff=user,
            ends_at__lte=now,
            ends_at__gte=now - datetime.timedelta(days=OUTCOME_MISSING_DAYS),
        )
        .filter(Exists(missing))
        .order_by("-starts_at")[:50]
    )


def participant_sessions(participant):
    """His sessions, newest first (the page shows them a page at a time)."""
    corrections = OutcomeCorrection.objects.select_related("corrected_by")
    return (
        participant.attendances.select_related("session")
        .prefetch_related(Prefetch("corrections", queryset=corrections))
        .order_by("-session_starts_at", "-pk")
    )


def _show_concerns(user, notes: list[SessionNote], *, alerted: bool = False) -> None:
    """What each note's risk concern shows this reader (`concern_text`: the concern itself
    to those who may read the note, else what the offender manager needs to know, which all
    his team may read), and whether "Mark as seen" is offered beside it (`may_mark_seen`, his
    offender manager or the service manager, while unseen; `alerted`: the notes are their
    alerts already) with the fingerprint of the text shown (`seen_token`)."""
    readable: dict = {}
    for note in notes:
        if not note.risk_concern:
            continue
        key = (note.participant_id, note.visibility)
        if key not in readable:
            readable[key] = may_read(user, note.participant, note.visibility)
        note.concern_readable = readable[key]
        note.concern_text = note.concern_for(note.concern_readable)
        note.seen_token = SessionNote.fingerprint(note.concern_text)
        note.may_mark_seen = note.risk_concern_seen_at is None and (
            alerted or may_recall(user, note.participant)
        )


def notes_for(user, participant, sessions: list[Session]) -> list[SessionNote]:
    """His notes on these sessions (the ones the page already holds), newest first, with
    restricted ones marked: others see that they exist, not what they say."""
    by_id = {session.pk: session for session in sessions}
    addenda = NoteAddendum.objects.select_related("author")
    notes = list(
        participant.session_notes.filter(session_id__in=by_id)
        .select_related("author", "risk_concern_seen_by")
        .prefetch_related(Prefetch("addenda", queryset=addenda))
        .order_by("-created_at")
    )
    readable = {}
    for note in notes:
        if note.visibility not in readable:
            readable[note.visibility] = may_read(user, participant, note.visibility)
        note.restricted = not readable[note.visibility]
        note.session = by_id[note.session_id]
        note.participant = participant
    _show_concerns(user, notes)
    return notes


def session_notes(user, session: Session) -> list[SessionNote]:
    """The notes on a session, restricted ones marked; notes about a man they are excluded
    from are not listed at all (not even as restricted)."""
    notes = list(
        access_for(user)
        .without_exclusions(session.notes.all(), participant_field="participant_id")
        .select_related("author", "participant", "risk_concern_seen_by")
        .prefetch_related("addenda__author")
    )
    cache = {}
    for note in notes:
        key = note.visibility
        if key not in cache:
            cache[key] = may_read(user, note.participant, key)
        note.restricted = not cache[key]
    _show_concerns(user, notes)
    return notes


def risk_concerns_for(user) -> list[SessionNote]:
    """Unseen risk concerns about the men whose offender manager they are (in his team now)."""
    access = access_for(user)
    concerns = access.without_exclusions(
        SessionNote.objects.all(), participant_field="participant_id"
    )
    notes = list(
        concerns.filter(
            access.in_team("participant_id"),
            risk_concern__gt="",
            risk_concern_seen_at__isnull=True,
            participant__service_id__in=access.service_ids([Role.OFFENDER_MANAGER]),
        )
        .select_related("participant", "author", "session")
        .order_by("-created_at")[:20]
    )
    _show_concerns(user, notes, alerted=True)
    return notes


def enforcement_prompts_for(user) -> list:
    """Men allocated to this offender manager whose absences call for a decision, each with
    both measures over the last four full weeks: a fixed number of reads however many men."""
    from participants.models import Participant, Stage

    from .compliance import compliance_rates, days_by_man, enforcement_prompts

    access = access_for(user)
    people = list(
        Participant.objects.visible_to(access).filter(
            access.in_team(),
            Exists(
                Attendance.objects.filter(
                    participant=OuterRef("pk"), outcome="unacceptable_absence"
                )
            ),
            service_id__in=access.service_ids([Role.OFFENDER_MANAGER]),
            stage__in=[Stage.COMMUNITY, Stage.MOVE_ON],
        )
    )
    found = enforcement_prompts(people)
    prompts = [(person, found[person.pk]) for person in people if person.pk in found]
    if not prompts:
        return prompts
    # Both measures beside each prompt, over the last four full weeks (one read for each).
    today = timezone.localdate()
    last_sunday = today - datetime.timedelta(days=today.weekday() + 1)
    first_monday = last_sunday - datetime.timedelta(days=27)
    prompted = [p for p, _ in prompts]
    days = days_by_man(
        Participant.objects.filter(pk__in=[p.pk for p in prompted]), first_monday, last_sunday
    )
    rates = compliance_rates(prompted, first_monday, last_sunday)
    for person, _prompt in prompts:
        person.recent_days = days[person.pk]
        person.recent_sessions = rates[person.pk]
    return prompts
