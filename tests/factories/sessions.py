"""Sessions, a man's place on one, and notes, made directly (no service function): for records
as they stood before a rule was added, and for a world built quickly."""

import datetime

import factory
from django.utils import timezone

from sessions.models import Attendance, Session, SessionNote, SessionType, Visibility

from .accounts import ServiceFactory, UserFactory
from .participants import ParticipantFactory


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    service = factory.SubFactory(ServiceFactory)
    session_type = SessionType.GROUP
    title = "Cooking group"
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + datetime.timedelta(hours=1))
    location_kind = "centre"
    created_by = factory.SubFactory(UserFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(
        ParticipantFactory, service=factory.SelfAttribute("..session.service")
    )


class SessionNoteFactory(factory.django.DjangoModelFactory):
    """A note written straight to the table: as old notes stand, whatever today's rules."""

    class Meta:
        model = SessionNote

    session = factory.SubFactory(SessionFactory)
    participant = factory.SubFactory(
        ParticipantFactory, service=factory.SelfAttribute("..session.service")
    )
    author = factory.SubFactory(UserFactory)
    summary = "Talked about his week and his housing"
    narrative = "Says he is sleeping badly since the row with his landlord."
    visibility = Visibility.SHARED
