"""What every page of a participant's record shows: identity bar, sub-navigation, rights.

Other apps add their tabs with `register_tab`, so this app never needs to know them.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from resettle import access
from resettle.accounts.roles import ALLOCATABLE_ROLES, Role

from . import clock, selectors, services
from .access import may_ask_temporary_access, may_change, may_recall
from .models import Participant, Stage, StageChange


@dataclass(frozen=True)
class RecordTab:
    key: str
    label: str
    url_name: str
    order: int


_TABS: list[RecordTab] = [
    RecordTab("overview", "Overview", "participants:overview", 10),
    RecordTab("timeline", "Timeline", "participants:timeline", 20),
    RecordTab("history", "History", "participants:history", 90),
]


def register_tab(tab: RecordTab) -> None:
    if all(existing.key != tab.key for existing in _TABS):
        _TABS.append(tab)
        _TABS.sort(key=lambda t: t.order)


def record_context(request, participant: Participant, *, tab: str, with_overview=False) -> dict:
    user = request.user
    context = {
        "participant": participant,
        "tabs": [
            {
                "label": t.label,
                "url": reverse(t.url_name, args=[participant.pk]),
                "current": t.key == tab,
            }
            for t in _TABS
        ],
        "may_change": may_change(user, participant),
        "may_manage": access.is_service_manager_of(user, participant.service_id),
        "may_recall": may_recall(user, participant),
        "may_ask_temporary_access": may_ask_temporary_access(user, participant),
        "today_date": timezone.localdate(),
    }
    if with_overview:
        context.update(overview_context(participant))
    return context


def overview_context(participant: Participant) -> dict:
    today = timezone.localdate()
    changes = list(participant.stage_changes.select_related("recorded_by"))
    licence = participant.licences.prefetch_related("conditions").order_by("-starts_on").first()
    release_plan = selectors.open_release_plan(participant) or (
        participant.release_plans.order_by("-pk").first()
    )
    moves = services.moves_available(participant)
    team = selectors.current_team(participant)
    return {
        "today": today,
        "age": participant.age_on(today),
        "team": team,
        "team_roles": [(role, Role(role).label) for role in ALLOCATABLE_ROLES],
        "team_missing": team_missing(participant, team),
        "contacts": list(participant.contacts.all()),
        "goals": list(participant.goals.all()),
        "licence": licence,
        "conditions": list(licence.conditions.all()) if licence else [],
        "needs": {need.pathway: need for need in participant.pathway_needs.all()},
        "pathways": selectors.pathway_rows(participant),
        "snapshots": list(participant.outcome_snapshots.all()[:5]),
        "stage_changes": list(reversed(changes)),
        "time_in_stages": selectors.time_in_stages(changes, today),
        "release_plan": release_plan,
        "moves": [(kind, StageChange.Kind(kind).label) for kind in moves],
        "referral": getattr(participant, "referral", None),
        "clock": clock.summary(
            participant, clock.stage_history_of(participant, changes), licence, today
        ),
    }


def team_missing(participant: Participant, team: dict) -> str:
    """The roles of his team no one holds, in words ("offender manager and psychologist"), while
    he is with the service; "" once his team is complete or his time has ended."""
    if participant.stage == Stage.ENDED:
        return ""
    missing = [Role(role).label.lower() for role in ALLOCATABLE_ROLES if role not in team]
    if len(missing) <= 1:
        return "".join(missing)
    return ", ".join(missing[:-1]) + " or " + missing[-1]
