"""`make run`'s demo data (seed_demo): a login for every role in each of two services, safe to
run again, refused in production, and enough in it that each user's journey starts at once
(issue 20, item 9): signed in as the demo logins, each finds the thing to do on their first
page.

Seeding takes about twenty seconds, so the module seeds once (tests.world.built_once) and each
test reads that one demo; the idempotency test seeds a second time on top of it.
"""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from participants import retention
from participants.access import participants_for_retention_review
from participants.models import Participant, Stage, StageChange
from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import Role
from resettle.core.demo import DEMO_PASSWORD, demo_email, demo_logins
from sessions import compliance
from tests.world import built_once

pytestmark = pytest.mark.django_db


def run_seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """What the seeder printed; the demo it made is in the database for every test."""
    with built_once(django_db_blocker, run_seed) as output:
        yield output


@pytest.fixture
def demo(seeded, client):
    def signed_in(local: str):
        client.force_login(User.objects.get(email=demo_email(local, "mersey")))
        return client

    return signed_in


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (User, Membership, Service, Participant, StageChange)
    )


def test_seed_refuses_in_production(settings, seeded):
    settings.PRODUCTION = True
    before = counts()
    with pytest.raises(CommandError, match="refuses to run"):
        run_seed()
    assert counts() == before


def test_seed_builds_two_services_with_a_login_for_every_role_in_each(seeded):
    assert Service.objects.count() == 2
    assert set(Service.objects.values_list("delivery_model", flat=True)) == {"centre", "outreach"}
    for service in Service.objects.all():
        roles = set(Membership.objects.filter(service=service).values_list("role", flat=True))
        assert roles == set(Role)
    for email, _role, _service in demo_logins():
        assert email in seeded
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)


def assert_three_due_for_review_each():
    today = timezone.localdate()
    for key in ("mersey", "northumbria"):
        manager = User.objects.get(email=demo_email("manager", key))
        assert retention.due_for_review_count(manager, today) == 3
        men = retention.with_holds_described(
            retention.participants_due_for_review(participants_for_retention_review(manager), today)
        )
        assert [bool(man.holds) for man in men] == [False, True]


def test_seed_gives_each_service_manager_records_due_for_review(seeded):
    assert_three_due_for_review_each()


def test_seed_is_idempotent(seeded):
    before = counts()
    run_seed()
    assert counts() == before
    assert_three_due_for_review_each()  # still three each


def mersey_man(family_name: str) -> Participant:
    return Participant.objects.get(service__name__icontains="mersey", family_name=family_name)


def test_each_demo_journey_starts_at_once(demo):
    today = timezone.localdate()

    # The demo offender manager has a plan waiting for her decision, and Jamal due out in ten
    # weeks on her list of upcoming releases.
    home = demo("om").get(reverse("core:home"))
    waiting = [plan.participant.family_name for plan in home.context["plans_to_decide"]]
    assert waiting == ["McBride"]
    jamal = mersey_man("Okoro")
    assert jamal.expected_release_date == today + datetime.timedelta(weeks=10)
    assert [p.pk for p in home.context["upcoming_releases"]] == [jamal.pk]

    # The keyworker's group earlier today is waiting for its register.
    keyworker_home = demo("keyworker").get(reverse("keywork:my_day")).content.decode()
    assert "Morning check-in group" in keyworker_home

    # Paul Kennedy was recalled last week: back in custody, his sessions stop at the recall.
    paul = mersey_man("Kennedy")
    recall = paul.stage_changes.get(kind=StageChange.Kind.RECALLED)
    assert paul.stage == Stage.IN_REACH
    assert recall.effective_on == today - datetime.timedelta(days=7)
    assert paul.attendances.exists()
    assert not paul.attendances.filter(session_starts_at__date__gte=recall.effective_on).exists()
    recalled_on = recall.effective_on
    mark = f"Recalled (fixed-term) since {recalled_on.day} {recalled_on:%B %Y}"
    assert mark in demo("om").get(reverse("participants:caseload")).content.decode()

    # Michael Tierney comes on two of his four expected days, every time he is booked: his
    # sessions look fine, his days do not, and both are there to see.
    michael = mersey_man("Tierney")
    recent = compliance.recent_compliance(michael, today)
    complete_weeks = [w for w in recent.weeks if w.starts + datetime.timedelta(days=4) < today]
    assert all(w.expected == 4 and w.attended_days <= 2 for w in complete_weeks)
    assert recent.days.percent is not None and recent.days.percent <= 50
    assert len(recent.days.weeks_below) >= 10
    assert recent.rate.percent is not None and recent.rate.percent >= 80
    others = [mersey_man(name) for name in ("Doherty", "Whitfield")]
    assert all(compliance.recent_compliance(man, today).days.percent >= 70 for man in others)


def test_the_demo_team_has_work_phones_and_the_commissioner_none(seeded):
    team = (Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST, Role.SERVICE_MANAGER)
    for membership in Membership.objects.select_related("user"):
        phone = membership.user.work_phone
        if membership.role in team:
            assert phone.startswith(("+44151496", "+44191498")), membership
        else:
            assert phone == "", membership
