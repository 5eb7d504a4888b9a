"""Demo risk assessments, plans in every state, formulations and some overdue reviews."""

import datetime

from django.utils import timezone

from participants.models import Participant, Stage
from resettle.accounts.models import User
from resettle.accounts.roles import Role
from resettle.audit import acting_as

from . import services
from .models import RiskAssessment, RiskManagementPlan

ACTIONS = [
    {"pillar": "supervision", "action": "Weekly three-way meeting at the centre",
     "owner": "Offender manager and keyworker", "due": "Weekly"},
    {"pillar": "monitoring", "action": "Curfew and residence checked with the approved premises",
     "owner": "Offender manager", "due": "Weekly"},
    {"pillar": "interventions", "action": "Key-work on emotional regulation; group on Tuesdays",
     "owner": "Health keyworker", "due": "Ongoing"},
    {"pillar": "victim_safety", "action": "Victim liaison updated on address and exclusion zone",
     "owner": "Offender manager", "due": "Within 5 days of any change"},
]  # fmt: skip

CONTINGENCY = (
    "Warning signs: withdrawing from the centre, drinking, contact with his ex-partner, talk "
    "of getting 'sorted'. In hours: keyworker calls him the same day; OM considers a visit. "
    "Out of hours: crisis line to call him, then the on-call manager; if he speaks of harming "
    "anyone, police on 999 and the OM informed at 09:00."
)

# Which plan story each demo participant gets, by position in the caseload.
# By family name: Ashworth, Doherty, Kennedy, McBride, Okoro, Tierney, Whitfield. McBride's
# offender manager is the demo one (Rebecca Tait at Mersey), so his submitted plan waits for her.
STORIES = ("approved", "overdue", "returned", "submitted", "approved", "draft", "approved")


def _team_member(participant: Participant, role: str) -> User | None:
    allocation = participant.allocations.filter(role=role, ended_on__isnull=True).first()
    return allocation.staff if allocation else None


def seed_risk(demo_services) -> None:
    today = timezone.localdate()
    for service in demo_services.values():
        if RiskAssessment.objects.filter(participant__service=service).exists():
            continue
        participants = list(
            Participant.objects.filter(service=service)
            .exclude(stage__in=[Stage.WAITING])
            .order_by("family_name")
        )
        for index, participant in enumerate(participants):
            om = _team_member(participant, Role.OFFENDER_MANAGER)
            keyworker = _team_member(participant, Role.HEALTH_KEYWORKER)
            psychologist = _team_member(participant, Role.PSYCHOLOGIST)
            if not (om and keyworker and psychologist):
                continue
            levels = ["medium", "high", "very_high", "high"]
            services.record_assessment(
                participant=participant,
                actor=om,
                assessment=RiskAssessment(
                    assessed_on=today - datetime.timedelta(days=40 + index),
                    source_reference="OASys layer 3",
                    rosh_public=levels[index % 4],
                    rosh_known_adult=levels[(index + 1) % 4],
                    rosh_children="low",
                    rosh_staff="medium",
                    rosh_prisoners="medium",
                    risk_to_self=levels[(index + 2) % 4],
                    reoffending="high",
                    mappa_category="2" if index % 2 else "",
                    mappa_level="2" if index % 2 else "",
                    risk_factors="Alcohol misuse; volatile relationships; unstable accommodation",
                    protective_factors="Engaged with keyworker; contact with his daughter",
                    warning_signs="Missing sessions, drinking, isolation, contact with ex-partner",
                    imminence="Evenings and weekends, after conflict with family",
                ),
            )
            story = STORIES[index % len(STORIES)]
            if participant.stage == Stage.ENDED:
                story = "approved"
            _plan_story(participant, story, keyworker, om, today)
            formulation = services.start_formulation(participant=participant, actor=psychologist)
            services.save_formulation(
                formulation=formulation,
                actor=psychologist,
                expected_version=formulation.lock_version,
                changes={
                    "presenting_problems": "Explosive anger when he feels disrespected; drinking",
                    "reciprocal_roles": "Controlling ↔ controlled; abandoning ↔ abandoned",
                    "target_problem_procedures": "Feels let down, withdraws, drinks, then lashes out",
                    "exits": "Naming the pattern early; calling his keyworker before drinking",
                    "presenting": "Anger, low mood, distrust of services",
                    "predisposing": "Neglect and violence at home; care from age 11",
                    "precipitating": "Relationship breakdowns; loss of housing",
                    "perpetuating": "Alcohol; isolation; shame",
                    "protective": "His daughter; skill in cooking; humour",
                    "his_account": "When I feel like nobody's bothered, I stop caring what happens.",
                    "shared_with_him_on": today - datetime.timedelta(days=20),
                },
            )
            services.make_formulation_current(formulation=formulation, actor=psychologist)


def _plan_story(participant, story, author, om, today):
    plan = services.start_plan(participant=participant, actor=author)
    plan = services.save_plan(
        plan=plan,
        actor=author,
        expected_version=plan.lock_version,
        changes={"actions": ACTIONS, "contingency_plan": CONTINGENCY, "expected_days_per_week": 4},
    )
    if story == "draft":
        return
    services.submit_plan(plan=plan, actor=author)
    if story == "submitted":
        return
    if story == "returned":
        services.return_plan(
            plan=plan, actor=om, comment="Add the exclusion zone to monitoring and control"
        )
        return
    services.approve_plan(plan=plan, actor=om)
    if story == "overdue":
        # As if approved four months ago: the review date has passed.
        with acting_as(om):
            approved = RiskManagementPlan.objects.get(pk=plan.pk)
            approved.decided_at = timezone.now() - datetime.timedelta(days=120)
            approved.review_due_on = today - datetime.timedelta(days=28)
            approved.save()
        services.sync_participant_summary(participant)
