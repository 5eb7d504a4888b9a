"""One service over ten years, simulated day by day from its own random stream.

`ServiceBuilder.build()` first simulates referrals and each man's journey (decisions,
capacity-limited in-reach places, releases, recalls, move-on, endings, staff leaving and
their caseloads handed on), then writes his records in the order the services would have
made them: referral, participant and stage history, team, licence, needs and outcomes,
crisis calls, risk assessments, plan and formulation versions, then the sessions week by
week with attendance outcomes, notes, enforcement decisions and the access log.

Everything random comes from `self.rng` (or a stream derived from the seed and the service
index), in a fixed order that does not depend on the size of the run.
"""

import datetime
import heapq
import itertools
import random
from dataclasses import dataclass, field

from django.utils import formats

from crisisline.handover import handover_window
from crisisline.models import CrisisCall
from participants.models import (
    Allocation,
    Contact,
    Exclusion,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    ParticipantUserObjectPermission,
    Pathway,
    PathwayNeed,
    Referral,
    ReleasePlan,
    Stage,
    StageChange,
    TemporaryAccess,
    TimelineEvent,
)
from participants.timeline import at_start_of_day
from reports.models import ReportRequest
from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import FIXED_AGENCY, Agency, Role, group_name
from resettle.core.models import AccessLog
from riskplans.models import Formulation, RiskAssessment, RiskManagementPlan
from riskplans.services import REVIEW_MONTHS, SOONER_REVIEW_DAYS, add_months
from sessions.models import (
    Attendance,
    CompliancePolicy,
    EnforcementDecision,
    NoteAddendum,
    RecallDecision,
    Session,
    SessionNote,
    SessionSeries,
)

from . import names
from .constants import (
    FOCUS_DOMAIN,
    FOCUS_EMAILS,
    FOCUS_PARTICIPANT_PRISON_NUMBER,
    FOCUS_SERVICE_NAME,
    PLACEHOLDER_REPORT,
    WEEKS_AHEAD,
)
from .helpers import poisson, uid, years_before

Kind = StageChange.Kind
DAY = datetime.timedelta(days=1)
ACTIVE = (Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LEVELS = ("low", "medium", "high", "very_high")
ROSH_LABELS = Participant.ROSH_LABELS

# Staff posts per service: (role, number of posts, the caseload each post carries).
POSTS = (
    (Role.OFFENDER_MANAGER, 3, 20.0),
    (Role.HEALTH_KEYWORKER, 5, 12.0),
    (Role.PSYCHOLOGIST, 2, 30.0),
    (Role.SERVICE_MANAGER, 1, 0.0),
    (Role.CRISIS_LINE_WORKER, 2, 0.0),
    (Role.ADMINISTRATOR, 1, 0.0),
    (Role.COMMISSIONER, 1, 0.0),
)
FOCUS_KEYS = {
    Role.OFFENDER_MANAGER: "offender_manager",
    Role.HEALTH_KEYWORKER: "keyworker",
    Role.PSYCHOLOGIST: "psychologist",
    Role.SERVICE_MANAGER: "service_manager",
    Role.CRISIS_LINE_WORKER: "crisis_worker",
    Role.ADMINISTRATOR: "administrator",
    Role.COMMISSIONER: "commissioner",
}
EMAIL_LOCAL = {
    Role.OFFENDER_MANAGER: "om",
    Role.HEALTH_KEYWORKER: "keyworker",
    Role.PSYCHOLOGIST: "psychologist",
    Role.SERVICE_MANAGER: "manager",
    Role.CRISIS_LINE_WORKER: "crisis",
    Role.ADMINISTRATOR: "admin",
    Role.COMMISSIONER: "commissioner",
}
TEAM_ROLES = (Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST)
ROLE_LABELS = {role: Role(role).label.lower() for role in TEAM_ROLES}

DECLINE_REASONS = {
    "not_screened_in": "Not screened into the OPD pathway; referred back to probation",
    "criteria": "Does not meet the service's criteria: no current personality difficulties",
    "risk": "Risk to staff and other residents cannot be managed in the centre",
    "area": "Released to an address outside the service's area",
    "no_consent": "He did not want to take part after the first in-reach visit",
    "other": "Waiting list closed for now; referred back to his offender manager",
}
CONDITIONS = (
    ("participation", 1.0, "Attend the intensive intervention service as directed"),
    ("residence", 0.8, "Reside at the approved address and keep to its rules"),
    ("non_contact", 0.5, "No contact with the victim or her family, directly or indirectly"),
    ("exclusion_zone", 0.35, "Do not enter the exclusion zone shown on the map attached"),
    ("curfew", 0.45, "Curfew 21:00 to 07:00 at the approved address"),
    ("drug_testing", 0.3, "Attend for drug testing as directed"),
    ("electronic_monitoring", 0.15, "Wear an electronic tag and keep it charged"),
)
ACTIONS = (
    (
        "supervision",
        "Weekly three-way meeting at the centre",
        "Offender manager and keyworker",
        "Weekly",
    ),
    ("supervision", "Home visit every fortnight", "Offender manager", "Fortnightly"),
    (
        "monitoring",
        "Curfew and residence checked with the approved premises",
        "Offender manager",
        "Weekly",
    ),
    (
        "monitoring",
        "Drug tests as directed; results shared with the team",
        "Offender manager",
        "As directed",
    ),
    (
        "interventions",
        "Key-work on emotional regulation; group four days a week",
        "Health keyworker",
        "Ongoing",
    ),
    ("interventions", "Psychology sessions on the formulation's exits", "Psychologist", "Monthly"),
    (
        "victim_safety",
        "Victim liaison updated on address and exclusion zone",
        "Offender manager",
        "Within 5 days of any change",
    ),
    (
        "victim_safety",
        "Non-contact condition reviewed with police",
        "Offender manager",
        "Quarterly",
    ),
)
CONTINGENCY = (
    "Warning signs: withdrawing from the centre, drinking, contact with his ex-partner, talk "
    "of getting 'sorted'. In hours: keyworker calls him the same day; OM considers a visit. "
    "Out of hours: crisis line to call him, then the on-call manager; if he speaks of harming "
    "anyone, police on 999 and the OM informed at 09:00."
)
RETURN_COMMENTS = (
    "Add the exclusion zone to monitoring and control",
    "The contingency plan needs the out-of-hours route",
    "Victim safety actions need owners and dates",
)
FORMULATION_TEXT = {
    "presenting_problems": (
        "Explosive anger when he feels disrespected; drinking",
        "Withdrawal and self-harm when relationships end",
        "Mistrust of services; disengages when challenged",
    ),
    "reciprocal_roles": (
        "Controlling ↔ controlled; abandoning ↔ abandoned",
        "Criticising ↔ crushed; neglecting ↔ neglected",
    ),
    "target_problem_procedures": (
        "Feels let down, withdraws, drinks, then lashes out",
        "Placates until he cannot, then explodes and leaves",
    ),
    "exits": (
        "Naming the pattern early; calling his keyworker before drinking",
        "Noticing the 'nobody cares' thought and checking it with someone",
    ),
    "predisposing": (
        "Neglect and violence at home; care from age 11",
        "Bereavement at 14; school exclusion",
    ),
    "precipitating": ("Relationship breakdowns; loss of housing", "Release; loss of structure"),
    "perpetuating": ("Alcohol; isolation; shame", "Debt; peers still offending"),
    "protective": ("His daughter; skill in cooking; humour", "Football; his nan; wanting to work"),
    "presenting": ("Anger, low mood, distrust of services", "Anxiety, poor sleep, irritability"),
    "his_account": (
        "When I feel like nobody's bothered, I stop caring what happens.",
        "I go from nought to a hundred and then I've done it.",
    ),
}
ABSENCE_REASONS = ("medical", "court", "employment", "family", "religious", "holiday", "judgement")
ACK_NOTES = (
    "Called him at 10:00; he is calmer. Plan reviewed with him.",
    "Spoke to his offender manager; home visit today.",
    "Seen at the centre this morning; no further concerns.",
    "Left a message; keyworker will try again after group.",
)
EXCLUSION_REASONS = (
    "Knows him and his family personally from where she lives",
    "Was his neighbour until last year",
    "Related to his ex-partner by marriage",
)
TEMPORARY_REASONS = (
    "Covering his keyworker's leave: group register and notes this week",
    "Duty worker today: following up last night's crisis call",
    "Covering the offender manager's sickness for a licence appointment",
)
HOUR_WEIGHTS = (
    5,
    4,
    3,
    2,
    1,
    1,
    1,
    2,
    2,
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    2,
    4,
    6,
    7,
    8,
    8,
    7,
    6,
)
URGENCIES = ("routine", "concerning", "urgent", "emergency")
URGENCY_WEIGHTS = (38, 36, 19, 7)
FOLLOW_UP_CHANCE = {"routine": 0.2, "concerning": 0.55, "urgent": 0.9, "emergency": 1.0}
ACTIONS_BY_URGENCY = {
    "routine": (["advice"], ["de_escalated"]),
    "concerning": (["de_escalated", "advice"], ["contingency"]),
    "urgent": (["de_escalated", "contingency"], ["contingency", "on_call"]),
    "emergency": (["contingency", "police", "on_call"], ["emergency_services", "on_call"]),
}
INDICATORS = tuple(names.ISSUES)
NEXT_HOME = {"approved_premises": "temporary", "temporary": "settled", "nfa": "temporary"}
ACCOMMODATION_AT_RELEASE = (
    ("approved_premises", 55),
    ("temporary", 28),
    ("settled", 9),
    ("nfa", 8),
)
OCCUPATIONS = (
    ("none", 55),
    ("volunteering", 12),
    ("training", 10),
    ("employed", 10),
    ("education", 6),
    ("unable", 7),
)
PAGES = (
    ("participants:overview", 40),
    ("participants:timeline", 18),
    ("keywork:participant_sessions", 20),
    ("riskplans:overview", 15),
    ("participants:history", 7),
)


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def _encode_prison_number(k: int) -> str:
    k, a = divmod(k, 26)
    k, b = divmod(k, 26)
    k, c = divmod(k, 26)
    return f"{LETTERS[c]}{k:04d}{LETTERS[a]}{LETTERS[b]}"


def _decode_prison_number(value: str) -> int:
    c, digits, a, b = (
        LETTERS.index(value[0]),
        int(value[1:5]),
        LETTERS.index(value[5]),
        LETTERS.index(value[6]),
    )
    return ((digits * 26 + c) * 26 + b) * 26 + a


PRISON_SPACE = 26**3 * 10_000
# Man number 0 of the focus service gets the focus prison number; the map is one-to-one.
PRISON_OFFSET = _decode_prison_number(FOCUS_PARTICIPANT_PRISON_NUMBER)


def identifiers(n: int, born: datetime.date, rng: random.Random) -> dict:
    """National identifiers unique across the whole dataset (a one-to-one map of `n`)."""
    prison = _encode_prison_number((n * 48271 + PRISON_OFFSET) % PRISON_SPACE)
    crn_k = (n * 48271 + 7) % (26 * 10**6)
    nhs_base = 400_000_000 + (n * 104729) % 500_000_000
    digits = str(nhs_base)
    total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    nhs = digits + str(check) if check != 10 else ""
    return {
        "prison_number": prison,
        "crn": f"{LETTERS[crn_k % 26]}{crn_k // 26:06d}" if rng.random() < 0.88 else "",
        "pnc_number": (
            f"{(born.year + 18) % 100:02d}/{(n * 7919 + 13) % 10**7:07d}{LETTERS[n % 26]}"
            if rng.random() < 0.9
            else ""
        ),
        "nhs_number": nhs if rng.random() < 0.75 else "",
    }


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


class ServiceBuilder:
    def __init__(self, ds, index: int):
        self.ds, self.index = ds, index
        self.rng = random.Random(f"{ds.seed}:service:{index}")
        self.is_focus = index == 0
        if self.is_focus:
            self.name, self.area = FOCUS_SERVICE_NAME, "Merseyside"
            self.domain = FOCUS_DOMAIN
        else:
            stem, area = names.SERVICE_STEMS[(index - 1) % len(names.SERVICE_STEMS)]
            lap = (index - 1) // len(names.SERVICE_STEMS)
            self.name = f"{stem} {area}" + (f" {lap + 1}" if lap else "")
            self.area = area
            self.domain = f"s{index:03d}.bench.example"
        self.estimate = 400_000
        self.rows_written = 0
        self.fingerprint = ""
        self.approved_figures: dict = {}
        self.today, self.now, self.start = ds.today, ds.now, ds.start
        self.horizon = ds.today + datetime.timedelta(weeks=WEEKS_AHEAD)
        self.men: list[Man] = []
        self.staff: dict[str, list[StaffMember]] = {}

    def build(self) -> None:
        self._service_and_staff()
        self._simulate()
        self._daily_stages()
        for man in self.men:
            self._journey_records(man)
        self._calls()
        for man in self.men:
            if man.participant_id:
                self._risk(man)
        self._sessions()
        for man in self.men:
            self._recall_decisions(man)
        self._exclusions_and_temporary_access()
        for man in self.men:
            if man.participant_id:
                self._participant_row(man)
        self._plan_reports()
        self._let_go()

    # --- Service and staff ----------------------------------------------------------------

    def _service_and_staff(self) -> None:
        ds, rng = self.ds, self.rng
        self.service_id = ds.ids[Service]()
        self.custody_places = rng.randint(17, 21)
        service = {
            "id": self.service_id,
            "name": self.name,
            "region": names.REGIONS.get(self.area, "England and Wales"),
            "delivery_model": "centre" if rng.random() < 0.7 else "outreach",
            "funded_community_places": rng.randint(20, 28),
            "funded_custody_places": self.custody_places,
            "out_of_hours_route": f"On-call probation manager, 0151 496 0{rng.randrange(1000):03d}",
        }
        ds.put(Service, service)
        ds.history(Service, service, "+", ds.at(self.start - 60 * DAY, 10), ds.system_id)
        self.prisons = rng.sample(names.PRISONS, 4)
        for role, posts, capacity in POSTS:
            self.staff[role] = []
            for post in range(posts):
                previous = None
                for number, (joined, left) in enumerate(self._post_holders(post)):
                    person = self._staff_member(role, post, number, joined, left, capacity)
                    if previous is not None:
                        previous.successor = person
                    previous = person
                    self.staff[role].append(person)
                    if self.is_focus and post == 0 and left is None:
                        ds.focus_staff[FOCUS_KEYS[role]] = person
        if not self.is_focus:
            commissioner = ds.focus_staff["commissioner"]
            self._membership(commissioner.id, Role.COMMISSIONER, Agency.HEALTH, self.start)
        if not self.is_focus and rng.random() < 0.5:
            policy = {
                "id": ds.ids[CompliancePolicy](),
                "service_id": self.service_id,
                "warning_threshold": 1,
                "recall_review_threshold": rng.choice([2, 3]),
                "window_months": rng.choice([6, 12]),
            }
            ds.put(CompliancePolicy, policy)
            manager = self.holders(Role.SERVICE_MANAGER, self.start)[0]
            ds.history(CompliancePolicy, policy, "+", ds.at(self.start + 30 * DAY, 11), manager.id)

    def _post_holders(self, post: int) -> list[tuple]:
        rng, today = self.rng, self.today
        joined = self.start - datetime.timedelta(days=rng.randrange(30, 400))
        if self.is_focus and post == 0:
            # The named focus people have held their post for six years or more.
            handover = years_before(today, 6) - datetime.timedelta(days=rng.randrange(200))
            return [(joined, handover), (handover, None)]
        holders = []
        while True:
            left = joined + datetime.timedelta(days=rng.randrange(700, 3300))
            if left >= today - 30 * DAY:
                holders.append((joined, None))
                return holders
            holders.append((joined, left))
            joined = left

    def _staff_member(self, role, post, number, joined, left, capacity) -> StaffMember:
        ds, rng = self.ds, self.rng
        first = rng.choice(names.WOMEN if rng.random() < 0.6 else names.MEN)
        full_name = (
            f"{'Dr ' if role == Role.PSYCHOLOGIST else ''}{first} {rng.choice(names.FAMILY)}"
        )
        local = EMAIL_LOCAL[role]
        if self.is_focus and post == 0 and left is None:
            email = FOCUS_EMAILS[FOCUS_KEYS[role]]
        elif left is None:
            email = f"{local}{post + 1}@{self.domain}"
        else:
            email = f"{local}{post + 1}.left{number + 1}@{self.domain}"
        agency = FIXED_AGENCY.get(role) or (
            Agency.HEALTH if rng.random() < 0.55 else Agency.PROBATION
        )
        person = StaffMember(
            id=uid(rng),
            email=email,
            full_name=full_name,
            role=role,
            agency=agency,
            joined=joined,
            left=left,
            capacity=capacity,
            ip_address=f"10.{self.index % 250}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}",
        )
        user = {
            "id": person.id,
            "password": ds.password,
            "last_login": None,
            "is_superuser": False,
            "email": email,
            "full_name": full_name,
            "is_active": True,
            "is_staff": role == Role.ADMINISTRATOR,
            "date_joined": ds.at(joined, 9, 30),
        }
        ds.history(User, user, "+", user["date_joined"], ds.system_id)
        if left is not None:
            user["is_active"] = False
            ds.history(User, user, "~", ds.at(left, 17, 30), ds.system_id)
        ds.put(User, user)
        group = {"id": ds.ids[User.groups.through](), "user_id": person.id}
        group["group_id"] = ds.groups[group_name(role)]
        ds.put(User.groups.through, group)
        self._membership(person.id, role, agency, joined)
        return person

    def _membership(self, user_id: str, role: str, agency: str, joined) -> None:
        ds = self.ds
        membership = {
            "id": ds.ids[Membership](),
            "user_id": user_id,
            "service_id": self.service_id,
            "role": role,
            "agency": agency,
        }
        ds.put(Membership, membership)
        ds.history(Membership, membership, "+", ds.at(joined, 9, 35), ds.system_id)

    def holders(self, role: str, day: datetime.date) -> list[StaffMember]:
        found = [person for person in self.staff[role] if person.works_on(day)]
        return found or [self.staff[role][-1]]

    # --- Simulating referrals and journeys ----------------------------------------------

    def _simulate(self) -> None:
        rng, today = self.rng, self.today
        self.queue: list = []
        self.order = 0
        self.waiting: list[Man] = []
        self.in_custody = 0
        referrals_per_day = rng.uniform(25, 31) / 365
        focus_day = today - datetime.timedelta(days=1720) if self.is_focus else None
        leavers = {}
        for people in self.staff.values():
            for person in people:
                if person.left is not None and person.successor is not None:
                    leavers.setdefault(person.left, []).append(person)
        day = self.start
        while day <= today:
            if day == focus_day:
                self._refer(day, focus=True)
            for _ in range(poisson(rng, referrals_per_day)):
                self._refer(day)
            while self.queue and self.queue[0][0] <= day:
                _when, _order, man, token, action, payload = heapq.heappop(self.queue)
                if token == man.token:
                    action(man, day, *payload)
            for person in leavers.get(day, []):
                self._hand_on_caseload(person, day)
            while self.in_custody < self.custody_places:
                # In-reach starts within a year of release; men released later wait.
                due = [
                    m
                    for m in self.waiting
                    if (m.referral["expected_release_date"] - day).days <= 365
                ]
                if not due:
                    break
                self.waiting.remove(due[0])
                self._offer_place(due[0], day)
            day += DAY

    def _schedule(self, man: Man, day: datetime.date, action, *payload) -> None:
        self.order += 1
        heapq.heappush(self.queue, (day, self.order, man, man.token, action, payload))

    def _refer(self, day: datetime.date, focus: bool = False) -> None:
        rng, ds = self.rng, self.ds
        seq = 0 if focus else len(self.men) + (1 if self.is_focus else 0)
        born = day - datetime.timedelta(days=rng.randrange(21 * 365, 58 * 365))
        sentence = (
            "ipp" if focus else _weighted(rng, (("determinate", 72), ("life", 12), ("ipp", 16)))
        )
        referrer = rng.choice(
            self.holders(Role.OFFENDER_MANAGER, day) + self.holders(Role.SERVICE_MANAGER, day)
        )
        referral = {
            "id": uid(rng),
            "service_id": self.service_id,
            "received_on": day,
            "source": _weighted(
                rng,
                (
                    ("prison", 35),
                    ("offender_manager", 35),
                    ("parole_board", 10),
                    ("opd_screening", 15),
                    ("other", 5),
                ),
            ),
            "given_name": "Jamal" if focus else rng.choice(names.MEN),
            "family_name": "Okoro" if focus else rng.choice(names.FAMILY),
            "date_of_birth": born,
            **identifiers(self.index * 2000 + seq, born, rng),
            "current_prison": rng.choice(self.prisons),
            "expected_release_date": day
            + datetime.timedelta(days=int(rng.triangular(120, 720, 300))),
            "sentence_type": sentence,
            "sentence_length_months": rng.randrange(36, 180) if sentence == "determinate" else None,
            "index_offence": rng.choice(Referral.OffenceCategory.values),
            "screened_into_opd": focus or rng.random() < 0.88,
            "status": "received",
            "decision_reason": "",
            "decline_category": "",
            "decided_on": None,
            "participant_id": None,
            "created_by_id": referrer.id,
            "created_at": ds.at(day, rng.randrange(9, 17), rng.randrange(60)),
        }
        if focus:
            referral["prison_number"] = FOCUS_PARTICIPANT_PRISON_NUMBER
        man = Man(seq=seq, referral=referral, is_focus=focus)
        man.reliability = 0.93 if focus else rng.uniform(0.84, 0.98)
        man.crisis_propensity = 1.6 if focus else min(rng.lognormvariate(-0.5, 1.0), 8.0)
        man.key_day, man.cohort, man.visit_day = seq % 4, (seq // 4) % 2, 1 + seq % 3
        man.history = [("+", referral["created_at"], referrer.id, {})]
        if focus:
            self.men.insert(0, man)
        else:
            self.men.append(man)
        assess = day + datetime.timedelta(days=4 if focus else rng.randrange(2, 12))
        if assess <= self.today:
            self._schedule(man, assess, self._assess)

    def _manager(self, day) -> StaffMember:
        return self.holders(Role.SERVICE_MANAGER, day)[0]

    def _assess(self, man: Man, day) -> None:
        manager = self._manager(day)
        when = self.ds.at(day, 10, self.rng.randrange(60))
        man.referral["status"] = "assessing"
        man.history.append(("~", when, manager.id, {"status": "assessing"}))
        decide = day + datetime.timedelta(days=12 if man.is_focus else self.rng.randrange(7, 50))
        if decide <= self.today:
            self._schedule(man, decide, self._decide)

    def _decide(self, man: Man, day) -> None:
        rng, referral = self.rng, man.referral
        r = rng.random()
        category = ""
        if man.is_focus:
            pass
        elif not referral["screened_into_opd"]:
            category = "not_screened_in"
        elif len(self.waiting) >= 14 and r < 0.6:
            category = "other"
        elif r < 0.07:
            category = "risk"
        elif r < 0.11:
            category = "criteria"
        elif r < 0.13:
            category = "area"
        elif r < 0.15:
            category = "no_consent"
        manager = self._manager(day)
        when = self.ds.at(day, 14, rng.randrange(60))
        if category or (not man.is_focus and r < 0.21):
            status = "declined" if category else "withdrawn"
            reason = DECLINE_REASONS[category] if category else "He chose not to take part"
            changes = {
                "status": status,
                "decision_reason": reason,
                "decline_category": category,
                "decided_on": day,
            }
            referral.update(changes)
            man.history.append(("~", when, manager.id, changes))
            return
        self._accept(man, day, manager, when)

    def _accept(self, man: Man, day, manager: StaffMember, when) -> None:
        rng, referral = self.rng, man.referral
        place_free = self.in_custody < self.custody_places
        far = (referral["expected_release_date"] - day).days > 450
        offer = man.is_focus or (place_free and not (far and rng.random() < 0.7))
        stage = Stage.IN_REACH if offer else Stage.WAITING
        man.participant_id = uid(rng)
        changes = {
            "status": "accepted" if offer else "waiting_list",
            "decided_on": day,
            "participant_id": man.participant_id,
        }
        referral.update(changes)
        man.history.append(("~", when, manager.id, changes))
        suffix = (
            "" if offer else (": no custody place free" if not place_free else ": waiting list")
        )
        man.accepted_at = when
        self._move(man, Kind.ACCEPTED, stage, day, manager, reason="Referral accepted" + suffix)
        started = min(day + datetime.timedelta(days=rng.randrange(0, 3)), self.today)
        for role in TEAM_ROLES:
            if man.is_focus and role != Role.PSYCHOLOGIST:
                staff = self.ds.focus_staff[FOCUS_KEYS[role]]
            else:
                staff = min(
                    self.holders(role, started), key=lambda person: person.load / person.capacity
                )
            self._allocate(man, role, staff, started, manager)
        if offer:
            self._enter_in_reach(man, day)
        else:
            self.waiting.append(man)
            give_up = max(referral["expected_release_date"] + 30 * DAY, day + 200 * DAY)
            self._schedule(man, give_up, self._give_up_waiting)

    def _allocate(self, man, role, staff, day, manager, replacing=None) -> None:
        record = AllocationRecord(
            id=self.ds.ids[Allocation](),
            role=role,
            staff=staff,
            started_on=day,
            allocated_by=manager,
            replacing=replacing,
        )
        man.allocations.append(record)
        staff.load += 1

    def _hand_on_caseload(self, leaver: StaffMember, day) -> None:
        manager = self._manager(day)
        for man in self.men:
            if not man.participant_id or man.stage == Stage.ENDED:
                continue
            for allocation in man.allocations:
                if allocation.staff is leaver and allocation.ended_on is None:
                    allocation.ended_on = day
                    leaver.load -= 1
                    self._allocate(man, allocation.role, leaver.successor, day, manager, leaver)
                    break

    def _move(self, man: Man, kind, to_stage, day, actor, **extra) -> None:
        if man.stage == Stage.IN_REACH:
            self.in_custody -= 1
        if to_stage == Stage.IN_REACH:
            self.in_custody += 1
        man.moves.append(Move(kind, man.stage, to_stage, day, actor, **extra))
        man.stage = to_stage
        man.token += 1

    def _om(self, man, day) -> StaffMember:
        return man.team_on(Role.OFFENDER_MANAGER, day) or self._manager(day)

    def _offer_place(self, man: Man, day) -> None:
        self._move(
            man,
            Kind.OFFERED_PLACE,
            Stage.IN_REACH,
            day,
            self._manager(day),
            reason="An in-reach place is free",
        )
        self._enter_in_reach(man, day)

    def _give_up_waiting(self, man: Man, day) -> None:
        if man.stage == Stage.WAITING:
            self.waiting.remove(man)
            self._end(man, day, "withdrawn", "Released before an in-reach place was free")

    def _enter_in_reach(self, man: Man, day) -> None:
        rng = self.rng
        if man.is_focus:
            self._schedule(man, day + 210 * DAY, self._release)
            return
        expected = man.referral["expected_release_date"] + datetime.timedelta(
            days=rng.randrange(-30, 31)
        )
        release = max(day + 45 * DAY, expected)
        if rng.random() < 0.08:
            gone = day + datetime.timedelta(days=rng.randrange(20, max(21, (release - day).days)))
            self._schedule(
                man,
                gone,
                self._end,
                rng.choice(["withdrawn", "transferred"]),
                "He chose not to continue in custody",
            )
        self._schedule(man, release, self._release)

    def _release(self, man: Man, day) -> None:
        rng = self.rng
        self._move(
            man,
            Kind.RELEASED,
            Stage.COMMUNITY,
            day,
            self._om(man, day),
            reason="Collected at the gate as planned",
        )
        sentence = man.referral["sentence_type"]
        licence_days = 3650 if sentence != "determinate" else rng.randrange(365, 1460)
        man.licence_ends = day + datetime.timedelta(days=licence_days)
        if man.is_focus:
            self._schedule(man, self.today - 700 * DAY, self._recall, "fixed_term")
            return
        stay = int(rng.triangular(300, 780, 480))
        man.community_until = day + datetime.timedelta(days=stay)
        self._plan_community(man, day, recall_chance=0.27)

    def _plan_community(self, man: Man, day, recall_chance: float) -> None:
        rng = self.rng
        until = man.community_until
        if man.licence_ends <= until:
            self._schedule(man, man.licence_ends, self._end, "licence_expired", "Licence expired")
        else:
            self._schedule(man, until, self._move_on)
        if rng.random() < recall_chance:
            span = max((until - day).days - 10, 31)
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(30, span)), self._recall, ""
            )
        elif rng.random() < 0.06:
            span = max((until - day).days, 31)
            self._schedule(
                man,
                day + datetime.timedelta(days=rng.randrange(20, span)),
                self._end,
                rng.choice(["withdrawn", "transferred"]),
                "Stopped engaging; his case was closed",
            )

    def _recall(self, man: Man, day, recall_type: str) -> None:
        rng = self.rng
        recall_type = recall_type or ("fixed_term" if rng.random() < 0.6 else "standard")
        why = _weighted(rng, (("risk", 35), ("contact", 40), ("both", 25)))
        rationale = rng.choice(
            (
                "Missed curfew three times and stopped attending; whereabouts unknown for 2 days",
                "Contact with the victim against his non-contact condition; risk has increased",
                "Stopped attending and was arrested for a new offence",
                "Drinking heavily, threatening his partner; risk cannot be managed in the community",
            )
        )
        om = self._om(man, day)
        self._move(
            man, Kind.RECALLED, Stage.IN_REACH, day, om, reason=rationale, recall_type=recall_type
        )
        man.recall_plans.append((day, recall_type, why, rationale, om))
        man.disengaged.append((day - 24 * DAY, day - DAY))
        man.significant.append((self.ds.at(day, 11, 30), "recall", om))
        if recall_type == "fixed_term":
            back = day + datetime.timedelta(days=28 if man.is_focus or rng.random() < 0.7 else 14)
            self._schedule(man, back, self._re_release, day)
        elif rng.random() < 0.7:
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(90, 330)), self._re_release, day
            )
        else:
            self._schedule(
                man,
                day + datetime.timedelta(days=rng.randrange(30, 200)),
                self._end,
                "transferred",
                "Remains in custody; transferred to prison-based OPD services",
            )

    def _re_release(self, man: Man, day, recalled_on) -> None:
        om = self._om(man, day)
        self._move(man, Kind.RE_RELEASED, Stage.COMMUNITY, day, om, reason="End of the recall")
        if man.is_focus:
            return
        remaining = (
            max(90, (man.community_until - recalled_on).days) if man.community_until else 300
        )
        man.community_until = day + datetime.timedelta(days=remaining)
        self._plan_community(man, day, recall_chance=0.12)

    def _move_on(self, man: Man, day) -> None:
        rng = self.rng
        self._move(
            man,
            Kind.MOVED_ON,
            Stage.MOVE_ON,
            day,
            self._om(man, day),
            reason="Settled and attending well: contact reduced",
        )
        stay = day + datetime.timedelta(days=int(rng.triangular(90, 300, 180)))
        if man.licence_ends < stay:
            self._schedule(man, man.licence_ends, self._end, "licence_expired", "Licence expired")
        else:
            ending = "completed" if rng.random() < 0.85 else "licence_expired"
            self._schedule(
                man,
                stay,
                self._end,
                ending,
                "Completed the programme" if ending == "completed" else "Licence expired",
            )
        if rng.random() < 0.05:
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(20, 80)), self._recall, ""
            )

    def _end(self, man: Man, day, ending: str, reason: str) -> None:
        actor = self._manager(day)
        self._move(man, Kind.ENDED, Stage.ENDED, day, actor, reason=reason, ending=ending)
        for role in TEAM_ROLES:
            staff = man.current(role)
            if staff is not None:
                staff.load -= 1

    # --- Who was where on each day ---------------------------------------------------------

    def _daily_stages(self) -> None:
        """For every day up to the booking horizon: the men in community, move-on, in-reach."""
        days = (self.horizon - self.start).days + 1
        self.community = [[] for _ in range(days)]
        self.move_on = [[] for _ in range(days)]
        self.in_reach = [[] for _ in range(days)]
        lists = {
            Stage.COMMUNITY: self.community,
            Stage.MOVE_ON: self.move_on,
            Stage.IN_REACH: self.in_reach,
        }
        for man in self.men:
            for i, move in enumerate(man.moves):
                target = lists.get(move.to_stage)
                if target is None:
                    continue
                end = man.moves[i + 1].day if i + 1 < len(man.moves) else self.horizon + DAY
                for offset in range((move.day - self.start).days, (end - self.start).days):
                    target[offset].append(man)

    def on(self, day: datetime.date) -> tuple[list, list, list]:
        offset = (day - self.start).days
        return self.community[offset], self.move_on[offset], self.in_reach[offset]

    # --- A man's referral, stages, team, licence, needs and outcomes -----------------------

    def _event(
        self,
        man,
        when,
        category,
        title,
        actor_id,
        *,
        detail="",
        visibility="shared",
        link="",
        recorded=None,
    ):
        self.ds.add[TimelineEvent](
            (
                uid(self.rng),
                man.participant_id,
                when,
                category,
                title,
                detail,
                visibility,
                actor_id,
                link,
                recorded or when,
            )
        )

    def _journey_records(self, man: Man) -> None:
        ds, rng = self.ds, self.rng
        referral = dict(man.referral)
        final = dict(referral)
        for key in (
            "status",
            "decision_reason",
            "decline_category",
            "decided_on",
            "participant_id",
        ):
            referral[key] = {"status": "received", "decided_on": None, "participant_id": None}.get(
                key, ""
            )
        for kind, when, actor_id, changes in man.history:
            referral.update(changes)
            ds.history(Referral, referral, kind, when, actor_id)
        ds.put(Referral, final)
        if not man.participant_id:
            return
        accepted = man.moves[0]
        first_in_custody = man.referral["current_prison"]
        details = {
            "id": man.participant_id,
            "service_id": self.service_id,
            "given_name": final["given_name"],
            "family_name": final["family_name"],
            "preferred_name": "",
            "date_of_birth": final["date_of_birth"],
            "prison_number": final["prison_number"] or None,
            "crn": final["crn"] or None,
            "pnc_number": final["pnc_number"] or None,
            "nhs_number": final["nhs_number"] or None,
            "phone": "",
            "gp_practice": "",
            "current_accommodation": "",
            "stage": accepted.to_stage,
            "stage_since": accepted.day,
            "created_at": man.accepted_at,
            # Kept by the riskplans services and not in his history; set in _participant_row.
            "highest_rosh": "",
            "mappa_category": "",
            "mappa_level": "",
            "plan_review_due_on": None,
            "expected_days_per_week": None,
            "version": 1,
        }
        changes_over_time = [(man.accepted_at, "+", {}, accepted.actor.id)]
        keyworker = man.team_on(Role.HEALTH_KEYWORKER, accepted.day) or accepted.actor
        details_day = min(accepted.day + datetime.timedelta(days=rng.randrange(1, 6)), self.today)
        preferred = names.PREFERRED.get(final["given_name"], "") if rng.random() < 0.5 else ""
        changes_over_time.append(
            (
                ds.at(details_day, 11, rng.randrange(60)),
                "~",
                {
                    "preferred_name": preferred,
                    "phone": f"07700 900{rng.randrange(1000):03d}",
                    "gp_practice": rng.choice(names.GP_PRACTICES),
                    "current_accommodation": f"{first_in_custody} (in custody)",
                },
                keyworker.id,
            )
        )
        self._stage_records(man, changes_over_time)
        self._team_records(man)
        self._needs_and_goals(man, accepted, keyworker)
        changes_over_time.sort(key=lambda item: item[0])
        for when, kind, changes, actor_id in changes_over_time:
            details.update(changes)
            if kind == "~":
                man.version += 1
            ds.history(Participant, details, kind, when, actor_id)
        man.details = details

    def _stage_records(self, man: Man, participant_changes: list) -> None:
        ds, rng = self.ds, self.rng
        licence = None
        previous = None
        for move in man.moves:
            change_id = ds.ids[StageChange]()
            hour = 11 if move.kind == Kind.RECALLED else rng.randrange(9, 17)
            recorded = ds.at(move.day, hour, rng.randrange(60))
            if move.kind == Kind.ACCEPTED:
                recorded = man.accepted_at
            if previous is not None and recorded <= previous:  # two moves in one day
                recorded = previous + datetime.timedelta(minutes=5)
            previous = recorded
            row = {
                "id": change_id,
                "participant_id": man.participant_id,
                "kind": move.kind,
                "from_stage": move.from_stage,
                "to_stage": move.to_stage,
                "effective_on": move.day,
                "reason": move.reason,
                "recall_type": move.recall_type,
                "ending": move.ending,
                "recorded_by_id": move.actor.id,
                "recorded_at": recorded,
            }
            ds.put(StageChange, row)
            ds.history(StageChange, row, "+", recorded, move.actor.id)
            if move.kind == Kind.ACCEPTED:
                title = (
                    "Accepted and offered in-reach"
                    if move.to_stage == Stage.IN_REACH
                    else "Accepted onto the waiting list"
                )
            elif move.kind == Kind.RECALLED:
                title = f"{StageChange.RecallType(move.recall_type).label} to custody"
            elif move.kind == Kind.ENDED:
                title = f"Ended: {StageChange.Ending(move.ending).label.lower()}"
            else:
                title = Kind(move.kind).label
            self._event(
                man,
                at_start_of_day(move.day),
                "stage",
                title,
                move.actor.id,
                detail="" if move.kind == Kind.ACCEPTED else move.reason,
                recorded=recorded,
            )
            if move.kind != Kind.ACCEPTED:
                participant_changes.append(
                    (
                        recorded,
                        "~",
                        {"stage": move.to_stage, "stage_since": move.day},
                        move.actor.id,
                    )
                )
            keyworker = man.team_on(Role.HEALTH_KEYWORKER, move.day) or move.actor
            if move.to_stage == Stage.IN_REACH and move.kind != Kind.RECALLED:
                self._snapshot(man, "start_in_reach", move.day, keyworker, "none", "none")
            if move.kind in (Kind.RELEASED, Kind.RE_RELEASED):
                if move.kind == Kind.RELEASED or rng.random() < 0.5:
                    self._release_plan(man, move, change_id, keyworker)
                if licence is None:
                    licence = self._licence(man, move)
                accommodation = _weighted(rng, ACCOMMODATION_AT_RELEASE)
                address = self._address(accommodation)
                moved = recorded + datetime.timedelta(hours=2)
                participant_changes.append(
                    (moved, "~", {"current_accommodation": address}, move.actor.id)
                )
                man.significant.append((moved, "change of address", move.actor))
                occupation = _weighted(rng, OCCUPATIONS)
                self._snapshot(man, "release", move.day, keyworker, accommodation, occupation)
                self._community_snapshots(man, move, accommodation, occupation, participant_changes)
            if move.kind == Kind.RECALLED:
                participant_changes.append(
                    (
                        recorded + datetime.timedelta(minutes=30),
                        "~",
                        {
                            "current_accommodation": f"{man.referral['current_prison']} (recalled, in custody)"
                        },
                        move.actor.id,
                    )
                )
            if move.kind == Kind.ENDED and move.from_stage in (Stage.COMMUNITY, Stage.MOVE_ON):
                self._snapshot(
                    man,
                    "exit",
                    move.day,
                    keyworker,
                    man.accommodation,
                    man.occupation,
                )
        if man.stage == Stage.IN_REACH and not man.recall_plans and rng.random() < 0.5:
            self._release_plan(man, None, None, man.current(Role.HEALTH_KEYWORKER))

    def _address(self, accommodation: str) -> str:
        rng = self.rng
        street = rng.choice(names.STREETS)
        if accommodation == "approved_premises":
            return f"Approved premises, {rng.randrange(2, 60)} {street}, {self.area}"
        if accommodation == "temporary":
            return f"Supported housing, Room {rng.randrange(1, 30)}, {rng.randrange(2, 90)} {street}, {self.area}"
        if accommodation == "nfa":
            return "No fixed abode"
        return f"Flat {rng.randrange(1, 12)}, {rng.randrange(2, 200)} {street}, {self.area}"

    def _community_snapshots(
        self, man: Man, release: Move, accommodation: str, occupation: str, changes: list
    ) -> None:
        """Quarterly outcome reviews while he is out. Now and then he moves on (approved
        premises, then supported housing, then a place of his own): a change of address."""
        rng = self.rng
        later = [
            m for m in man.moves if m.day > release.day and m.kind in (Kind.RECALLED, Kind.ENDED)
        ]
        until = later[0].day if later else self.today
        day = release.day + 91 * DAY
        while day < until and day <= self.today:
            keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or release.actor
            if accommodation != "settled" and rng.random() < 0.3:
                accommodation = NEXT_HOME[accommodation]
                when = self.ds.at(day - datetime.timedelta(days=rng.randrange(10, 40)), 15, 20)
                address = self._address(accommodation)
                changes.append((when, "~", {"current_accommodation": address}, keyworker.id))
                man.significant.append((when, "change of address", keyworker))
            if rng.random() < 0.25:
                occupation = _weighted(rng, OCCUPATIONS)
            self._snapshot(man, "quarter", day, keyworker, accommodation, occupation)
            day += 91 * DAY
        man.accommodation, man.occupation = accommodation, occupation

    def _snapshot(self, man, point, day, recorder, accommodation, occupation) -> None:
        ds = self.ds
        if day > self.today:
            return
        if accommodation == "none":
            accommodation = "nfa" if self.rng.random() < 0.1 else "temporary"
            occupation = "unable" if self.rng.random() < 0.2 else "none"
        row = {
            "id": ds.ids[OutcomeSnapshot](),
            "participant_id": man.participant_id,
            "point": point,
            "taken_on": day,
            "accommodation": accommodation,
            "occupation": occupation,
            "notes": "",
            "recorded_by_id": recorder.id,
        }
        ds.put(OutcomeSnapshot, row)
        when = ds.at(day, 15, self.rng.randrange(60))
        ds.history(OutcomeSnapshot, row, "+", when, recorder.id)
        label = OutcomeSnapshot.Accommodation(accommodation).label.lower()
        point_label = OutcomeSnapshot.Point(point).label.lower()
        self._event(
            man,
            at_start_of_day(day),
            "needs",
            f"Outcomes recorded ({point_label}): {label}",
            recorder.id,
            recorded=when,
        )

    def _release_plan(self, man: Man, release: Move | None, change_id, keyworker) -> None:
        ds, rng = self.ds, self.rng
        release_day = (
            release.day if release else self.today + datetime.timedelta(days=rng.randrange(20, 90))
        )
        made = release_day - datetime.timedelta(days=rng.randrange(20, 60))
        if release is None:
            made = self.today - datetime.timedelta(days=rng.randrange(1, 20))
        plan = {
            "id": ds.ids[ReleasePlan](),
            "participant_id": man.participant_id,
            "planned_release_date": release_day,
            "collected_by": "Offender manager and keyworker, 08:00 at the gate",
            "collection_done": False,
            "first_night": "Approved premises",
            "first_night_done": False,
            "benefits": "Universal Credit claim started in custody",
            "benefits_done": False,
            "gp": "Register with local practice",
            "gp_done": False,
            "first_appointments": "Probation 11:00 on release day; the centre 14:00",
            "first_appointments_done": False,
            "release_id": None,
        }
        ds.history(ReleasePlan, plan, "+", ds.at(made, 14), keyworker.id)
        if release is not None:
            plan.update(
                collection_done=True,
                first_night_done=True,
                benefits_done=rng.random() < 0.8,
                gp_done=rng.random() < 0.6,
                first_appointments_done=True,
            )
            ds.history(ReleasePlan, plan, "~", ds.at(release_day - 5 * DAY, 15), keyworker.id)
            plan["release_id"] = change_id
            ds.history(ReleasePlan, plan, "~", ds.at(release_day, 12), release.actor.id)
        ds.put(ReleasePlan, plan)

    def _licence(self, man: Man, release: Move) -> dict:
        ds, rng = self.ds, self.rng
        starts = release.day
        sentence = man.referral["sentence_type"]
        licence = {
            "id": ds.ids[Licence](),
            "participant_id": man.participant_id,
            "starts_on": starts,
            "ends_on": man.licence_ends,
            "sentence_expiry_on": man.licence_ends + datetime.timedelta(days=rng.randrange(90, 700))
            if sentence == "determinate"
            else None,
            "standard_conditions": True,
        }
        when = ds.at(starts, 12, rng.randrange(60))
        ds.put(Licence, licence)
        ds.history(Licence, licence, "+", when, release.actor.id)
        self._event(
            man,
            when,
            "licence",
            f"Licence recorded: {starts:%-d %B %Y} to {man.licence_ends:%-d %B %Y}",
            release.actor.id,
        )
        for category, chance, text in CONDITIONS:
            if rng.random() >= chance:
                continue
            condition = {
                "id": ds.ids[LicenceCondition](),
                "licence_id": licence["id"],
                "category": category,
                "text": text,
                "starts_on": starts,
                "ends_on": None,
            }
            added = when + datetime.timedelta(minutes=5)
            ds.history(LicenceCondition, condition, "+", added, release.actor.id)
            label = LicenceCondition.Category(category).label
            self._event(
                man,
                added,
                "licence",
                f"Licence condition added: {label}",
                release.actor.id,
                detail=text,
            )
            lifted = starts + datetime.timedelta(days=rng.randrange(90, 200))
            if category == "curfew" and lifted <= self.today:
                condition["ends_on"] = lifted
                changed = ds.at(lifted, 10, 15)
                om = self._om(man, lifted)
                ds.history(LicenceCondition, condition, "~", changed, om.id)
                self._event(
                    man,
                    changed,
                    "licence",
                    f"Licence condition changed: {label}",
                    om.id,
                    detail=text,
                )
            ds.put(LicenceCondition, condition)
        return licence

    def _team_records(self, man: Man) -> None:
        ds, rng = self.ds, self.rng
        for allocation in man.allocations:
            row = {
                "id": allocation.id,
                "participant_id": man.participant_id,
                "role": allocation.role,
                "staff_id": allocation.staff.id,
                "started_on": allocation.started_on,
                "ended_on": None,
                "allocated_by_id": allocation.allocated_by.id,
            }
            when = ds.at(allocation.started_on, 15, rng.randrange(60))
            ds.history(Allocation, row, "+", when, allocation.allocated_by.id)
            detail = f"Replacing {allocation.replacing.full_name}" if allocation.replacing else ""
            self._event(
                man,
                when,
                "allocation",
                f"{allocation.staff.full_name} allocated as {ROLE_LABELS[allocation.role]}",
                allocation.allocated_by.id,
                detail=detail,
            )
            if allocation.ended_on is not None:
                row["ended_on"] = allocation.ended_on
                ended = ds.at(allocation.ended_on, 15, rng.randrange(60))
                ds.history(Allocation, row, "~", ended, allocation.allocated_by.id)
            ds.put(Allocation, row)

    def _needs_and_goals(self, man: Man, accepted: Move, keyworker: StaffMember) -> None:
        ds, rng = self.ds, self.rng
        day = min(accepted.day + datetime.timedelta(days=rng.randrange(2, 15)), self.today)
        when = ds.at(day, 13, rng.randrange(60))
        ended = man.moves[-1].day if man.stage == Stage.ENDED else self.today
        for pathway in Pathway:
            level = _weighted(rng, (("none", 30), ("low", 25), ("medium", 25), ("high", 20)))
            need = {
                "id": ds.ids[PathwayNeed](),
                "participant_id": man.participant_id,
                "pathway": pathway.value,
                "level": "none",
                "notes": "",
                "updated_at": when,
            }
            ds.history(PathwayNeed, need, "+", when, keyworker.id)
            need["level"] = level
            ds.history(PathwayNeed, need, "~", when, keyworker.id)
            if level != "none":
                self._event(
                    man,
                    when,
                    "needs",
                    f"{pathway.label} need now {PathwayNeed.Level(level).label.lower()}",
                    keyworker.id,
                )
            later = day + datetime.timedelta(days=rng.randrange(120, 700))
            if level in ("medium", "high") and later < ended and rng.random() < 0.5:
                level = "low" if level == "medium" else "medium"
                changed = ds.at(later, 14, rng.randrange(60))
                need.update(level=level, updated_at=changed, notes="Improving")
                actor = man.team_on(Role.HEALTH_KEYWORKER, later) or keyworker
                ds.history(PathwayNeed, need, "~", changed, actor.id)
                self._event(
                    man,
                    changed,
                    "needs",
                    f"{pathway.label} need now {PathwayNeed.Level(level).label.lower()}",
                    actor.id,
                )
            ds.put(PathwayNeed, need)
        family = man.referral["family_name"]
        for number in range(rng.randrange(1, 4)):
            contact = {
                "id": ds.ids[Contact](),
                "participant_id": man.participant_id,
                "name": f"{rng.choice(names.WOMEN)} {family}"
                if number == 0
                else rng.choice(("Housing officer", "GP surgery", "Hostel key worker")),
                "relationship": rng.choice(("Mother", "Sister", "Partner", "Aunt"))
                if number == 0
                else "Professional",
                "phone": f"0151 496 0{rng.randrange(1000):03d}",
                "notes": "",
                "is_next_of_kin": number == 0,
            }
            ds.put(Contact, contact)
            ds.history(
                Contact, contact, "+", when + datetime.timedelta(minutes=20 + number), keyworker.id
            )
        for _ in range(rng.randrange(1, 3)):
            set_day = min(day + datetime.timedelta(days=rng.randrange(0, 30)), self.today)
            goal = {
                "id": ds.ids[Goal](),
                "participant_id": man.participant_id,
                "in_his_words": rng.choice(names.GOALS),
                "progress": "not_started",
                "progress_note": "",
                "set_on": set_day,
            }
            made = ds.at(set_day, 12, rng.randrange(60))
            ds.history(Goal, goal, "+", made, keyworker.id)
            self._event(
                man, made, "goal", "New goal set", keyworker.id, detail=goal["in_his_words"]
            )
            progress_day = set_day + datetime.timedelta(days=rng.randrange(30, 400))
            if progress_day < ended:
                goal["progress"] = _weighted(
                    rng, (("under_way", 60), ("achieved", 25), ("set_aside", 15))
                )
                changed = ds.at(progress_day, 12, rng.randrange(60))
                actor = man.team_on(Role.HEALTH_KEYWORKER, progress_day) or keyworker
                ds.history(Goal, goal, "~", changed, actor.id)
                self._event(
                    man,
                    changed,
                    "goal",
                    f"Goal progress: {Goal.Progress(goal['progress']).label}",
                    actor.id,
                    detail=goal["in_his_words"],
                )
            ds.put(Goal, goal)

    # --- Crisis calls ---------------------------------------------------------------------

    def _calls(self) -> None:
        ds, rng = self.ds, self.rng
        window = handover_window(self.now, ds.bank_holidays)
        window_start = window.starts
        day = self.start
        while day <= self.today:
            community, move_on, _ = self.on(day)
            for man in community + move_on:
                if rng.random() < 0.0105 * man.crisis_propensity:
                    self._call(man, day, window_start)
            if rng.random() < 0.05:
                self._call(None, day, window_start)
            day += DAY
        # Last night's handover always has calls to hand over.
        community, move_on, _ = self.on(self.today)
        people = community + move_on
        span = (min(window.ends, self.now) - window_start).total_seconds()
        if people and span > 600:
            for urgency, follow_up in (("urgent", True), ("concerning", True), ("routine", False)):
                started = window_start + datetime.timedelta(seconds=rng.randrange(int(span) - 600))
                self._call(rng.choice(people), None, window_start, started, urgency, follow_up)

    def _call(self, man, day, window_start, started=None, urgency=None, follow_up=None) -> None:
        ds, rng = self.ds, self.rng
        if started is None:
            hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
            on = day + DAY if hour < 9 else day
            started = ds.at(on, hour, rng.randrange(60))
            urgency = rng.choices(URGENCIES, URGENCY_WEIGHTS)[0]
            follow_up = rng.random() < FOLLOW_UP_CHANCE[urgency]
        if started > self.now - datetime.timedelta(minutes=10):
            return
        local_day = started.date()
        ended = started + datetime.timedelta(minutes=rng.randrange(3, 50))
        if ended > self.now:
            ended = None
        worker = rng.choice(self.holders(Role.CRISIS_LINE_WORKER, local_day))
        indicators = rng.sample(INDICATORS, rng.choice((1, 1, 2)))
        if man is None:
            caller, caller_name = "unknown", ""
        else:
            caller = _weighted(rng, (("participant", 76), ("family", 15), ("professional", 9)))
            caller_name = {
                "participant": "",
                "family": f"{rng.choice(names.WOMEN)} (his mother)",
                "professional": "Hostel night staff",
            }[caller]
        recorded = (ended or started) + datetime.timedelta(minutes=rng.randrange(2, 15))
        if recorded > self.now:
            recorded = self.now - datetime.timedelta(minutes=1)
        call = {
            "id": uid(rng),
            "service_id": self.service_id,
            "participant_id": man.participant_id if man else None,
            "started_at": started,
            "ended_at": ended,
            "caller_type": caller,
            "caller_name": caller_name,
            "presenting_issue": names.ISSUES[indicators[0]]
            if man
            else "Withheld number asking about someone on the programme",
            "risk_indicators": indicators,
            "urgency": urgency,
            "actions_taken": list(rng.choice(ACTIONS_BY_URGENCY[urgency])),
            "follow_up_required": follow_up,
            "narrative": "Caller was calmer by the end of the call. Contingency plan read first.",
            "recorded_by_id": worker.id,
            "recorded_at": recorded,
            "acknowledged_by_id": None,
            "acknowledged_at": None,
            "acknowledgement_note": "",
        }
        ds.history(CrisisCall, call, "+", recorded, worker.id)
        link = ds.link["crisisline:call_detail"](call["id"])
        if man is not None:
            label = call["urgency"]
            self._event(
                man,
                started,
                "crisis",
                f"Crisis call ({label}): {call['presenting_issue']}",
                worker.id,
                detail="Day team to follow up" if follow_up else "",
                link=link,
                recorded=recorded,
            )
            ds.add[AccessLog](
                (
                    uid(rng),
                    started + datetime.timedelta(minutes=1),
                    worker.id,
                    Role.CRISIS_LINE_WORKER,
                    man.participant_id,
                    ds.link["crisisline:summary"](man.participant_id),
                    "crisisline:summary",
                    worker.ip_address,
                    True,
                )
            )
            if urgency == "emergency":
                man.significant.append((recorded, "an emergency crisis call", worker))
        if follow_up and started < window_start:
            ack_day = local_day + (DAY if started.hour >= 17 else datetime.timedelta())
            while ack_day.weekday() >= 5 or ack_day in ds.bank_holidays:
                ack_day += DAY
            acknowledged = ds.at(ack_day, rng.randrange(9, 12), rng.randrange(60))
            overlooked = (self.today - ack_day).days < 60 and rng.random() < 0.02
            if acknowledged < self.now and not overlooked:
                who = (
                    man.team_on(Role.HEALTH_KEYWORKER, ack_day) if man else None
                ) or self._manager(ack_day)
                note = rng.choice(ACK_NOTES)
                call.update(
                    acknowledged_by_id=who.id,
                    acknowledged_at=acknowledged,
                    acknowledgement_note=note,
                )
                ds.history(CrisisCall, call, "~", acknowledged, who.id)
                if man is not None:
                    self._event(
                        man,
                        acknowledged,
                        "crisis",
                        "Crisis call followed up by the day team",
                        who.id,
                        detail=note,
                        link=link,
                    )
        ds.put(CrisisCall, call)

    # --- Risk assessments, plans and formulations -----------------------------------------

    def _risk(self, man: Man) -> None:
        accepted = man.moves[0].day
        ended = man.moves[-1].day if man.stage == Stage.ENDED else self.today
        active = [m.day for m in man.moves if m.to_stage == Stage.IN_REACH]
        self._assessments(man, accepted, ended)
        if active and active[0] <= self.today:
            self._plans(man, active[0], ended)
            self._formulations(man, active[0], ended)

    def _assessments(self, man: Man, accepted, ended) -> None:
        ds, rng = self.ds, self.rng
        days = []
        day = accepted + datetime.timedelta(days=rng.randrange(14, 45))
        while day <= ended:
            days.append(day)
            day += datetime.timedelta(days=rng.randrange(150, 240))
        days.extend(d + datetime.timedelta(days=rng.randrange(7, 21)) for d, *_ in man.recall_plans)
        base = [rng.randrange(4) for _ in range(7)]
        mappa = (rng.choice("123"), rng.choice("123")) if rng.random() < 0.4 else ("", "")
        latest = None
        for day in sorted(d for d in days if d <= min(ended, self.today)):
            levels = [
                min(3, max(0, b + (rng.choice((-1, 1)) if rng.random() < 0.25 else 0)))
                for b in base
            ]
            assessor = self._om(man, day)
            created = ds.at(day, 14, rng.randrange(60))
            row = {
                "id": uid(rng),
                "participant_id": man.participant_id,
                "assessed_on": day,
                "assessor_id": assessor.id,
                "source_reference": f"OASys completed {day:%-d %B %Y}",
                "rosh_public": LEVELS[levels[0]],
                "rosh_known_adult": LEVELS[levels[1]],
                "rosh_children": LEVELS[levels[2]],
                "rosh_staff": LEVELS[levels[3]],
                "rosh_prisoners": LEVELS[levels[4]],
                "risk_to_self": LEVELS[levels[5]],
                "reoffending": LEVELS[levels[6]],
                "mappa_category": mappa[0],
                "mappa_level": mappa[1],
                "risk_factors": "Alcohol misuse; volatile relationships; unstable accommodation",
                "protective_factors": "Engaged with keyworker; contact with his daughter",
                "warning_signs": "Missing sessions, drinking, isolation, contact with ex-partner",
                "imminence": "Evenings and weekends, after conflict with family",
                "created_at": created,
            }
            ds.put(RiskAssessment, row)
            ds.history(RiskAssessment, row, "+", created, assessor.id)
            highest = LEVELS[max(levels[:5])]
            summary = (
                f"MAPPA category {mappa[0]}, level {mappa[1]}" if mappa[0] else "Not MAPPA-managed"
            )
            self._event(
                man,
                at_start_of_day(day),
                "risk",
                f"Risk assessment recorded: highest RoSH {ROSH_LABELS[highest].lower()}",
                assessor.id,
                detail=summary,
                link=ds.link["riskplans:overview"](man.participant_id),
                recorded=created,
            )
            if latest is None or (day, created) >= latest:
                latest = (day, created)
                man.highest_rosh, man.mappa = highest, mappa

    def _plans(self, man: Man, first_active, ended) -> None:
        ds, rng = self.ds, self.rng
        events = sorted(man.significant, key=lambda e: e[0])
        approved = None
        number = 0
        start = first_active + datetime.timedelta(days=rng.randrange(20, 50))
        latest_day = min(ended, self.today)
        while start <= latest_day:
            number += 1
            author = man.team_on(Role.HEALTH_KEYWORKER, start) or self._om(man, start)
            om = self._om(man, start)
            plan_id = uid(rng)
            link = ds.plan_link(man.participant_id, plan_id)
            created = ds.at(start, rng.randrange(10, 15), rng.randrange(60))
            plan = {
                "id": plan_id,
                "participant_id": man.participant_id,
                "number": number,
                "status": "draft",
                "author_id": author.id,
                "actions": list(approved["actions"]) if approved else [],
                "contingency_plan": approved["contingency_plan"] if approved else "",
                "expected_days_per_week": approved["expected_days_per_week"] if approved else 4,
                "submitted_at": None,
                "decided_by_id": None,
                "decided_at": None,
                "return_comment": "",
                "review_due_on": None,
                "review_reason": "",
                "lock_version": 1,
                "created_at": created,
            }
            ds.history(RiskManagementPlan, plan, "+", created, author.id)
            chosen = sorted(rng.sample(range(len(ACTIONS)), rng.randrange(3, 6)))
            plan.update(
                actions=[
                    dict(zip(("pillar", "action", "owner", "due"), ACTIONS[i], strict=True))
                    for i in chosen
                ],
                contingency_plan=CONTINGENCY,
                expected_days_per_week=2 if man.stage_on(start) == Stage.MOVE_ON else 4,
                lock_version=2,
            )
            ds.history(
                RiskManagementPlan,
                plan,
                "~",
                created + datetime.timedelta(minutes=rng.randrange(20, 90)),
                author.id,
            )
            submit_day = start + datetime.timedelta(days=rng.randrange(0, 5))
            decide_day = submit_day + datetime.timedelta(days=rng.randrange(1, 8))
            if submit_day > self.today:
                ds.put(RiskManagementPlan, plan)
                break
            self._submit(man, plan, submit_day, author, link)
            approver = (
                om if om.id != author.id and rng.random() < 0.8 else self._manager(decide_day)
            )
            if decide_day <= self.today and rng.random() < 0.14:
                decided = ds.at(decide_day, 16, rng.randrange(60))
                comment = rng.choice(RETURN_COMMENTS)
                plan.update(
                    status="returned",
                    return_comment=comment,
                    decided_by_id=approver.id,
                    decided_at=decided,
                    lock_version=plan["lock_version"] + 1,
                )
                ds.history(RiskManagementPlan, plan, "~", decided, approver.id)
                self._event(
                    man,
                    decided,
                    "risk",
                    f"Risk management plan v{number} returned with comments",
                    approver.id,
                    detail=comment,
                    link=link,
                )
                resubmit = decide_day + datetime.timedelta(days=rng.randrange(1, 5))
                if resubmit > self.today:
                    ds.put(RiskManagementPlan, plan)
                    break
                plan["lock_version"] += 1
                ds.history(
                    RiskManagementPlan, plan, "~", ds.at(resubmit, 10, rng.randrange(60)), author.id
                )
                self._submit(man, plan, resubmit, author, link)
                decide_day = resubmit + datetime.timedelta(days=rng.randrange(1, 6))
            if decide_day > self.today:
                ds.put(RiskManagementPlan, plan)
                break
            decided = ds.at(decide_day, 16, rng.randrange(60))
            if approved is not None:
                approved.update(status="superseded", lock_version=approved["lock_version"] + 1)
                ds.history(RiskManagementPlan, approved, "~", decided, approver.id)
                ds.put(RiskManagementPlan, approved)
            review = add_months(decide_day, REVIEW_MONTHS)
            plan.update(
                status="approved",
                decided_by_id=approver.id,
                decided_at=decided,
                review_due_on=review,
                review_reason="",
                lock_version=plan["lock_version"] + 1,
            )
            ds.history(RiskManagementPlan, plan, "~", decided, approver.id)
            self._event(
                man,
                decided,
                "risk",
                f"Risk management plan v{number} approved",
                approver.id,
                detail=f"Review due {formats.date_format(review)}",
                link=link,
            )
            approved = plan
            late = rng.random() < 0.12
            next_start = review + datetime.timedelta(
                days=rng.randrange(1, 45) if late else -rng.randrange(0, 14)
            )
            for when, reason, actor in events:
                if when <= decided or when.date() >= next_start:
                    continue
                sooner = when.date() + datetime.timedelta(days=SOONER_REVIEW_DAYS)
                if plan["review_due_on"] <= sooner:
                    continue
                plan.update(
                    review_due_on=sooner,
                    review_reason=f"Brought forward after {reason}",
                    lock_version=plan["lock_version"] + 1,
                )
                ds.history(RiskManagementPlan, plan, "~", when, actor.id)
                self._event(
                    man,
                    when,
                    "risk",
                    f"Plan review brought forward to {formats.date_format(sooner)} after {reason}",
                    actor.id,
                )
                next_start = min(next_start, sooner - datetime.timedelta(days=rng.randrange(0, 7)))
            start = max(next_start, decide_day + DAY)
        if approved is not None:
            ds.put(RiskManagementPlan, approved)
            man.plan_review_due_on = approved["review_due_on"]
            man.expected_days_per_week = approved["expected_days_per_week"]

    def _submit(self, man: Man, plan: dict, day, author, link) -> None:
        ds = self.ds
        when = ds.at(day, 11, self.rng.randrange(60))
        plan.update(
            status="submitted",
            submitted_at=when,
            return_comment="",
            lock_version=plan["lock_version"] + 1,
        )
        ds.history(RiskManagementPlan, plan, "~", when, author.id)
        self._event(
            man,
            when,
            "risk",
            f"Risk management plan v{plan['number']} submitted for approval",
            author.id,
            link=link,
        )

    def _formulations(self, man: Man, first_active, ended) -> None:
        ds, rng = self.ds, self.rng
        current = None
        number = 0
        start = first_active + datetime.timedelta(days=rng.randrange(40, 120))
        while start <= min(ended, self.today):
            number += 1
            psychologist = man.team_on(Role.PSYCHOLOGIST, start) or self._manager(start)
            created = ds.at(start, 10, rng.randrange(60))
            formulation = {
                "id": uid(rng),
                "participant_id": man.participant_id,
                "number": number,
                "status": "draft",
                "author_id": psychologist.id,
                "lock_version": 1,
                "created_at": created,
                "shared_with_him_on": None,
                **{key: (current[key] if current else "") for key in FORMULATION_TEXT},
            }
            ds.history(Formulation, formulation, "+", created, psychologist.id)
            agree_day = start + datetime.timedelta(days=rng.randrange(7, 40))
            shared = agree_day - datetime.timedelta(days=rng.randrange(0, 10))
            formulation.update({key: rng.choice(texts) for key, texts in FORMULATION_TEXT.items()})
            formulation.update(
                lock_version=2,
                shared_with_him_on=shared if rng.random() < 0.7 and shared <= self.today else None,
            )
            ds.history(
                Formulation,
                formulation,
                "~",
                created + datetime.timedelta(hours=2),
                psychologist.id,
            )
            if agree_day > min(ended, self.today):
                ds.put(Formulation, formulation)
                break
            agreed = ds.at(agree_day, 15, rng.randrange(60))
            if current is not None:
                current.update(status="superseded", lock_version=current["lock_version"] + 1)
                ds.history(Formulation, current, "~", agreed, psychologist.id)
                ds.put(Formulation, current)
            formulation.update(status="current", lock_version=3)
            ds.history(Formulation, formulation, "~", agreed, psychologist.id)
            detail = (
                f"Shared with him on {formats.date_format(formulation['shared_with_him_on'])}"
                if formulation["shared_with_him_on"]
                else "Not yet shared with him"
            )
            self._event(
                man,
                agreed,
                "risk",
                f"Formulation v{number} agreed",
                psychologist.id,
                detail=detail,
                link=ds.formulation_link(man.participant_id, formulation["id"]),
            )
            current = formulation
            start = agree_day + datetime.timedelta(days=rng.randrange(270, 500))
        if current is not None:
            ds.put(Formulation, current)

    # --- Sessions, attendance, notes, enforcement, the access log -------------------------

    def _sessions(self) -> None:
        ds = self.ds
        self.series: dict = {}
        day = self.start
        while day <= self.horizon:
            weekday = day.weekday()
            working = weekday < 5 and day not in ds.bank_holidays
            if day == self.today and not working:
                weekday, working = weekday % 4, True  # today is always a working day here
            if working:
                self._sessions_of_day(day, weekday)
            if day.weekday() == 0:
                self._record_views(day)
            day += DAY

    def _sessions_of_day(self, day, weekday) -> None:
        rng = self.rng
        community, move_on, in_reach = self.on(day)
        keyworkers = self.holders(Role.HEALTH_KEYWORKER, day)
        week = (day - self.start).days // 7
        if weekday < 4:
            for cohort, (title, start, end) in enumerate(
                (("Community group", (10, 0), (12, 0)), ("Skills group", (13, 30), (15, 0)))
            ):
                members = [m for m in community if m.cohort == cohort and m.key_day != weekday]
                if members:
                    lead = keyworkers[(day.toordinal() + cohort) % len(keyworkers)]
                    second = keyworkers[(day.toordinal() + cohort + 1) % len(keyworkers)]
                    staff = [lead] if second is lead else [lead, second]
                    series = self._series_for(title, week, lead)
                    self._session(
                        day, "group", title, start, end, "centre", "", True, staff, members, series
                    )
            slots = ((9, 0), (11, 0), (12, 15), (14, 0), (15, 15), (16, 0), (9, 45), (10, 30))
            for k, man in enumerate(m for m in community if m.key_day == weekday):
                keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                hour, minute = slots[k % len(slots)]
                end = (hour + 1, minute)
                if (week + man.seq) % 6 == 0:
                    om = man.team_on(Role.OFFENDER_MANAGER, day) or keyworker
                    self._session(
                        day,
                        "three_way",
                        "Three-way meeting",
                        (hour, minute),
                        end,
                        "centre",
                        "",
                        True,
                        [keyworker, om],
                        [man],
                    )
                elif (week + man.seq) % 4 == 1:
                    psychologist = man.team_on(Role.PSYCHOLOGIST, day) or keyworker
                    self._session(
                        day,
                        "keywork",
                        "Psychology session",
                        (hour, minute),
                        end,
                        "centre",
                        "",
                        True,
                        [psychologist],
                        [man],
                    )
                else:
                    kind = _weighted(
                        rng, (("keywork", 70), ("outreach", 15), ("phone", 10), ("video", 5))
                    )
                    place = {
                        "keywork": ("centre", ""),
                        "outreach": (
                            "community",
                            man.details.get("current_accommodation", "")[:200],
                        ),
                    }.get(kind, ("remote", ""))
                    self._session(
                        day,
                        kind,
                        "Key-work" if kind == "keywork" else "",
                        (hour, minute),
                        end,
                        place[0],
                        place[1],
                        True,
                        [keyworker],
                        [man],
                    )
            for man in move_on:
                if man.key_day == weekday:
                    keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                    kind = "keywork" if rng.random() < 0.6 else "phone"
                    self._session(
                        day,
                        kind,
                        "Move-on check-in",
                        (15, 30),
                        (16, 15),
                        "centre" if kind == "keywork" else "remote",
                        "",
                        True,
                        [keyworker],
                        [man],
                    )
            for man in in_reach:
                if man.visit_day == weekday and (week + man.seq) % 2 == 0:
                    keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                    staff = [keyworker]
                    if rng.random() < 0.25:
                        psychologist = man.team_on(Role.PSYCHOLOGIST, day)
                        if psychologist is not None and psychologist is not keyworker:
                            staff.append(psychologist)
                    self._session(
                        day,
                        "in_reach",
                        "In-reach visit",
                        (10, 0),
                        (11, 30),
                        "prison",
                        man.referral["current_prison"],
                        False,
                        staff,
                        [man],
                    )
        else:
            people = [m for m in community + move_on if rng.random() < 0.35]
            if people:
                title = rng.choice(("Football", "Allotment", "Cooking together", "Art group"))
                self._session(
                    day,
                    "activity",
                    title,
                    (13, 0),
                    (15, 0),
                    "community",
                    "Local leisure centre",
                    False,
                    keyworkers[:2],
                    people,
                )
            # A phone call to end the week for the men who find weekends hardest.
            for k, man in enumerate(m for m in community if (week + m.seq) % 3 == 0):
                keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                slot = (10 + k % 6, 15 * (k // 6 % 4))
                self._session(
                    day,
                    "phone",
                    "Friday check-in",
                    slot,
                    (slot[0], slot[1] + 10),
                    "remote",
                    "",
                    False,
                    [keyworker],
                    [man],
                )

    def _series_for(self, title: str, week: int, lead: StaffMember) -> str:
        block = week // 26
        key = (title, block)
        if key not in self.series:
            ds = self.ds
            first = self.start + datetime.timedelta(weeks=block * 26)
            series_id = uid(self.rng)
            ds.add[SessionSeries](
                (
                    series_id,
                    self.service_id,
                    title,
                    [0, 1, 2, 3],
                    lead.id,
                    ds.at(first - 7 * DAY, 14, 0),
                )
            )
            self.series[key] = (series_id, ds.at(first - 7 * DAY, 14, 0))
        return self.series[key]

    def _session(
        self,
        day,
        kind,
        title,
        start,
        end,
        place,
        place_detail,
        enforceable,
        staff,
        men,
        series=None,
    ) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        starts = ds.at(day, *start)
        ends = ds.at(day, *end)
        session_id = uid(rng)
        creator = staff[0]
        if series is not None:
            series_id, created = series
        else:
            series_id = None
            created = ds.at(day - datetime.timedelta(days=1 + int(rng.random() * 14)), 16, 5)
        if created > now:
            created = now - datetime.timedelta(hours=1)
        row = (
            session_id,
            self.service_id,
            series_id,
            kind,
            title,
            starts,
            ends,
            place,
            place_detail,
            enforceable,
            creator.id,
            created,
        )
        ds.add[Session](row)
        ds.add_history[Session](row, "+", created, creator.id)
        history_id = ds.add_history[Session](
            row, "~", created + datetime.timedelta(milliseconds=40), creator.id
        )
        through = ds.ids[Session.staff.through]
        for person in staff:
            link_id = through()
            ds.add[Session.staff.through]((link_id, session_id, person.id))
            ds.add_staff_history(
                (link_id, session_id, person.id, history_id, ds.next_staff_history_id())
            )
        if starts >= now:
            for man in men:
                planned = (ds.ids[Attendance](), session_id, man.participant_id, "", "", "")
                ds.add[Attendance]((*planned, None, None, starts))
            return
        display = title or SESSION_TYPE_LABELS[kind]
        link = ds.link["keywork:session_detail"](session_id)
        cancelled = rng.random() < 0.012
        recent = (self.today - day).days <= 30
        group = len(men) > 1
        # Whoever ran it records the outcome; at a three-way meeting either of the two.
        recorder = staff[0] if group or len(staff) == 1 else rng.choice(staff)
        forgotten = recent and rng.random() < 0.03  # "outcome missing" on their home page
        for man in men:
            attendance_id = ds.ids[Attendance]()
            recorded = ends + datetime.timedelta(minutes=5 + int(rng.random() * 175))
            if recorded > now or forgotten or ends > now:
                ds.add[Attendance](
                    (attendance_id, session_id, man.participant_id, "", "", "", None, None, starts)
                )
                continue
            outcome, reason, rescheduled = self._outcome(man, day, cancelled)
            row = (
                attendance_id,
                session_id,
                man.participant_id,
                outcome,
                reason,
                rescheduled,
                recorder.id,
                recorded,
                starts,
            )
            ds.add[Attendance](row)
            ds.add_history[Attendance](row, "~", recorded, recorder.id)
            label = OUTCOME_LABELS[outcome]
            self._event(
                man,
                starts,
                "session",
                f"{display}: {label}",
                recorder.id,
                detail=ABSENCE_LABELS.get(reason, ""),
                link=link,
                recorded=recorded,
            )
            if outcome == "unacceptable_absence" and enforceable:
                self._absence(man, day)
            if outcome in ATTENDED_OUTCOMES and rng.random() < (0.08 if group else 0.65):
                self._note(man, session_id, display, starts, recorder, recorded, link, kind)

    def _outcome(self, man: Man, day, cancelled: bool) -> tuple[str, str, str]:
        rng = self.rng
        if cancelled:
            return "cancelled_by_service", "", ""
        disengaged = bool(man.disengaged) and man.is_disengaged(day)
        absent = 0.45 if disengaged else 1 - man.reliability
        if rng.random() < absent:
            if rng.random() < (0.85 if disengaged else 0.15):
                return "unacceptable_absence", "", ""
            return "acceptable_absence", rng.choice(ABSENCE_REASONS), ""
        r = rng.random()
        if r < 0.07:
            return "late", "", ""
        if r < 0.082:
            return "failed_to_comply", "", ""
        if r < 0.088:
            return "sent_home_behaviour", "", ""
        if r < 0.092:
            return "sent_home_service", "", ""
        if r < 0.112:
            return "rescheduled", "", "participant" if rng.random() < 0.6 else "service"
        return "attended", "", ""

    def _note(self, man, session_id, display, starts, author, recorded, link, kind) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        created = recorded + datetime.timedelta(minutes=1 + int(rng.random() * 39))
        if created > now:
            return
        if author.agency == Agency.HEALTH:
            visibility = (
                "health" if (display == "Psychology session" or rng.random() < 0.28) else "shared"
            )
        else:
            visibility = "probation" if rng.random() < 0.25 else "shared"
        concern = rng.choice(names.RISK_CONCERNS) if rng.random() < 0.02 else ""
        note = [
            uid(rng),
            session_id,
            man.participant_id,
            author.id,
            rng.choice(names.NOTE_SUMMARIES),
            rng.choice(names.NARRATIVES),
            rng.sample(PATHWAY_CODES, rng.randrange(0, 3)),
            concern,
            visibility,
            None,
            None,
            created,
        ]
        ds.add_history[SessionNote](tuple(note), "+", created, author.id)
        self._event(
            man,
            starts,
            "note",
            f"Note: {display}",
            author.id,
            detail=note[4],
            visibility=visibility,
            link=link,
            recorded=created,
        )
        if concern:
            self._event(
                man,
                starts,
                "note",
                "Risk concern raised",
                author.id,
                detail=note[4],
                visibility=visibility,
                link=link,
                recorded=created,
            )
            seen = created + datetime.timedelta(hours=rng.randrange(2, 72))
            om = man.team_on(Role.OFFENDER_MANAGER, starts.date())
            if om is not None and seen < now:
                note[9], note[10] = seen, om.id
                ds.add_history[SessionNote](tuple(note), "~", seen, om.id)
                self._event(man, seen, "note", "Risk concern seen by his offender manager", om.id)
        ds.add[SessionNote](tuple(note))
        if rng.random() < 0.04:
            added = created + datetime.timedelta(
                days=rng.randrange(1, 20), minutes=rng.randrange(600)
            )
            if added < now:
                addendum = (
                    ds.ids[NoteAddendum](),
                    note[0],
                    author.id,
                    rng.choice(names.ADDENDA),
                    added,
                )
                ds.add[NoteAddendum](addendum)
                ds.add_history[NoteAddendum](addendum, "+", added, author.id)

    def _absence(self, man: Man, day) -> None:
        """The offender manager's enforcement decision after an unacceptable absence."""
        rng = self.rng
        man.unacceptable_days.append(day)
        if man.is_disengaged(day) or rng.random() >= 0.6:
            return
        decided_on = day + datetime.timedelta(days=rng.randrange(1, 7))
        if decided_on > self.today:
            return
        window_start = add_months(decided_on, -12) + DAY
        counted = sum(1 for d in man.unacceptable_days if window_start <= d <= decided_on)
        if counted <= 1:
            decision = "first_warning" if rng.random() < 0.85 else "nfa"
        elif counted == 2:
            decision = "second_warning" if rng.random() < 0.8 else "nfa"
        else:
            decision = "compliance_letter" if rng.random() < 0.7 else "recall_considered"
        om = self._om(man, decided_on)
        reason = (
            "He gave an acceptable explanation afterwards"
            if decision == "nfa"
            else "Missed a required session without a reason"
        )
        enforcement = self._enforcement(man, decision, reason, decided_on, om, counted)
        if decision == "recall_considered":
            self._recall_decision(
                man,
                enforcement,
                decided_on,
                om,
                "contact",
                "no_recall",
                "Engaging again after a warning; risk manageable in the community",
            )

    def _enforcement(self, man, decision, reason, decided_on, om, counted) -> str:
        ds, rng = self.ds, self.rng
        created = ds.at(decided_on, 10, rng.randrange(60))
        row = (uid(rng), man.participant_id, decision, reason, decided_on, om.id, counted, created)
        ds.add[EnforcementDecision](row)
        ds.add_history[EnforcementDecision](row, "+", created, om.id)
        label = EnforcementDecision.Decision(decision).label.lower()
        self._event(
            man,
            created,
            "enforcement",
            f"Enforcement: {label}",
            om.id,
            detail=reason,
            link=ds.link["keywork:participant_sessions"](man.participant_id),
        )
        return row[0]

    def _recall_decision(self, man, enforcement_id, day, om, why, outcome, rationale) -> None:
        ds, rng = self.ds, self.rng
        alternatives = rng.sample(RecallDecision.Alternative.values, rng.randrange(1, 4))
        row = (
            ds.ids[RecallDecision](),
            enforcement_id,
            why,
            alternatives,
            rationale,
            outcome,
            day,
            om.id,
        )
        ds.add[RecallDecision](row)
        when = ds.at(day, 10, 45)
        ds.add_history[RecallDecision](row, "+", when, om.id)
        if outcome == "no_recall":
            self._event(
                man, when, "enforcement", "Recall considered: no recall", om.id, detail=rationale
            )

    def _recall_decisions(self, man: Man) -> None:
        """Each recall of the journey follows "recall considered" and its recall decision."""
        for day, recall_type, why, rationale, om in man.recall_plans:
            window_start = add_months(day, -12) + DAY
            counted = sum(1 for d in man.unacceptable_days if window_start <= d <= day)
            enforcement = self._enforcement(
                man, "recall_considered", "Stopped attending; whereabouts unknown", day, om, counted
            )
            self._recall_decision(man, enforcement, day, om, why, recall_type, rationale)

    def _record_views(self, monday) -> None:
        """A week of staff opening his record (the access log), from this Monday."""
        ds, rng, now = self.ds, self.rng, self.now
        community, move_on, in_reach = self.on(monday)
        manager = self._manager(monday)
        add = ds.add[AccessLog]
        random = rng.random
        for people, mean in ((community, 2.2), (move_on, 1.2), (in_reach, 1.0)):
            for man in people:
                views = poisson(rng, mean)
                if not views:
                    continue
                team = {role: man.team_on(role, monday) for role in TEAM_ROLES}
                team[Role.SERVICE_MANAGER] = manager
                for _ in range(views):
                    role = rng.choices(VIEWER_ROLES, cum_weights=VIEWER_CUMULATIVE)[0]
                    viewer = team[role]
                    if viewer is None:
                        continue
                    at = ds.at(
                        monday + datetime.timedelta(days=int(random() * 5)),
                        8 + int(random() * 10),
                        int(random() * 60),
                        int(random() * 60),
                    )
                    if at > now:
                        continue
                    page = rng.choices(PAGE_NAMES, cum_weights=PAGE_CUMULATIVE)[0]
                    add(
                        (
                            uid(rng),
                            at,
                            viewer.id,
                            role,
                            man.participant_id,
                            ds.link[page](man.participant_id),
                            page,
                            viewer.ip_address,
                            True,
                        )
                    )

    # --- Exclusions and break-glass -------------------------------------------------------

    def _exclusions_and_temporary_access(self) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        current = [m for m in self.men if m.participant_id and m.stage != Stage.ENDED]
        case_staff = [p for role in TEAM_ROLES for p in self.holders(role, self.today)]
        manager = self._manager(self.today)
        excluded = set()  # one current exclusion per man and member of staff
        for number in range(3 if current else 0):
            man = rng.choice(current)
            team = {man.current(role) for role in TEAM_ROLES}
            staff = [p for p in case_staff if p not in team]
            if self.is_focus and number == 0:
                focus_keyworker = ds.focus_staff["keyworker"]
                candidates = [
                    m for m in current if focus_keyworker not in {m.current(r) for r in TEAM_ROLES}
                ]
                if candidates:
                    man, staff = candidates[0], [focus_keyworker]
            if not staff:
                continue
            created = now - datetime.timedelta(days=rng.randrange(30, 900))
            chosen = rng.choice(staff).id
            if (man.participant_id, chosen) in excluded:
                continue
            excluded.add((man.participant_id, chosen))
            row = {
                "id": ds.ids[Exclusion](),
                "participant_id": man.participant_id,
                "staff_id": chosen,
                "reason": rng.choice(EXCLUSION_REASONS),
                "created_by_id": manager.id,
                "created_at": created,
                "lifted_at": None,
                "lifted_by_id": None,
            }
            ds.history(Exclusion, row, "+", created, manager.id)
            if number == 2:
                row.update(
                    lifted_at=created + datetime.timedelta(days=rng.randrange(5, 30)),
                    lifted_by_id=manager.id,
                )
                ds.history(Exclusion, row, "~", row["lifted_at"], manager.id)
            ds.put(Exclusion, row)
        day = self.start + 200 * DAY
        while day <= self.today:
            community, move_on, in_reach = self.on(day)
            people = community + move_on + in_reach
            if people and day.weekday() < 5:
                man = rng.choice(people)
                team = {man.team_on(role, day) for role in TEAM_ROLES}
                staff = [p for role in TEAM_ROLES for p in self.holders(role, day) if p not in team]
                if staff:
                    self._grant(
                        man, rng.choice(staff), ds.at(day, rng.randrange(9, 17), rng.randrange(60))
                    )
            day += datetime.timedelta(days=rng.randrange(40, 120))
        if self.is_focus:
            psychologist = ds.focus_staff["psychologist"]
            others = [
                m
                for m in current
                if m.stage in ACTIVE and psychologist not in {m.current(r) for r in TEAM_ROLES}
            ]
            if others:
                self._grant(others[0], psychologist, now - datetime.timedelta(hours=3), hours=24)

    def _grant(self, man: Man, staff: StaffMember, granted, hours: int | None = None) -> None:
        ds, rng = self.ds, self.rng
        hours = hours or rng.choice((4, 8, 24, 24, 24, 48, 72))
        row = {
            "id": uid(rng),
            "participant_id": man.participant_id,
            "staff_id": staff.id,
            "reason": rng.choice(TEMPORARY_REASONS),
            "granted_at": granted,
            "expires_at": granted + datetime.timedelta(hours=hours),
            "ended_at": None,
            "ended_by_id": None,
        }
        ds.history(TemporaryAccess, row, "+", granted, staff.id)
        self._event(
            man,
            granted,
            "access",
            f"Temporary access for {staff.full_name} ({hours} hours)",
            staff.id,
            detail=row["reason"],
        )
        ended = granted + datetime.timedelta(hours=rng.randrange(1, hours))
        if rng.random() < 0.15 and ended < self.now:
            manager = self._manager(ended.date())
            row.update(ended_at=ended, ended_by_id=manager.id)
            ds.history(TemporaryAccess, row, "~", ended, manager.id)
        ds.put(TemporaryAccess, row)

    # --- The participant row and the team's object permissions ----------------------------

    def _participant_row(self, man: Man) -> None:
        ds = self.ds
        values = dict(man.details)
        values.update(
            highest_rosh=man.highest_rosh,
            mappa_category=man.mappa[0],
            mappa_level=man.mappa[1],
            plan_review_due_on=man.plan_review_due_on,
            expected_days_per_week=man.expected_days_per_week,
            version=man.version,
        )
        ds.put(Participant, values)
        holders = []
        for allocation in man.allocations:
            if allocation.ended_on is None and allocation.staff not in holders:
                holders.append(allocation.staff)
        for person in holders:
            ds.add[ParticipantUserObjectPermission](
                (
                    ds.ids[ParticipantUserObjectPermission](),
                    man.participant_id,
                    ds.change_participant,
                    person.id,
                )
            )

    # --- Reports (after every service is written: the figures are read back) --------------

    def _plan_reports(self) -> None:
        """Which reports were asked for, and by whom (written with their figures at the end,
        once every service is in the database: see write_reports)."""
        from reports.quarters import completed_quarters

        ds = self.ds
        rng = self.report_rng = random.Random(f"{ds.seed}:reports:{self.index}")
        quarters = list(reversed(completed_quarters(self.today, 8)))
        system = ds.system_id
        plans = self.report_plans = []
        for position, quarter in enumerate(quarters):
            asked = ds.at(quarter.end + DAY, 6, 0)
            manager = self._manager(quarter.end + DAY)
            last = position == len(quarters) - 1
            approve = not last or (not self.is_focus and rng.random() < 0.5)
            common = {
                "kind": "commissioner",
                "service_id": self.service_id,
                "participant_id": None,
                "start": quarter.start,
                "end": quarter.end,
            }
            if rng.random() < 0.1:  # a first draft produced again by the manager
                replaced = asked + datetime.timedelta(days=rng.randrange(1, 4), hours=3)
                plans.append({**common, "requested_by": system, "requested_at": asked, "scheduled": True, "superseded_at": replaced})  # fmt: skip
                asked, requester, scheduled = replaced, manager.id, False
            else:
                requester, scheduled = system, True
            approved_at = asked + datetime.timedelta(
                days=rng.randrange(2, 12), hours=rng.randrange(4, 10)
            )
            approve = approve and approved_at <= self.now
            plans.append(
                {
                    **common,
                    "requested_by": requester,
                    "requested_at": asked,
                    "scheduled": scheduled,
                    "approved_by": manager.id if approve else None,
                    "approved_at": approved_at if approve else None,
                }
            )
        day = quarters[0].start
        while day <= self.today:
            community, move_on, _ = self.on(day)
            people = community + move_on
            if people:
                man = rng.choice(people)
                om = man.team_on(Role.OFFENDER_MANAGER, day)
                asked = ds.at(day, rng.randrange(9, 17), rng.randrange(60))
                if om is not None and asked < self.now:
                    period_end = day - DAY
                    plans.append(
                        {
                            "kind": "compliance",
                            "service_id": self.service_id,
                            "participant_id": man.participant_id,
                            "start": period_end - datetime.timedelta(days=rng.randrange(90, 365)),
                            "end": period_end,
                            "requested_by": om.id,
                            "requested_at": asked,
                            "failed": rng.random() < 0.04,
                        }
                    )
            day += datetime.timedelta(days=rng.randrange(20, 50))

    def write_reports(self) -> None:
        """The planned reports, commissioner ones with the figures read back from the data."""
        from reports import commissioner
        from reports.quarters import Quarter

        ds = self.ds
        figures_of = {}
        for plan in self.report_plans:
            figures = None
            if plan["kind"] == "commissioner" and ds.with_figures:
                if plan["start"] not in figures_of:
                    quarter = Quarter.starting(plan["start"])
                    figures_of[plan["start"]] = commissioner.gather_counts(
                        [self.service_id], quarter
                    )
                figures = figures_of[plan["start"]]
                if plan.get("approved_at"):
                    self.approved_figures.setdefault(plan["start"], []).append(figures)
            report_row(ds, self.report_rng, figures=figures, **plan)

    def _let_go(self) -> None:
        """Keep only what the reports and the summary need: memory stays bounded per service."""
        self.men = self.community = self.move_on = self.in_reach = None
        self.queue = self.series = self.waiting = None


def report_row(
    ds,
    rng,
    *,
    kind,
    service_id,
    participant_id,
    start,
    end,
    requested_by,
    requested_at,
    figures=None,
    scheduled=False,
    failed=False,
    approved_by=None,
    approved_at=None,
    superseded_at=None,
) -> dict:
    """A report as the worker left it: asked for, run, ready (the shared placeholder file)."""
    started = requested_at + datetime.timedelta(seconds=rng.randrange(1, 20))
    seconds = round(rng.uniform(2.0, 14.0), 3)
    finished = started + datetime.timedelta(seconds=seconds + 1)
    values = {
        "id": uid(rng),
        "kind": kind,
        "service_id": service_id,
        "participant_id": participant_id,
        "period_start": start,
        "period_end": end,
        "requested_by_id": requested_by,
        "requested_at": requested_at,
        "status": "queued",
        "progress": 0,
        "step": "",
        "attempts": 0,
        "last_sent_at": requested_at,
        "started_at": None,
        "finished_at": None,
        "file": "",
        "file_size": None,
        "page_count": None,
        "render_seconds": None,
        "error_message": "",
        "figures": None,
        "approved_by_id": None,
        "approved_at": None,
        "superseded_at": None,
        "scheduled": scheduled,
    }
    ds.history(ReportRequest, values, "+", requested_at, requested_by)
    values.update(status="running", attempts=1, started_at=started, progress=5, step="Starting")
    ds.history(ReportRequest, values, "~", started, requested_by)
    if failed:
        values.update(
            status="failed",
            step="Failed",
            finished_at=finished,
            error_message="The report could not be generated because of an unexpected error. "
            f"Try again; if it fails again, tell the service desk (reference {values['id']}).",
        )
    else:
        values.update(
            status="succeeded",
            progress=100,
            step="Ready",
            finished_at=finished,
            file=PLACEHOLDER_REPORT,
            file_size=rng.randrange(60_000, 420_000),
            page_count=rng.randrange(3, 14),
            render_seconds=seconds,
            figures=figures,
        )
    ds.history(ReportRequest, values, "~", finished, requested_by)
    if approved_at is not None:
        values.update(approved_by_id=approved_by, approved_at=approved_at)
        ds.history(ReportRequest, values, "~", approved_at, approved_by)
    if superseded_at is not None:
        values["superseded_at"] = superseded_at
        ds.history(ReportRequest, values, "~", superseded_at, requested_by)
    ds.put(ReportRequest, values)
    return values


from sessions.models import AbsenceReason, Outcome

OUTCOME_LABELS = {value: label.lower() for value, label in Outcome.choices}
ABSENCE_LABELS = dict(AbsenceReason.choices)
ATTENDED_OUTCOMES = frozenset({"attended", "late", "failed_to_comply", "sent_home_behaviour"})
PATHWAY_CODES = Pathway.values
VIEWER_ROLES = (
    Role.HEALTH_KEYWORKER,
    Role.OFFENDER_MANAGER,
    Role.PSYCHOLOGIST,
    Role.SERVICE_MANAGER,
)
VIEWER_CUMULATIVE = tuple(itertools.accumulate((50, 30, 12, 8)))
PAGE_NAMES = tuple(name for name, _ in PAGES)
PAGE_CUMULATIVE = tuple(itertools.accumulate(weight for _, weight in PAGES))
SESSION_TYPE_LABELS = dict(Session._meta.get_field("session_type").choices)
