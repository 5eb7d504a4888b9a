"""The generator's vocabulary: posts, reasons, texts, weights and small id helpers."""

import datetime
import itertools
import random

from participants.models import (
    Participant,
    Pathway,
    Stage,
    StageChange,
)
from resettle.accounts.roles import Role
from sessions.models import (
    AbsenceReason,
    Outcome,
    Session,
)

from . import names
from .constants import (
    FOCUS_PARTICIPANT_PRISON_NUMBER,
)

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
SESSION_TYPE_LABELS = dict(Session._meta.get_field("session_type").choices or ())
