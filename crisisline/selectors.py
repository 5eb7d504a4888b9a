"""Reads for the crisis line: find a person fast, the one-page summary, the handover."""

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from participants.identifiers import normalise
from participants.models import Contact, LicenceCondition, Participant
from resettle.access import access_for
from resettle.accounts.roles import CASE_ROLES, Role

from .access import calls_visible_to, crisis_participants_for
from .handover import HandoverWindow, handover_window
from .models import URGENCY_ORDER, BankHoliday, CrisisCall

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
        "contacts": list(participant.contacts.all()),
        "conditions": conditions,
        "recent_calls": list(
            participant.crisis_calls.select_related("recorded_by").order_by("-started_at")[:5]
        ),
    }


def bank_holidays() -> set:
    return set(BankHoliday.objects.values_list("date", flat=True))


def handover(user, now=None) -> dict:
    """Calls in the out-of-hours window, grouped by participant, most urgent first, plus
    follow-ups from before the window still not acknowledged."""
    now = now or timezone.now()
    window: HandoverWindow = handover_window(now, bank_holidays())
    # The day team's handover: only services where this person is part of the day team.
    visible = calls_visible_to(user, roles=CASE_ROLES)
    in_window = visible.filter(started_at__gte=window.starts, started_at__lt=window.ends)
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
    return {
        "window": window,
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
