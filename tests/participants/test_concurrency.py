"""Two people changing the same man's record, allocation or referral at the same moment."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from participants import selectors, services
from participants.access import may_change
from participants.models import (
    Allocation,
    Participant,
    Stage,
    StageChange,
)
from resettle.accounts.roles import Role
from tests.concurrency import Gate, Race, race, signed_in
from tests.factories import ParticipantFactory, ReferralFactory, days_ago, staff_member
from tests.participants.test_record import details_post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("quick_flush")]


def holders_of_change_rights(participant) -> set[int]:
    """Who the team rule says is in his team now, asked of everyone in his service."""
    from resettle.access import Access
    from resettle.accounts.models import User

    staff = User.objects.filter(memberships__service_id=participant.service_id)
    return {user.pk for user in staff if Access(user).is_in_team(participant)}


def allocated_staff(participant) -> set[int]:
    return set(
        Allocation.objects.filter(participant=participant, ended_on__isnull=True).values_list(
            "staff_id", flat=True
        )
    )


def assert_rights_match_allocations(participant) -> None:
    assert holders_of_change_rights(participant) == allocated_staff(participant)


def reallocate_keyworker(participant, to, manager):
    return services.allocate(
        participant=participant, role=Role.HEALTH_KEYWORKER, staff=to, actor=manager,
        started_on=timezone.localdate(),
    )  # fmt: skip


# --- Editing his details ------------------------------------------------------------------


def test_two_saves_of_his_details_at_once_one_wins_the_other_is_told(
    monkeypatch, personas, participant
):
    opened = participant.version
    first_has_lock = Gate(
        monkeypatch, services.locking, "lock_participant", thread="first", after=True
    )

    def save(actor, phone):
        return lambda: services.update_participant(
            participant=participant, actor=actor, expected_version=opened,
            changes={"phone": phone},
        )  # fmt: skip

    with Race(
        first=save(personas["keyworker"], "07700 900111"),
        second=first_has_lock.then(save(personas["offender_manager"], "07700 900222")),
    ) as saving:
        saving.wait_at(first_has_lock)
        saving.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert saving["first"].ok
    assert isinstance(saving["second"].error, services.StaleVersion)
    participant.refresh_from_db()
    assert participant.phone == "07700 900111"
    assert participant.version == opened + 1


def test_two_people_saving_his_details_in_the_browser_at_once(monkeypatch, personas, participant):
    url = reverse("participants:edit_details", args=[participant.pk])
    keyworker, om = signed_in(personas["keyworker"]), signed_in(personas["offender_manager"])
    first_has_lock = Gate(
        monkeypatch, services.locking, "lock_participant", thread="first", after=True
    )

    with Race(
        first=lambda: keyworker.post(url, details_post(participant, phone="07700 900111")),
        second=first_has_lock.then(
            lambda: om.post(url, details_post(participant, phone="07700 900222"))
        ),
    ) as saving:
        saving.wait_at(first_has_lock)
        saving.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert saving["first"].value.status_code == 302
    refused = saving["second"].value
    assert refused.status_code == 200
    assert "Someone else saved changes to this record" in refused.content.decode()
    participant.refresh_from_db()
    assert participant.phone == "07700 900111"


# --- Allocation and the rights that go with it ----------------------------------------------


def test_two_reallocations_at_once_leave_rights_with_the_final_keyworker_only(
    monkeypatch, personas, participant, service
):
    aisha = personas["keyworker"]
    tom = personas["colleague"]
    ben = staff_member(Role.HEALTH_KEYWORKER, service, full_name="Ben Kowalski")
    manager = personas["service_manager"]
    other_manager = staff_member(Role.SERVICE_MANAGER, service, full_name="Ruth Ellis")
    first_has_lock = Gate(
        monkeypatch, services.allocation, "lock_participant", thread="first", after=True
    )

    with Race(
        first=lambda: reallocate_keyworker(participant, tom, manager),
        second=first_has_lock.then(lambda: reallocate_keyworker(participant, ben, other_manager)),
    ) as reallocating:
        reallocating.wait_at(first_has_lock)
        reallocating.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert reallocating.errors() == []
    keyworkers = Allocation.objects.filter(participant=participant, role=Role.HEALTH_KEYWORKER)
    assert list(keyworkers.filter(ended_on__isnull=True).values_list("staff", flat=True)) == [
        ben.pk
    ]
    assert keyworkers.count() == 3  # Aisha, then Tom (ended), then Ben: a consistent history
    assert_rights_match_allocations(participant)
    fresh = Participant.objects.get(pk=participant.pk)
    assert not may_change(aisha, fresh)
    assert not may_change(tom, fresh)
    assert may_change(ben, fresh)


def test_edit_by_the_outgoing_keyworker_after_the_reallocation_committed_is_refused(
    monkeypatch, personas, participant
):
    """She opened and sent the form while allocated; the reallocation commits while her
    request is between the access check and the save: the save must not land."""
    url = reverse("participants:edit_details", args=[participant.pk])
    aisha = signed_in(personas["keyworker"])
    checked_access = Gate(monkeypatch, services, "update_participant", thread="edit")

    with Race(edit=lambda: aisha.post(url, details_post(participant, phone="07700 900999"))) as r:
        r.wait_at(checked_access)
        reallocate_keyworker(participant, personas["colleague"], personas["service_manager"])
        checked_access.open()

    response = r["edit"].value
    assert response.status_code == 200
    assert "You can no longer change Jamal Okoro&#x27;s record" in response.content.decode()
    participant.refresh_from_db()
    assert participant.phone != "07700 900999"
    assert_rights_match_allocations(participant)


def test_edit_that_holds_his_record_completes_before_the_reallocation(
    monkeypatch, personas, participant
):
    url = reverse("participants:edit_details", args=[participant.pk])
    aisha = signed_in(personas["keyworker"])
    edit_has_lock = Gate(
        monkeypatch, services.locking, "lock_participant", thread="edit", after=True
    )

    with Race(
        edit=lambda: aisha.post(url, details_post(participant, phone="07700 900999")),
        reallocate=edit_has_lock.then(
            lambda: reallocate_keyworker(
                participant, personas["colleague"], personas["service_manager"]
            )
        ),
    ) as both:
        both.wait_at(edit_has_lock)
        both.wait_until_blocked_or_done("reallocate")
        edit_has_lock.open()

    assert both["edit"].value.status_code == 302
    assert both["reallocate"].ok
    participant.refresh_from_db()
    assert participant.phone == "07700 900999"
    edited_at = participant.history.filter(phone="07700 900999").earliest().history_date
    allocated = Allocation.objects.get(participant=participant, staff=personas["colleague"])
    assert edited_at < allocated.history.earliest().history_date
    assert_rights_match_allocations(participant)


def test_stage_change_by_the_outgoing_offender_manager_after_reallocation_is_refused(
    monkeypatch, personas, participant, service
):
    new_om = staff_member(Role.OFFENDER_MANAGER, service, full_name="Dev Patel")
    checked_access = Gate(monkeypatch, services, "change_stage", thread="end")

    def end_his_case():
        return services.change_stage(
            participant=participant, actor=personas["offender_manager"],
            kind=StageChange.Kind.ENDED, effective_on=timezone.localdate(),
            ending=StageChange.Ending.COMPLETED,
        )  # fmt: skip

    with Race(end=end_his_case) as ending:
        ending.wait_at(checked_access)
        services.allocate(
            participant=participant, role=Role.OFFENDER_MANAGER, staff=new_om,
            actor=personas["service_manager"], started_on=timezone.localdate(),
        )  # fmt: skip
        checked_access.open()

    assert isinstance(ending["end"].error, services.NoLongerAllowed)
    participant.refresh_from_db()
    assert participant.stage == Stage.IN_REACH


# --- Referrals and funded places ------------------------------------------------------------


def test_two_managers_accepting_the_same_referral_make_one_participant(
    monkeypatch, personas, service
):
    referral = ReferralFactory(service=service, created_by=personas["service_manager"])
    other_manager = staff_member(Role.SERVICE_MANAGER, service, full_name="Ruth Ellis")
    first_has_lock = Gate(
        monkeypatch, services.referrals, "_lock_referral", thread="first", after=True
    )

    def accept(manager):
        return lambda: services.accept_referral(
            referral=referral, actor=manager, decided_on=days_ago(1)
        )

    with Race(
        first=accept(personas["service_manager"]), second=first_has_lock.then(accept(other_manager))
    ) as accepting:
        accepting.wait_at(first_has_lock)
        accepting.wait_until_blocked_or_done("second")
        first_has_lock.open()

    assert accepting["first"].ok
    assert isinstance(accepting["second"].error, ValidationError)
    assert "already accepted" in accepting["second"].error.messages[0]
    referral.refresh_from_db()
    assert referral.participant == accepting["first"].value
    assert Participant.objects.filter(prison_number=referral.prison_number).count() == 1


def one_custody_place_left(service) -> None:
    used = Participant.objects.filter(service=service, stage__in=selectors.CUSTODY_STAGES).count()
    service.funded_custody_places = used + 1
    service.save()


def test_two_acceptances_at_funded_capacity_take_the_last_custody_place_once(
    monkeypatch, personas, service
):
    one_custody_place_left(service)
    referrals = [ReferralFactory(service=service, created_by=personas["service_manager"])]
    referrals.append(ReferralFactory(service=service, created_by=personas["service_manager"]))
    first_counted = Gate(monkeypatch, selectors, "custody_places_free", thread="first", after=True)

    def accept(referral):
        return lambda: services.accept_referral(
            referral=referral, actor=personas["service_manager"], decided_on=days_ago(1)
        )

    with Race(
        first=accept(referrals[0]), second=first_counted.then(accept(referrals[1]))
    ) as accepting:
        accepting.wait_at(first_counted)
        accepting.wait_until_blocked_or_done("second")
        first_counted.open()

    assert accepting.errors() == []
    stages = sorted(p.stage for p in accepting.values())
    assert stages == [Stage.IN_REACH, Stage.WAITING]
    assert selectors.custody_places_free(service) == 0


def test_two_offers_of_the_last_custody_place_at_once_fill_it_once(monkeypatch, personas, service):
    waiting = [
        ParticipantFactory(service=service, stage=Stage.WAITING, stage_since=days_ago(30))
        for _ in range(2)
    ]
    one_custody_place_left(service)
    first_counted = Gate(monkeypatch, selectors, "custody_places_free", thread="first", after=True)

    def offer(man):
        return lambda: services.change_stage(
            participant=man, actor=personas["service_manager"],
            kind=StageChange.Kind.OFFERED_PLACE, effective_on=timezone.localdate(),
        )  # fmt: skip

    with Race(first=offer(waiting[0]), second=first_counted.then(offer(waiting[1]))) as offering:
        offering.wait_at(first_counted)
        offering.wait_until_blocked_or_done("second")
        first_counted.open()

    assert offering["first"].ok
    assert isinstance(offering["second"].error, ValidationError)
    assert "funded custody places are taken" in offering["second"].error.messages[0]
    assert selectors.custody_places_free(service) == 0
    assert Participant.objects.get(pk=waiting[1].pk).stage == Stage.WAITING


def test_simultaneous_reallocations_through_race_helper_keep_rights_consistent(
    personas, participant, service
):
    """Released together with no pause: whichever order PostgreSQL picks, rights follow."""
    ben = staff_member(Role.HEALTH_KEYWORKER, service, full_name="Ben Kowalski")
    reallocating = race(
        to_tom=lambda: reallocate_keyworker(
            participant, personas["colleague"], personas["service_manager"]
        ),
        to_ben=lambda: reallocate_keyworker(participant, ben, personas["service_manager"]),
    )
    assert reallocating.errors() == []
    assert_rights_match_allocations(participant)


def test_excluding_and_allocating_the_same_person_at_once_never_does_both(
    monkeypatch, personas, participant
):
    from participants.models import Exclusion

    tom = personas["colleague"]
    checks_passed = Gate(monkeypatch, Exclusion.objects, "create", thread="exclude")

    with Race(
        exclude=lambda: services.exclude_staff(
            participant=participant,
            staff=tom,
            reason="Knows his family",
            actor=personas["service_manager"],
        ),
        allocate=checks_passed.then(
            lambda: reallocate_keyworker(participant, tom, personas["service_manager"])
        ),
    ) as both:
        both.wait_at(checks_passed)
        both.wait_until_blocked_or_done("allocate")
        checks_passed.open()

    assert both["exclude"].ok
    assert isinstance(both["allocate"].error, ValidationError)
    assert "excluded from this record" in both["allocate"].error.messages[0]
    assert tom.pk not in allocated_staff(participant)
    assert_rights_match_allocations(participant)


def test_the_same_crn_given_to_two_men_at_once_is_refused_not_a_server_error(
    monkeypatch, personas, participant, service
):
    """Each save checked that no one else had the CRN, then both saved: the second broke the
    unique identifier with a database error."""
    ryan = ParticipantFactory(service=service, crn=None)
    first_checked = Gate(monkeypatch, Participant, "save", thread="first")

    def give_crn(man, actor):
        return lambda: services.update_participant(
            participant=man, actor=actor, expected_version=man.version, changes={"crn": "X111111"}
        )

    with Race(
        first=give_crn(participant, personas["keyworker"]),
        second=first_checked.then(give_crn(ryan, personas["service_manager"])),
    ) as saving:
        saving.wait_at(first_checked)
        saving.wait_until_blocked_or_done("second")
        first_checked.open()

    assert saving["second"].ok
    refused = saving["first"].error
    assert isinstance(refused, ValidationError)
    assert refused.message_dict == {"crn": ["This CRN belongs to someone else"]}
    assert Participant.objects.get(crn="X111111") == ryan
