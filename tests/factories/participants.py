import datetime

import factory
from django.utils import timezone

from participants import services
from participants.models import Participant, Referral, Stage
from resettle.accounts.roles import Role

from .accounts import ServiceFactory, UserFactory


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    service = factory.SubFactory(ServiceFactory)
    received_on = factory.LazyFunction(lambda: days_ago(200))
    source = Referral.Source.PRISON
    given_name = factory.Faker("first_name_male", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = datetime.date(1985, 6, 15)
    prison_number = factory.Sequence(lambda n: f"A{n % 10000:04d}BC")
    current_prison = "HMP Liverpool"
    expected_release_date = factory.LazyFunction(lambda: days_ago(-120))
    sentence_type = Referral.SentenceType.DETERMINATE
    sentence_length_months = 96
    index_offence = Referral.OffenceCategory.VIOLENCE
    screened_into_opd = True
    created_by = factory.SubFactory(UserFactory)


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant created directly (no referral), in the stage asked for."""

    class Meta:
        model = Participant

    service = factory.SubFactory(ServiceFactory)
    given_name = factory.Faker("first_name_male", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = datetime.date(1987, 3, 5)
    prison_number = factory.Sequence(lambda n: f"P{n % 10000:04d}QR")
    crn = factory.Sequence(lambda n: f"X{n % 1000000:06d}")
    stage = Stage.IN_REACH
    stage_since = factory.LazyFunction(lambda: days_ago(100))


def accepted_participant(*, service, manager, received_days_ago=200, **referral_fields):
    """A participant accepted from a referral through the real services (history included)."""
    referral = ReferralFactory(
        service=service,
        received_on=days_ago(received_days_ago),
        created_by=manager,
        **referral_fields,
    )
    return services.accept_referral(
        referral=referral, actor=manager, decided_on=days_ago(received_days_ago - 10)
    )


def allocate_team(participant, *, manager, om=None, keyworker=None, psychologist=None):
    for role, person in (
        (Role.OFFENDER_MANAGER, om),
        (Role.HEALTH_KEYWORKER, keyworker),
        (Role.PSYCHOLOGIST, psychologist),
    ):
        if person is not None:
            services.allocate(
                participant=participant, role=role, staff=person, actor=manager,
                started_on=days_ago(150),
            )  # fmt: skip
    return participant
