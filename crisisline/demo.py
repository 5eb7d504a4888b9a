"""A few weeks of out-of-hours calls: some still waiting for follow-up, one unknown caller."""

import datetime

from django.utils import timezone

from participants.models import Participant, Stage
from resettle.accounts.models import User
from resettle.core.demo import demo_email

from . import services
from .models import CrisisCall

CALLS = [
    # days ago, hour, minutes long, caller, issue, indicators, urgency, actions, follow-up
    (21, 22, 15, "participant", "Argument with landlord, wants to leave the hostel",
     ["accommodation"], "concerning", ["de_escalated", "advice"], False),
    (14, 1, 25, "participant", "Can't sleep, thoughts of ending it",
     ["self_harm", "mental_health"], "urgent", ["de_escalated", "contingency"], True),
    (9, 19, 10, "family", "Mother worried he has been drinking again",
     ["substances"], "concerning", ["advice"], True),
    (3, 23, 30, "participant", "Says he will 'sort out' his ex-partner's new boyfriend",
     ["harm_to_others", "relationship"], "emergency", ["contingency", "police", "on_call"], True),
    (1, 20, 8, "participant", "Missed curfew by an hour, worried about recall",
     ["licence"], "routine", ["advice"], True),
]  # fmt: skip


def seed_calls(demo_services) -> None:
    now = timezone.localtime()
    for key, service in demo_services.items():
        if CrisisCall.objects.filter(service=service).exists():
            continue
        worker = User.objects.get(email=demo_email("crisis", key))
        day_team = User.objects.get(email=demo_email("keyworker", key))
        people = list(
            Participant.objects.filter(
                service=service, stage__in=[Stage.COMMUNITY, Stage.MOVE_ON]
            ).order_by("family_name")
        )
        if not people:
            continue
        for index, (
            days,
            hour,
            minutes,
            caller,
            issue,
            indicators,
            urgency,
            actions,
            follow,
        ) in enumerate(CALLS):
            started = (now - datetime.timedelta(days=days)).replace(
                hour=hour, minute=5, second=0, microsecond=0
            )
            call = services.log_call(
                actor=worker,
                call=CrisisCall(
                    service=service,
                    participant=people[index % len(people)],
                    started_at=started,
                    ended_at=started + datetime.timedelta(minutes=minutes),
                    caller_type=caller,
                    presenting_issue=issue,
                    risk_indicators=indicators,
                    urgency=urgency,
                    actions_taken=actions,
                    follow_up_required=follow,
                    narrative="Caller was calmer by the end of the call. Contingency plan read first.",
                ),
            )
            if follow and days > 7:
                services.acknowledge_call(
                    call=call, actor=day_team, note="Seen next morning; plan reviewed with him."
                )
        services.log_call(
            actor=worker,
            call=CrisisCall(
                service=service,
                participant=None,
                started_at=(now - datetime.timedelta(days=2)).replace(hour=2, minute=40),
                caller_type="unknown",
                presenting_issue="Withheld number asking if 'Jay' is still on the programme",
                urgency="concerning",
                actions_taken=["other"],
                follow_up_required=True,
                narrative="Would not give a name. No information given out.",
            ),
        )
