"""Reads: caseload lists, capacity, stage durations. Lists are always user-scoped."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import zip_longest

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from resettle import access
from resettle.accounts.models import Service
from resettle.accounts.roles import ALLOCATABLE_ROLES, Role

from . import clock
from .identifiers import normalise
from .models import (
    Allocation,
    Exclusion,
    Licence,
    Participant,
    Referral,
    ReleasePlan,
    Stage,
    StageChange,
)

CUSTODY_STAGES = (Stage.IN_REACH,)
COMMUNITY_STAGES = (Stage.COMMUNITY, Stage.MOVE_ON)


def custody_places_free(service: Service) -> int:
    used = Participant.objects.filter(service=service, stage__in=CUSTODY_STAGES).count()
    return service.funded_custody_places - used


def open_release_plan(participant: Participant) -> ReleasePlan | None:
    return participant.release_plans.filter(release__isnull=True).order_by("-pk").first()


def current_team(participant: Participant) -> dict[str, Allocation]:
    allocations = participant.allocations.filter(ended_on__isnull=True).select_related("staff")
    return {allocation.role: allocation for allocation in allocations}


# --- Caseload -----------------------------------------------------------------------------

SORTS = {
    "name": ("family_name", "given_name"),
    "-name": ("-family_name", "-given_name"),
    "stage": ("stage", "family_name"),
    "-stage": ("-stage", "family_name"),
    "since": ("stage_since", "family_name"),
    "-since": ("-stage_since", "family_name"),
    "review": ("plan_review_due_on", "family_name"),
    "-review": ("-plan_review_due_on", "family_name"),
    # RoSH: low to very high; not assessed first when ascending, last when descending.
    "rosh": ("rosh_rank", "family_name"),
    "-rosh": ("-rosh_rank", "family_name"),
}
ROSH_RANK = {"low": 1, "medium": 2, "high": 3, "very_high": 4}


def _rosh_rank() -> Case:
    return Case(
        *(When(highest_rosh=level, then=Value(n)) for level, n in ROSH_RANK.items()),
        default=Value(0),
    )


def _unapproved_plan_status() -> Subquery:
    """The status of his newest plan while it waits (draft, submitted or returned): a man
    with no approved plan yet is not "No plan" when one is being written. The plan model is
    looked up by name, so this app does not import riskplans."""
    plans = apps.get_model("riskplans", "RiskManagementPlan").objects.filter(
        participant_id=OuterRef("pk"), status__in=("draft", "submitted", "returned")
    )
    return Subquery(plans.order_by("-number").values("status")[:1])


# A caseload filter beside the stages: men back in custody after a recall (in-reach too).
RECALLED = "recalled"


@dataclass(frozen=True)
class CaseloadFilters:
    mine: bool = False
    stage: str = ""
    keyworker: str = ""
    query: str = ""
    risk: str = ""
    review_overdue: bool = False
    sort: str = "name"


def caseload(user, filters: CaseloadFilters) -> QuerySet[Participant]:
    """Participants the user may see, filtered and sorted; team members prefetched."""
    current = Allocation.objects.filter(ended_on__isnull=True).select_related("staff")
    return (
        caseload_rows(user, filters)
        .select_related("service")
        .prefetch_related(Prefetch("allocations", queryset=current, to_attr="team"))
    )


def caseload_rows(user, filters: CaseloadFilters) -> QuerySet[Participant]:
    """The same men, filtered and sorted, without their teams (for a list of names)."""
    participants = Participant.objects.visible_to(user)
    if filters.mine:
        # Allocations exist only where he holds an allocatable role: with none (a service
        # manager), the list is known to be empty and the database is not asked.
        allocatable_services = access.service_ids_for(user, ALLOCATABLE_ROLES)
        if not allocatable_services:
            return Participant.objects.none()
        participants = participants.filter(
            access.access_for(user).in_team(), service_id__in=allocatable_services
        )
    if filters.stage == RECALLED:
        participants = participants.filter(stage=Stage.IN_REACH).exclude(recall_type="")
    elif filters.stage in Stage.values:
        participants = participants.filter(stage=filters.stage)
    else:
        participants = participants.exclude(stage=Stage.ENDED)
    if filters.keyworker:
        participants = participants.filter(_currently_allocated(staff_id=filters.keyworker))
    if filters.query:
        participants = participants.filter(search_condition(filters.query))
    if filters.risk:
        participants = participants.filter(highest_rosh=filters.risk)
    if filters.review_overdue:
        participants = participants.filter(plan_review_due_on__lt=timezone.localdate())
    participants = participants.annotate(
        rosh_rank=_rosh_rank(), waiting_plan_status=_unapproved_plan_status()
    )
    return participants.order_by(*SORTS.get(filters.sort, SORTS["name"]))


def _currently_allocated(**to) -> Exists:
    # Exists, not a join: one row per man however many roles the member of staff holds in
    # his team, so the list needs no DISTINCT (and can be counted in the same query).
    return Exists(
        Allocation.objects.filter(participant=OuterRef("pk"), ended_on__isnull=True, **to)
    )


def search_condition(query: str) -> Q:
    """Name, preferred name or any identifier; identifiers match however they were typed."""
    condition = Q()
    for word in query.split():
        condition &= (
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    identifier = normalise(query)
    if identifier:
        condition |= (
            Q(prison_number=identifier)
            | Q(crn=identifier)
            | Q(pnc_number=identifier)
            | Q(nhs_number=identifier)
        )
    return condition


def allocatable_staff(service_ids, role: str | None = None):
    from resettle.accounts.models import User

    roles = [role] if role else ALLOCATABLE_ROLES
    return (
        User.objects.filter(
            is_active=True, memberships__service_id__in=service_ids, memberships__role__in=roles
        )
        .distinct()
        .order_by("full_name")
    )


def team_candidates(participant: Participant, holders: dict | None = None) -> dict:
    """For each role of his team, who may hold it: active staff of his service with that role
    who are not excluded from his record (the choices of the allocation form). `holders`
    (role -> the person holding it now) are listed for their role whatever has changed since,
    so that leaving a role as it is never reads as a change to someone else."""
    from resettle.accounts.models import User

    holders = holders or {}
    # A subquery, not an exclude() across the join: only an exclusion in force on his record
    # counts, not one lifted here or one on another man.
    excluded = Exclusion.objects.filter(
        participant=participant, staff=OuterRef("pk"), lifted_at__isnull=True
    )
    candidates = {}
    for role in ALLOCATABLE_ROLES:
        may_hold = Q(
            is_active=True,
            memberships__service_id=participant.service_id,
            memberships__role=role,
        ) & ~Exists(excluded)
        if holders.get(role) is not None:
            may_hold |= Q(pk=holders[role].pk)
        candidates[role] = User.objects.filter(may_hold).distinct().order_by("full_name")
    return candidates


# --- Capacity -----------------------------------------------------------------------------


def capacities(services: list[Service]) -> list[dict]:
    """Each service's places in use and its referral pipeline, counted in one query."""
    if not services:
        return []
    ids = [service.pk for service in services]
    by_stage = (
        Participant.objects.filter(service_id__in=ids)
        .values_list("service_id", Value("stage"), "stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status = (
        Referral.objects.filter(service_id__in=ids)
        .values_list("service_id", Value("status"), "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {(service_id, kind): Counter() for service_id in ids for kind in ("stage", "status")}
    for service_id, kind, value, n in by_stage.union(by_status, all=True):
        counts[service_id, kind][value] = n
    return [
        _capacity(service, counts[service.pk, "stage"], counts[service.pk, "status"])
        for service in services
    ]


def _capacity(service: Service, by_stage: Counter, pipeline: Counter) -> dict:
    community = sum(by_stage[s] for s in COMMUNITY_STAGES)
    custody = sum(by_stage[s] for s in CUSTODY_STAGES)
    return {
        "service": service,
        "community": community,
        "community_funded": service.funded_community_places,
        "custody": custody,
        "custody_funded": service.funded_custody_places,
        "waiting": by_stage[Stage.WAITING],
        "by_stage": [(Stage(s).label, by_stage[s]) for s in Stage.values],
        "pipeline": [(Referral.Status(s).label, pipeline[s]) for s in Referral.Status.values],
    }


# --- Stage history ------------------------------------------------------------------------


def time_in_stages(
    changes: list[StageChange], today: datetime.date | None = None
) -> list[tuple[str, int]]:
    """Days spent in each stage, derived from the stage history (never typed)."""
    today = today or timezone.localdate()
    days: dict[str, int] = defaultdict(int)
    ordered = sorted(changes, key=lambda change: (change.effective_on, change.recorded_at))
    # Each change with the one after it (None after the last; nothing for no change at all).
    for current, following in zip_longest(ordered, ordered[1:]):
        if current.to_stage == Stage.ENDED:
            continue
        until = following.effective_on if following else today
        days[current.to_stage] += max((until - current.effective_on).days, 0)
    return [(Stage(stage).label, days[stage]) for stage in Stage.values if stage in days]


def pathway_rows(participant: Participant) -> list[dict]:
    """The eight pathways in order, with his current need on each (or none recorded)."""
    from .models import Pathway

    needs = {need.pathway: need for need in participant.pathway_needs.all()}
    return [{"pathway": pathway, "need": needs.get(pathway.value)} for pathway in Pathway]


def record_viewers(participant: Participant, limit: int = 100) -> list:
    """Who has looked at this record, newest first (for service managers)."""
    from resettle.core.models import AccessLog

    return list(
        AccessLog.objects.filter(participant_id=participant.pk)
        .select_related("user")
        .order_by("-at")[:limit]
    )


def staff_who_may_be_excluded(participant):
    """Staff of his service who are not in his current team and not already excluded."""
    from resettle.accounts.models import User

    return (
        User.objects.filter(is_active=True, memberships__service_id=participant.service_id)
        .exclude(allocations__participant=participant, allocations__ended_on__isnull=True)
        .exclude(exclusions__participant=participant, exclusions__lifted_at__isnull=True)
        .order_by("full_name")
        .distinct()
    )


def record_access_summary(participant) -> dict:
    now = timezone.now()
    grants = list(participant.temporary_access.select_related("staff", "ended_by")[:50])
    return {
        "exclusions": list(
            participant.exclusions.filter(lifted_at__isnull=True).select_related(
                "staff", "created_by"
            )
        ),
        "lifted_exclusions": list(
            participant.exclusions.filter(lifted_at__isnull=False).select_related(
                "staff", "lifted_by"
            )[:20]
        ),
        "active_grants": [g for g in grants if g.is_active(now)],
        "past_grants": [g for g in grants if not g.is_active(now)],
    }


def temporary_access_in_services(service_ids, *, visible_to, days: int = 7) -> list:
    """Break-glass access given in these services: current, and recent (for the home page),
    never about a man the person looking is excluded from."""
    from .models import TemporaryAccess

    since = timezone.now() - datetime.timedelta(days=days)
    grants = TemporaryAccess.objects.filter(
        participant__service_id__in=service_ids, granted_at__gte=since
    )
    return list(
        access.access_for(visible_to)
        .without_exclusions(grants, participant_field="participant_id")
        .select_related("participant", "staff")
        .order_by("-granted_at")[:20]
    )


# --- The clock: upcoming releases and time limits -----------------------------------------------


def _clock_men(user, *, mine: bool) -> QuerySet[Participant]:
    """The men whose clock this person watches: their team's, or (a service manager) every
    man of the services they manage."""
    men = Participant.objects.visible_to(user)
    if mine:
        allocatable = access.service_ids_for(user, ALLOCATABLE_ROLES)
        if not allocatable:
            return Participant.objects.none()
        return men.filter(access.access_for(user).in_team(), service_id__in=allocatable)
    return men.filter(service_id__in=access.service_ids_for(user, [Role.SERVICE_MANAGER]))


def upcoming_releases(user, *, mine: bool, today: datetime.date | None = None) -> QuerySet:
    """Men in custody due out within the next 12 weeks, soonest first, each with his open
    release-day plan (as `open_plans`: a list of none or one) in one more query."""
    today = today or timezone.localdate()
    return (
        _clock_men(user, mine=mine)
        .filter(
            stage=Stage.IN_REACH,
            expected_release_date__range=(today, today + clock.RELEASE_NEAR),
        )
        .prefetch_related(
            Prefetch(
                "release_plans",
                queryset=ReleasePlan.objects.filter(release__isnull=True).order_by("-pk"),
                to_attr="open_plans",
            )
        )
        .order_by("expected_release_date", "family_name", "given_name")
    )


# The clock's flags that ask for a decision from the home page (a short licence is flagged on
# his record and when the licence is entered).
HOME_FLAGS = frozenset({"short_in_reach", "community_limit", "licence_expiry"})


def time_limit_prompts(user, *, mine: bool, today: datetime.date | None = None) -> list[dict]:
    """Men the clock flags today, with what it says: the men who could be flagged are found in
    SQL (each condition a little wider than the clock's own rule), then the clock decides.
    Three queries, whatever the number of men."""
    today = today or timezone.localdate()
    first_release = (
        StageChange.objects.filter(participant=OuterRef("pk"), to_stage__in=clock.LICENCE_STAGES)
        .order_by("effective_on", "recorded_at")
        .values("effective_on")[:1]
    )
    prompt_from = today - relativedelta(months=clock.MOVE_ON_PROMPT_MONTHS)
    candidates = list(
        _clock_men(user, mine=mine)
        .annotate(first_release=Subquery(first_release))
        .filter(
            Q(
                stage=Stage.IN_REACH,
                expected_release_date__range=(today, today + clock.RELEASE_NEAR),
            )
            | Q(stage=Stage.COMMUNITY, first_release__lte=prompt_from)
            | Q(
                Exists(
                    Licence.objects.filter(
                        participant=OuterRef("pk"),
                        ends_on__range=(today, today + clock.LICENCE_EXPIRY_NOTICE),
                    )
                ),
                stage__in=clock.LICENCE_STAGES,
            )
        )
        .prefetch_related(
            Prefetch(
                "stage_changes",
                queryset=StageChange.objects.order_by("effective_on", "recorded_at"),
            ),
            Prefetch("licences", queryset=Licence.objects.order_by("-starts_on")),
        )
        .order_by("family_name", "given_name")
    )
    prompts = []
    for man in candidates:
        history = clock.stage_history_of(man, list(man.stage_changes.all()))
        licences = list(man.licences.all())
        found = [
            flag
            for flag in clock.flags(man, history, licences[0] if licences else None, today)
            if flag.key in HOME_FLAGS
        ]
        if found:
            prompts.append({"participant": man, "flags": found})
    return prompts
