"""Reads for the crisis line: find a person fast, the one-page summary, the handover."""

import datetime
from functools import reduce
from operator import or_

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from participants.identifiers import normalise
from participants.models import Contact, LicenceCondition, Participant
from resettle.access import access_for
from resettle.accounts.roles import CASE_ROLES, Role

from .access import calls_visible_to, crisis_participants_for
from .handover import HandoverWindow, handover_window
from .models import URGENCY_ORDER, BankHoliday, CrisisCall, ServiceClosureDay

SEARCH_LIMIT = 20
# Conditions a crisis-line worker must know about when a man calls at night.
CRISIS_CONDITION_CATEGORIES = ("exclusion_zone", "non_contact", "curfew", "residence")


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def search(user, query: str) -> list[Participant]:
    """Name, preferred name, any identifier, or a phone number on record (his or a contact's)."""
    query = query.strip()
    if len(query) < 2:
        return []
    condition = Q()
    for word in query.split():
        condition &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    identifier = normalise(query)
    condition |= (
        Q(prison_number=identifier)
        | Q(crn=identifier)
        | Q(pnc_number=identifier)
        | Q(nhs_number=identifier)
    )
    digits = _digits(query)
    if len(digits) >= 6:
        # Phone numbers are stored as typed; compare on the last digits, spaces ignored.
        tail = digits[-6:]
        condition |= Q(phone_digits__endswith=tail) | Exists(
            Contact.objects.alias(phone_digits=_phone_digits_expression("phone")).filter(
                participant=OuterRef("pk"), phone_digits__endswith=tail
            )
        )
    return list(
        crisis_participants_for(user)
        .alias(phone_digits=_phone_digits_expression("phone"))
        .filter(condition)
        .select_related("service")
        .order_by("family_name", "given_name")[:SEARCH_LIMIT]
    )


def _phone_digits_expression(field: str):
    from django.db.models import Value
    from django.db.models.functions import Replace

    expression = Replace(field, Value(" "), Value(""))
    for character in ("-", "(", ")", "+"):
        expression = Replace(expression, Value(character), Value(""))
    return expression


def crisis_summary(participant: Participant) -> dict:
    from riskplans.models import PlanStatus

    today = timezone.localdate()
    assessment = participant.risk_assessments.first()
    plan = participant.risk_plans.filter(status=PlanStatus.APPROVED).first()
    team = {
        a.role: a.staff
        for a in participant.allocations.filter(ended_on__isnull=True).select_related("staff")
    }
    conditions = [
        condition
        for condition in LicenceCondition.objects.filter(
            licence__participant=participant, category__in=CRISIS_CONDITION_CATEGORIES
        ).order_by("category")
        if condition.is_active_on(today)
    ]
    return {
        "assessment": assessment,
        "plan": plan,
        "offender_manager": team.get(Role.OFFENDER_MANAGER),
        "keyworker": team.get(Role.HEALTH_KEYWORKER),
        "psychologist": team.get(Role.PSYCHOLOGIST),
        # "Who to call": each of his team, with the work phone the crisis line rings.
        "team": [
            ("Keyworker", team.get(Role.HEALTH_KEYWORKER)),
            ("Offender manager", team.get(Role.OFFENDER_MANAGER)),
            ("Psychologist", team.get(Role.PSYCHOLOGIST)),
        ],
        "contacts": list(participant.contacts.all()),
        "conditions": conditions,
        "recent_calls": list(
            participant.crisis_calls.select_related("recorded_by").order_by("-started_at")[:5]
        ),
    }


def non_working_days_of(service_ids) -> dict[int, set[datetime.date]]:
    """Each service's days without a day team: every England and Wales bank holiday and the
    service's own closure days. One query for any number of services."""
    service_ids = set(service_ids)
    national = BankHoliday.objects.annotate(
        service=Value(None, output_field=IntegerField())
    ).values_list("service", "date")
    own = ServiceClosureDay.objects.filter(service_id__in=service_ids).values_list(
        "service_id", "date"
    )
    days: dict[int, set[datetime.date]] = {service_id: set() for service_id in service_ids}
    bank_holidays: set[datetime.date] = set()
    for service_id, day in national.union(own, all=True):
        (bank_holidays if service_id is None else days[service_id]).add(day)
    for own_days in days.values():
        own_days |= bank_holidays
    return days


def non_working_days(service_id: int) -> set[datetime.date]:
    """One service's days without a day team (see non_working_days_of)."""
    return non_working_days_of([service_id])[service_id]


def handover_windows(service_ids, now) -> dict[HandoverWindow, list[int]]:
    """The out-of-hours period each service hands over from, services with the same period
    together: a closure day of one service lengthens its own window, no one else's."""
    windows: dict[HandoverWindow, list[int]] = {}
    for service_id, days in sorted(non_working_days_of(service_ids).items()):
        windows.setdefault(handover_window(now, days), []).append(service_id)
    return windows


def handover(user, now=None) -> dict:
    """Calls in each of their services' out-of-hours window, grouped by participant, most
    urgent first, plus follow-ups from before the window still not acknowledged."""
    now = now or timezone.now()
    access = access_for(user)
    # The day team's handover: only services where this person is part of the day team.
    day_team = access.services(CASE_ROLES)
    windows = handover_windows({service.pk for service in day_team}, now)
    visible = calls_visible_to(access, roles=CASE_ROLES)
    in_window = visible.filter(
        reduce(
            or_,
            (
                Q(service_id__in=ids, started_at__gte=window.starts, started_at__lt=window.ends)
                for window, ids in windows.items()
            ),
            Q(pk__in=[]),
        )
    )
    # Every follow-up still waiting, whenever the call was, until the day team acts.
    waiting = visible.filter(follow_up_required=True, acknowledged_at__isnull=True)
    # A union of the two, not an OR: each is an index range, where the OR read every call of
    # the service and joined every man in the database.
    either = in_window.order_by().values("pk").union(waiting.order_by().values("pk"))
    calls = list(
        visible.filter(pk__in=either).select_related(
            "participant", "recorded_by", "acknowledged_by"
        )
    )
    groups: dict = {}
    for call in calls:
        groups.setdefault(call.participant_id, {"participant": call.participant, "calls": []})[
            "calls"
        ].append(call)
    for group in groups.values():
        group["calls"].sort(key=lambda c: (URGENCY_ORDER.get(c.urgency, 9), c.started_at))
        group["most_urgent"] = URGENCY_ORDER.get(group["calls"][0].urgency, 9)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g["most_urgent"], g["participant"] is None, g["calls"][0].started_at),
    )
    names = {service.pk: service.name for service in day_team}
    return {
        "window": next(iter(windows), None),
        # With services on different windows (one has a closure day), each says its own.
        "windows": [
            (window, [names[service_id] for service_id in ids])
            for window, ids in sorted(windows.items(), key=lambda item: item[0].starts)
        ],
        "groups": ordered,
        "unacknowledged": sum(1 for c in calls if c.awaiting_follow_up),
    }


def unacknowledged_follow_ups(user, *, allocated_only: bool) -> QuerySet[CrisisCall]:
    calls = calls_visible_to(user, roles=CASE_ROLES).filter(
        follow_up_required=True, acknowledged_at__isnull=True
    )
    if allocated_only:
        # Exists, not a join: each call once, so the panel counts them in the same query.
        calls = calls.filter(access_for(user).in_team("participant_id"))
    # Emergency first, then urgent, concerning and routine; the newest first within each.
    rank = Case(
        *(When(urgency=urgency, then=Value(n)) for urgency, n in URGENCY_ORDER.items()),
        default=Value(9),
    )
    return calls.select_related("participant").order_by(rank, "-started_at")


# How a history row's kind reads on the pages that list changes.
_CHANGE_WORDS = {"+": "Added", "~": "Changed", "-": "Removed"}


def _changes(history: QuerySet, label: str, limit: int) -> list[dict]:
    rows = history.select_related("history_user").order_by("-history_date", "-history_id")
    return [
        {
            "what": _CHANGE_WORDS.get(row.history_type, row.history_type),
            "row": row,
            "label": getattr(row, label),
            "by": row.history_user.full_name if row.history_user else "The system",
            "when": row.history_date,
        }
        for row in rows[:limit]
    ]


def bank_holiday_changes(limit: int = 20) -> list[dict]:
    """The latest changes to the bank holidays: what, who and when, newest first."""
    return _changes(BankHoliday.history.all(), "name", limit)


def closure_day_changes(service_id: int, limit: int = 20) -> list[dict]:
    return _changes(ServiceClosureDay.history.filter(service_id=service_id), "reason", limit)


def days_from_start_of_year(queryset: QuerySet) -> QuerySet:
    """The days a keeper looks at: this year's and every later one."""
    return queryset.filter(date__gte=timezone.localdate().replace(month=1, day=1))
