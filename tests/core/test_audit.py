import pytest
from django.core.management import call_command

from resettle.accounts.models import Service
from resettle.audit import SYSTEM_ACCOUNT_EMAIL, acting_as
from resettle.core.tasks import AuditedTask
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_changes_made_inside_acting_as_record_the_actor(service):
    manager = UserFactory(full_name="Joanne Kirkby")
    with acting_as(manager):
        service.funded_community_places = 22
        service.save()
    latest = service.history.latest()
    assert latest.history_user == manager
    assert latest.funded_community_places == 22


def test_changes_made_in_a_web_request_record_the_signed_in_user(client_for, service):
    from django.urls import reverse

    from resettle.accounts.models import User

    # The admin site is the emergency superuser's alone (issue 19).
    admin = User.objects.create_superuser(
        email="it-emergency@trust.example", full_name="IT Emergency Access", password="x" * 20
    )
    client = client_for(admin)
    client.post(
        reverse("admin:accounts_service_change", args=[service.pk]),
        {
            "name": service.name,
            "region": "Merseyside",
            "delivery_model": "centre",
            "funded_community_places": 21,
            "funded_custody_places": 25,
        },
    )
    latest = service.history.latest()
    assert latest.region == "Merseyside"
    assert latest.history_user == admin


def test_celery_tasks_record_the_person_who_asked(service, celery_app_eager):
    manager = UserFactory()

    @celery_app_eager.task(base=AuditedTask, name="tests.rename_service")
    def rename_service(service_id, new_region, actor_id=None):
        item = Service.objects.get(pk=service_id)
        item.region = new_region
        item.save()

    rename_service.delay(service.pk, "Wirral", actor_id=str(manager.pk))
    assert service.history.latest().history_user == manager


def test_management_commands_record_the_system_account():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    latest = Service.history.filter(name="Resettle Merseyside").latest()
    assert latest.history_user.email == SYSTEM_ACCOUNT_EMAIL


@pytest.fixture
def celery_app_eager():
    from resettle.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
