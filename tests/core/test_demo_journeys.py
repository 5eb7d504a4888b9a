"""The demo data lets each user's journey start at once (issue 20, item 9): signed in as the
demo logins, each finds the thing to do on their first page."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant, Stage, StageChange
from resettle.accounts.models import User
from resettle.core.demo import demo_email
from sessions import compliance

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def signed_in(local: str):
        client.force_login(User.objects.get(email=demo_email(local, "mersey")))
        return client

    return signed_in


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
