"""Builders for records past the retention period: a man whose involvement ended on a given
day, a referral declined on a given day. Made through the real services, then aged."""

import datetime

from django.conf import settings
from django.utils import timezone

from participants import services
from participants.models import Participant, Referral, StageChange, TimelineEvent
from participants.retention import years_before

from .participants import ReferralFactory
from .reports import accepted_on, at, move


def past_the_period(extra_days: int = 1) -> datetime.date:
    """A day more than the retention period ago (by `extra_days`)."""
    today = timezone.localdate()
    return years_before(today, settings.RECORD_RETENTION_YEARS) - datetime.timedelta(
        days=extra_days
    )


def age_timeline(participant: Participant, until: datetime.date) -> None:
    """Services date what they record "now": move his timeline back to `until` at the latest,
    as if it had all happened before his involvement ended."""
    TimelineEvent.objects.filter(participant=participant, occurred_at__gt=at(until)).update(
        occurred_at=at(until)
    )


def ended_participant(
    *, service, manager, ended_on: datetime.date, ending=StageChange.Ending.COMPLETED, **fields
) -> Participant:
    """A man accepted about a year before `ended_on`, whose case ended that day."""
    man = accepted_on(
        service=service, manager=manager, day=ended_on - datetime.timedelta(days=400), **fields
    )
    move(man, manager, StageChange.Kind.ENDED, ended_on, ending=ending, reason="Case closed")
    age_timeline(man, ended_on)
    return man


def declined_referral(*, service, manager, decided_on: datetime.date, **fields) -> Referral:
    referral = ReferralFactory(
        service=service,
        created_by=manager,
        received_on=decided_on - datetime.timedelta(days=20),
        **fields,
    )
    services.start_assessment(referral=referral, actor=manager)
    return services.decline_referral(
        referral=referral,
        actor=manager,
        reason="Not screened into the OPD pathway",
        decided_on=decided_on,
        category=Referral.DeclineCategory.NOT_SCREENED_IN,
    )
