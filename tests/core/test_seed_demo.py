import io

import pytest
from django.core.management import CommandError, call_command

from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import Role
from resettle.core.demo import DEMO_PASSWORD, demo_logins

pytestmark = pytest.mark.django_db


def run_seed():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_builds_two_services_with_a_login_for_every_role_in_each():
    output = run_seed()
    assert Service.objects.count() == 2
    assert set(Service.objects.values_list("delivery_model", flat=True)) == {"centre", "outreach"}
    for service in Service.objects.all():
        roles = set(Membership.objects.filter(service=service).values_list("role", flat=True))
        assert roles == set(Role)
    for email, _role, _service in demo_logins():
        assert email in output
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)


def test_seed_is_idempotent():
    run_seed()
    counts = (User.objects.count(), Membership.objects.count(), Service.objects.count())
    run_seed()
    assert (User.objects.count(), Membership.objects.count(), Service.objects.count()) == counts


def test_seed_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refuses to run"):
        run_seed()
    assert not Service.objects.exists()


def test_seed_gives_each_service_manager_records_due_for_review():
    from django.utils import timezone

    from participants import retention
    from participants.access import participants_for_retention_review
    from resettle.core.demo import demo_email

    run_seed()
    run_seed()  # still three each: the seeder is idempotent
    today = timezone.localdate()
    for key in ("mersey", "northumbria"):
        manager = User.objects.get(email=demo_email("manager", key))
        assert retention.due_for_review_count(manager, today) == 3
        men = retention.with_holds_described(
            retention.participants_due_for_review(participants_for_retention_review(manager), today)
        )
        assert [bool(man.holds) for man in men] == [False, True]


def test_the_demo_team_has_work_phones_and_the_commissioner_none():
    run_seed()
    team = (Role.OFFENDER_MANAGER, Role.HEALTH_KEYWORKER, Role.PSYCHOLOGIST, Role.SERVICE_MANAGER)
    for membership in Membership.objects.select_related("user"):
        phone = membership.user.work_phone
        if membership.role in team:
            assert phone.startswith(("+44151496", "+44191498")), membership
        else:
            assert phone == "", membership
