"""The same report asked for, approved or retried twice at the same moment: one result.

The worker is stood in for (`sends` counts what would be handed to it), so these tests
prove who wins the request row, not how PDFs are made.
"""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reports import services
from reports.models import ReportKind, ReportRequest, ReportStatus
from resettle import access
from resettle.accounts.roles import Role
from tests.concurrency import Gate, Race
from tests.factories import staff_member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_flush")]


@pytest.fixture
def sends(monkeypatch) -> list:
    handed_over = []
    lock = threading.Lock()

    def send(report_id):
        with lock:
            handed_over.append(report_id)
        return True

    monkeypatch.setattr(services, "send_to_worker", send)
    return handed_over


@pytest.fixture
def other_manager(service):
    return staff_member(Role.SERVICE_MANAGER, service, full_name="Ruth Ellis")


def commissioner_draft(service, quarter, manager, **fields) -> ReportRequest:
    return ReportRequest.objects.create(
        kind=ReportKind.COMMISSIONER, service=service, period_start=quarter.start,
        period_end=quarter.end, requested_by=manager, **fields,
    )  # fmt: skip


def first_about_to_create(monkeypatch) -> Gate:
    return Gate(monkeypatch, ReportRequest.objects, "create", thread="first")


def test_two_managers_asking_for_the_same_commissioner_report_get_one(
    monkeypatch, sends, personas, other_manager, service, quarter
):
    about_to_create = first_about_to_create(monkeypatch)

    def ask(manager):
        return lambda: services.request_commissioner_report(
            actor=manager, service=service, quarter=quarter
        )

    with Race(
        first=ask(personas["service_manager"]), second=about_to_create.then(ask(other_manager))
    ) as asking:
        asking.wait_at(about_to_create)
        asking.wait_until_blocked_or_done("second")
        about_to_create.open()

    assert asking.errors() == []
    (first, _), (second, _) = asking["first"].value, asking["second"].value
    assert first.pk == second.pk
    assert ReportRequest.objects.filter(kind=ReportKind.COMMISSIONER).count() == 1
    assert sends == [first.pk]


def test_two_commissioners_asking_for_the_national_rollup_get_one(
    monkeypatch, sends, personas, service, quarter
):
    """Nothing existed to lock: both created a row, and the second broke the one-current-
    roll-up rule with a database error (a server error page)."""
    other_commissioner = staff_member(Role.COMMISSIONER, service, full_name="Amir Said")
    about_to_create = first_about_to_create(monkeypatch)

    def ask(commissioner):
        return lambda: services.request_national_rollup(actor=commissioner, quarter=quarter)

    with Race(
        first=ask(personas["commissioner"]), second=about_to_create.then(ask(other_commissioner))
    ) as asking:
        asking.wait_at(about_to_create)
        asking.wait_until_blocked_or_done("second")
        about_to_create.open()

    assert asking.errors() == []
    (first, _), (second, _) = asking["first"].value, asking["second"].value
    assert first.pk == second.pk
    assert ReportRequest.objects.filter(kind=ReportKind.NATIONAL).count() == 1
    assert sends == [first.pk]


def test_the_same_compliance_report_asked_twice_at_once_is_made_once(
    monkeypatch, sends, personas, participant
):
    """A double click, or two tabs: each used to queue a report of its own."""
    about_to_create = first_about_to_create(monkeypatch)
    today = timezone.localdate()

    def ask():
        return services.request_compliance_report(
            actor=personas["offender_manager"], participant=participant,
            start=today - datetime.timedelta(days=28), end=today,
        )  # fmt: skip

    with Race(first=ask, second=about_to_create.then(ask)) as asking:
        asking.wait_at(about_to_create)
        asking.wait_until_blocked_or_done("second")
        about_to_create.open()

    assert asking.errors() == []
    (first, _), (second, _) = asking["first"].value, asking["second"].value
    assert first.pk == second.pk
    assert ReportRequest.objects.filter(kind=ReportKind.COMPLIANCE).count() == 1
    assert sends == [first.pk]


def test_two_approvals_of_the_same_draft_at_once_approve_it_once(
    monkeypatch, personas, other_manager, service, quarter
):
    draft = commissioner_draft(
        service, quarter, personas["service_manager"], status=ReportStatus.SUCCEEDED
    )
    first_checked = Gate(monkeypatch, access, "is_service_manager_of", thread="first", after=True)

    def approve(manager):
        return lambda: services.approve_report(actor=manager, report=draft)

    with Race(
        first=approve(personas["service_manager"]),
        second=first_checked.then(approve(other_manager)),
    ) as approving:
        approving.wait_at(first_checked)
        approving.wait_until_blocked_or_done("second")
        first_checked.open()

    assert approving["first"].ok
    told = approving["second"].error
    assert isinstance(told, ValidationError)
    assert "Already approved by Joanne Kirkby" in told.messages[0]
    draft.refresh_from_db()
    assert draft.approved_by == personas["service_manager"]
    assert draft.history.exclude(approved_at=None).count() == 1


def test_two_tries_again_on_a_failed_report_retry_it_once(
    monkeypatch, sends, personas, other_manager, service, quarter
):
    failed = commissioner_draft(
        service, quarter, personas["service_manager"], status=ReportStatus.FAILED,
        attempts=3, error_message="The report could not be generated",
    )  # fmt: skip
    first_reset = Gate(monkeypatch, services, "_reset_for_retry", thread="first", after=True)

    def retry(manager):
        return lambda: services.retry_report(actor=manager, report=failed)

    with Race(
        first=retry(personas["service_manager"]), second=first_reset.then(retry(other_manager))
    ) as retrying:
        retrying.wait_at(first_reset)
        retrying.wait_until_blocked_or_done("second")
        first_reset.open()

    assert retrying["first"].ok
    assert retrying["second"].error.messages == ["Only a failed report can be tried again"]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (ReportStatus.QUEUED, 0)
    assert sends == [failed.pk]


def test_producing_a_draft_again_twice_at_once_makes_one_new_draft(
    monkeypatch, sends, personas, other_manager, service, quarter
):
    draft = commissioner_draft(
        service, quarter, personas["service_manager"], status=ReportStatus.SUCCEEDED
    )
    about_to_create = first_about_to_create(monkeypatch)

    def again(manager):
        return lambda: services.produce_again(actor=manager, report=draft)

    with Race(
        first=again(personas["service_manager"]), second=about_to_create.then(again(other_manager))
    ) as producing:
        producing.wait_at(about_to_create)
        producing.wait_until_blocked_or_done("second")
        about_to_create.open()

    assert producing["first"].ok
    assert producing["second"].error.messages == ["A newer draft already replaced this one"]
    current = ReportRequest.objects.filter(kind=ReportKind.COMMISSIONER, superseded_at=None)
    assert list(current) == [producing["first"].value[0]]
    assert sends == [current.get().pk]
