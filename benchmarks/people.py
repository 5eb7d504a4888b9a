"""The simulation's people: staff members, the men referred, their moves and allocations."""

import datetime
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.dataset import Dataset


@dataclass(eq=False)
class StaffMember:
    id: str
    email: str
    full_name: str
    role: str
    agency: str
    joined: datetime.date
    left: datetime.date | None
    capacity: float
    ip_address: str
    load: int = 0
    successor: "StaffMember | None" = None

    def works_on(self, day: datetime.date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)


@dataclass(eq=False)
class Move:
    kind: str
    from_stage: str
    to_stage: str
    day: datetime.date
    actor: StaffMember
    reason: str = ""
    recall_type: str = ""
    ending: str = ""


@dataclass(eq=False)
class AllocationRecord:
    id: int
    role: str
    staff: StaffMember
    started_on: datetime.date
    allocated_by: StaffMember
    replacing: StaffMember | None = None
    ended_on: datetime.date | None = None


@dataclass(eq=False)
class Man:
    """One referral and, if accepted, the participant it became."""

    seq: int
    referral: dict
    is_focus: bool = False
    participant_id: str = ""
    stage: str = ""
    moves: list = field(default_factory=list)
    allocations: list = field(default_factory=list)
    token: int = 0  # bumped on each move: events scheduled before it are stale
    recall_plans: list = field(default_factory=list)  # (day, type, why, rationale)
    significant: list = field(default_factory=list)  # (datetime, reason, actor)
    unacceptable_days: list = field(default_factory=list)
    disengaged: list = field(default_factory=list)  # (first day, last day) before a recall
    community_until: datetime.date | None = None
    licence_ends: datetime.date | None = None
    reliability: float = 0.9
    crisis_propensity: float = 1.0
    key_day: int = 0
    cohort: int = 0
    visit_day: int = 1
    highest_rosh: str = ""
    mappa: tuple = ("", "")
    plan_review_due_on: datetime.date | None = None
    expected_days_per_week: int | None = None
    version: int = 1
    accommodation: str = "temporary"  # his housing and work at the last outcome review
    occupation: str = "none"
    details: dict = field(default_factory=dict)
    history: list = field(default_factory=list)  # the referral's versions
    accepted_at: datetime.datetime | None = None

    def team_on(self, role: str, day: datetime.date) -> StaffMember | None:
        found = None
        for allocation in self.allocations:
            if (
                allocation.role == role
                and allocation.started_on <= day
                and (allocation.ended_on is None or allocation.ended_on > day)
            ):
                found = allocation.staff
        return found

    def current(self, role: str) -> StaffMember | None:
        for allocation in self.allocations:
            if allocation.role == role and allocation.ended_on is None:
                return allocation.staff
        return None

    def stage_on(self, day: datetime.date) -> str:
        stage = ""
        for move in self.moves:
            if move.day > day:
                break
            stage = move.to_stage
        return stage

    def is_disengaged(self, day: datetime.date) -> bool:
        return any(first <= day <= last for first, last in self.disengaged)


class BuilderState:
    """What one service's builder holds while it simulates and writes: set by
    ServiceBuilder.__init__ and the layers that fill it, read by the writers after them."""

    ds: "Dataset"
    index: int
    rng: random.Random
    report_rng: random.Random
    is_focus: bool
    name: str
    area: str
    domain: str
    estimate: int
    rows_written: int
    fingerprint: str
    approved_figures: dict
    today: datetime.date
    now: datetime.datetime
    start: datetime.date
    horizon: datetime.date
    service_id: int
    custody_places: int
    prisons: list[str]
    men: list[Man]
    staff: dict[str, list[StaffMember]]
    # The simulation's queue of (day, order, man, token, action, payload) and its counters.
    queue: list
    order: int
    waiting: list[Man]
    in_custody: int
    # The men in community, move-on and in-reach on each day from `start` (see `on`).
    community: list[list[Man]]
    move_on: list[list[Man]]
    in_reach: list[list[Man]]
    series: dict
    report_plans: list[dict]
