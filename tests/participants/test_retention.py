"""Issue #10 item 9: records past the retention period are listed for the service manager's
review; a record is deleted only after a recorded decision, and the decision outlives it.

The stories use a seven-year period (set here); one test proves the shipped default.
"""

import datetime
import re
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from crisisline.models import CallerType, CrisisCall, Urgency
from crisisline.services import log_call
from participants import retention, services
from participants.models import (
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    Referral,
    ReleasePlan,
    RetentionDecision,
    StageChange,
    TemporaryAccess,
    TimelineEvent,
    retention_reference,
)
from participants.retention import years_after, years_before
from reports.models import ReportKind, ReportRequest, ReportStatus, report_storage
from resettle.core.models import AccessLog
from riskplans import services as risk_services
from riskplans.models import RiskAssessment
from sessions import services as session_services
from sessions.models import (
    EnforcementDecision,
    Outcome,
    RecallDecision,
    Session,
    SessionNote,
)
from tests.factories.reports import accepted_on, at, move
from tests.factories.retention import age_timeline, declined_referral, ended_participant
from tests.world import from_world

pytestmark = pytest.mark.django_db

# The people and Jamal, built once for the module (tests/world.py).
service, other_service, personas, participant = from_world(
    "service", "other_service", "personas", "participant"
)

YEARS = 7


@pytest.fixture(autouse=True)
def seven_year_period(settings):
    settings.RECORD_RETENTION_YEARS = YEARS


@pytest.fixture(autouse=True)
def report_files_dir(tmp_path):
    """Report files of these tests live in a folder of their own (see tests/reports)."""
    root = tmp_path / "private"
    field_storage = ReportRequest._meta.get_field("file").storage
    with pytest.MonkeyPatch.context() as patch:
        for storage in {id(s): s for s in (report_storage(), field_storage)}.values():
            patch.setattr(storage, "location", str(root))
        yield root


def today() -> datetime.date:
    return timezone.localdate()


def cutoff() -> datetime.date:
    return years_before(today(), YEARS)


def ended(service, personas, *, days_before_cutoff=1, **fields) -> Participant:
    return ended_participant(
        service=service,
        manager=personas["service_manager"],
        ended_on=cutoff() - datetime.timedelta(days=days_before_cutoff),
        **fields,
    )


def due_names(user) -> set[str]:
    due = retention.participants_due_for_review(
        Participant.objects.filter(service__memberships__user=user).distinct(), today()
    )
    return {man.family_name for man in due}


def list_page(client_for, user):
    response = client_for(user).get(reverse("participants:retention_list"))
    assert response.status_code == 200
    return response.content.decode()


# --- Who is due -----------------------------------------------------------------------------


def test_a_man_whose_involvement_ended_more_than_the_period_ago_is_due(service, personas):
    ended(service, personas, family_name="Ashworth", days_before_cutoff=1)
    assert due_names(personas["service_manager"]) == {"Ashworth"}


def test_a_man_whose_involvement_ended_exactly_the_period_ago_is_not_due_yet(service, personas):
    ended(service, personas, family_name="Ashworth", days_before_cutoff=0)
    ended(service, personas, family_name="Lomax", days_before_cutoff=-1)
    assert due_names(personas["service_manager"]) == set()


def test_men_still_with_the_service_are_never_listed(service, personas, participant):
    long_ago = accepted_on(
        service=service,
        manager=personas["service_manager"],
        day=cutoff() - datetime.timedelta(days=900),
        family_name="Whitfield",
    )
    age_timeline(long_ago, cutoff() - datetime.timedelta(days=900))
    assert long_ago.stage != "ended"
    assert due_names(personas["service_manager"]) == set()


def test_something_recorded_after_his_case_ended_restarts_the_clock(service, personas):
    man = ended(service, personas, family_name="Ashworth")
    TimelineEvent.objects.create(
        participant=man,
        category="crisis",
        title="Crisis call",
        occurred_at=at(cutoff() + datetime.timedelta(days=3)),
    )
    assert due_names(personas["service_manager"]) == set()


def test_a_kept_record_leaves_the_list_until_its_next_review_date(service, personas):
    man = ended(service, personas, family_name="Ashworth")
    decision = services.keep_participant_record(
        participant=man,
        actor=personas["service_manager"],
        reason="Civil claim pending",
        next_review_on=today() + datetime.timedelta(days=30),
    )
    assert due_names(personas["service_manager"]) == set()
    # On the review date he is due again.
    RetentionDecision.objects.filter(pk=decision.pk).update(next_review_on=today())
    assert due_names(personas["service_manager"]) == {"Ashworth"}


def test_referrals_declined_or_withdrawn_more_than_the_period_ago_are_due(service, personas):
    manager = personas["service_manager"]
    old = declined_referral(
        service=service, manager=manager, decided_on=cutoff() - datetime.timedelta(days=1)
    )
    declined_referral(service=service, manager=manager, decided_on=cutoff())
    due = retention.referrals_due_for_review(Referral.objects.all(), today())
    assert list(due) == [old]


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (datetime.date(2026, 11, 24), 7, datetime.date(2019, 11, 24)),
        (datetime.date(2028, 2, 29), 7, datetime.date(2021, 2, 28)),
        (datetime.date(2028, 2, 29), 4, datetime.date(2024, 2, 29)),
    ],
)
def test_the_period_counts_calendar_years(day, years, expected):
    assert years_before(day, years) == expected
    assert years_after(expected, years) in (day, day - datetime.timedelta(days=1))


def test_the_shipped_period_is_twenty_years():
    from tests.core.test_settings import manage

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.RECORD_RETENTION_YEARS)",
        drop=("RECORD_RETENTION_YEARS",),
    )
    assert result.stdout.strip().splitlines()[-1] == "20", result.stderr


@pytest.mark.parametrize("value", ["0", "seven", "101", "-3"])
def test_a_nonsense_period_stops_the_app_from_starting(value):
    from tests.core.test_settings import manage

    result = manage("check", env_overrides={"RECORD_RETENTION_YEARS": value})
    assert result.returncode != 0
    assert "RECORD_RETENTION_YEARS must be a whole number of years" in result.stderr


# --- Holds ----------------------------------------------------------------------------------


def holds_of(man) -> list[str]:
    return retention.participant_due(man, today()).holds


def test_a_running_licence_holds_the_record(service, personas):
    man = ended(service, personas)
    Licence.objects.create(
        participant=man,
        starts_on=cutoff() - datetime.timedelta(days=300),
        ends_on=today() + datetime.timedelta(days=10),
    )
    assert holds_of(man) == ["His licence or sentence has not expired by the dates on his record"]


def test_a_case_that_ended_during_a_recall_holds_the_record(service, personas):
    manager = personas["service_manager"]
    start = cutoff() - datetime.timedelta(days=600)
    man = accepted_on(service=service, manager=manager, day=start)
    move(man, manager, StageChange.Kind.RELEASED, start + datetime.timedelta(days=100))
    move(
        man,
        manager,
        StageChange.Kind.RECALLED,
        start + datetime.timedelta(days=200),
        recall_type="standard",
        reason="Whereabouts unknown",
    )
    move(
        man,
        manager,
        StageChange.Kind.ENDED,
        start + datetime.timedelta(days=300),
        ending="withdrawn",
    )
    age_timeline(man, start + datetime.timedelta(days=300))
    assert holds_of(man) == ["His case ended while he was recalled to custody"]


def test_mappa_holds_the_record_until_his_hundredth_birthday(service, personas):
    man = ended(service, personas)
    Participant.objects.filter(pk=man.pk).update(mappa_category="2", mappa_level="1")
    assert holds_of(man) == [
        "MAPPA level 1 at his last risk assessment: MAPPA records are kept until his 100th birthday"
    ]
    Participant.objects.filter(pk=man.pk).update(date_of_birth=years_before(today(), 100))
    assert holds_of(man) == []


def test_a_report_in_progress_holds_the_record(service, personas):
    man = ended(service, personas)
    ReportRequest.objects.create(
        kind=ReportKind.COMPLIANCE,
        service=service,
        participant=man,
        period_start=cutoff() - datetime.timedelta(days=300),
        period_end=cutoff() - datetime.timedelta(days=10),
        requested_by=personas["service_manager"],
        status=ReportStatus.QUEUED,
    )
    assert holds_of(man) == ["A report about him is being produced: wait for it to finish"]


def test_a_held_record_is_not_deleted(service, personas):
    man = ended(service, personas)
    Participant.objects.filter(pk=man.pk).update(mappa_category="2", mappa_level="1")
    with pytest.raises(ValidationError, match="must be kept: MAPPA level 1"):
        services.delete_participant_record(
            participant=man, actor=personas["service_manager"], reason="Past the period"
        )
    assert Participant.objects.filter(pk=man.pk).exists()
    assert not RetentionDecision.objects.exists()


def test_a_referral_made_again_later_holds_the_old_one(service, personas):
    manager = personas["service_manager"]
    old = declined_referral(
        service=service,
        manager=manager,
        decided_on=cutoff() - datetime.timedelta(days=1),
        prison_number="A7777ZZ",
    )
    assert retention.referral_due(old, today()).holds == []
    declined_referral(service=service, manager=manager, decided_on=today(), prison_number="A7777ZZ")
    assert retention.referral_due(old, today()).holds == [
        "He was referred to the service again later"
    ]
    with pytest.raises(ValidationError, match="must be kept"):
        services.delete_referral_record(referral=old, actor=manager, reason="Past the period")
    assert Referral.objects.filter(pk=old.pk).exists()


# --- The list -------------------------------------------------------------------------------


def test_the_list_shows_only_the_managers_own_services(
    client_for, service, other_service, personas
):
    ended(service, personas, family_name="Ashworth", prison_number="A1111AA")
    ended_participant(
        service=other_service,
        manager=personas["outsider_manager"],
        ended_on=cutoff() - datetime.timedelta(days=5),
        family_name="Tierney",
    )
    mine = list_page(client_for, personas["service_manager"])
    assert "ASHWORTH" in mine and "A1111AA" in mine
    assert "TIERNEY" not in mine
    theirs = list_page(client_for, personas["outsider_manager"])
    assert "TIERNEY" in theirs and "ASHWORTH" not in theirs


def test_the_list_shows_how_and_when_involvement_ended_and_any_hold(client_for, service, personas):
    man = ended(service, personas, family_name="Ashworth", ending="licence_expired")
    Participant.objects.filter(pk=man.pk).update(mappa_category="2", mappa_level="2")
    declined_referral(
        service=service,
        manager=personas["service_manager"],
        decided_on=cutoff() - datetime.timedelta(days=2),
        family_name="Lomax",
    )
    body = list_page(client_for, personas["service_manager"])
    assert "Licence expired" in body
    assert man.stage_since.strftime("%-d %b %Y") in body
    assert "Must be kept" in body and "MAPPA level 2" in body
    assert "LOMAX" in body and "Referral declined: Not screened into the OPD pathway" in body


def test_a_man_excluded_from_the_managers_view_is_not_listed(client_for, service, personas):
    man = ended(service, personas, family_name="Ashworth")
    second_manager = personas["service_manager"]
    from tests.factories import staff_member

    other = staff_member("service_manager", service, full_name="Dave Ince")
    services.exclude_staff(
        participant=man, staff=other, reason="Knows his family", actor=second_manager
    )
    assert "ASHWORTH" not in list_page(client_for, other)


def test_the_home_page_counts_the_records_due(client_for, service, personas):
    """Men and referrals are counted together (one query), each by its own rule."""
    ended(service, personas)
    ended(service, personas, days_before_cutoff=30)
    ended(service, personas, days_before_cutoff=0)  # not due yet
    for days in (2, 0):  # the second is not due yet
        declined_referral(
            service=service,
            manager=personas["service_manager"],
            decided_on=cutoff() - datetime.timedelta(days=days),
        )
    body = client_for(personas["service_manager"]).get(reverse("core:home")).content.decode()
    assert "3 records due for review" in body
    assert reverse("participants:retention_list") in body


# --- Deciding -------------------------------------------------------------------------------


def review_url(man) -> str:
    return reverse("participants:retention_review", args=[man.pk])


def date_fields(name: str, day: datetime.date) -> dict:
    return {f"{name}_day": day.day, f"{name}_month": day.month, f"{name}_year": day.year}


def test_keeping_a_record_needs_a_reason_and_a_future_review_date(client_for, service, personas):
    man = ended(service, personas)
    browser = client_for(personas["service_manager"])
    response = browser.post(
        review_url(man),
        {"decision": "keep", "keep_reason": "", **date_fields("next_review_on", today())},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "Give the reason for keeping the record" in body
    response = browser.post(
        review_url(man),
        {
            "decision": "keep",
            "keep_reason": "Civil claim",
            **date_fields("next_review_on", today()),
        },
    )
    assert "The next review date must be in the future" in response.content.decode()
    response = browser.post(
        review_url(man),
        {
            "decision": "keep",
            "keep_reason": "Civil claim",
            **date_fields("next_review_on", years_after(today(), 6)),
        },
    )
    assert "The next review must be within 5 years" in response.content.decode()
    response = browser.post(review_url(man), {})
    assert "Select whether to keep the record or delete it" in response.content.decode()
    assert not RetentionDecision.objects.exists()


def test_keeping_a_record_records_who_why_and_until_when(client_for, service, personas):
    man = ended(service, personas, family_name="Ashworth")
    next_review = years_after(today(), 1)
    response = client_for(personas["service_manager"]).post(
        review_url(man),
        {
            "decision": "keep",
            "keep_reason": "Civil claim pending against the service",
            **date_fields("next_review_on", next_review),
        },
        follow=True,
    )
    assert "record is kept" in response.content.decode()
    decision = RetentionDecision.objects.get()
    assert decision.decision == "keep"
    assert decision.decided_by == personas["service_manager"]
    assert decision.next_review_on == next_review
    assert decision.reference == retention_reference(man.pk)
    assert decision.subject_id == man.pk
    assert decision.how_ended == "Completed"
    assert decision.history.get().history_user == personas["service_manager"]
    assert "ASHWORTH" not in response.content.decode().split("Records due for review")[-1]


def test_a_decision_on_a_record_not_due_is_not_found(client_for, service, personas, participant):
    browser = client_for(personas["service_manager"])
    assert browser.get(review_url(participant)).status_code == 404
    made_up = reverse("participants:retention_review", args=[uuid.uuid4()])
    assert browser.get(made_up).status_code == 404


def test_another_services_manager_cannot_decide(client_for, service, personas):
    man = ended(service, personas)
    browser = client_for(personas["outsider_manager"])
    assert browser.get(review_url(man)).status_code == 404
    response = browser.post(
        reverse("participants:retention_delete", args=[man.pk]),
        {"reason": "Past the period", "confirm": "on"},
    )
    assert response.status_code == 404
    assert Participant.objects.filter(pk=man.pk).exists()


def test_choosing_delete_asks_for_confirmation_and_deletes_nothing(client_for, service, personas):
    man = ended(service, personas, given_name="Stephen", family_name="Ashworth")
    Contact.objects.create(participant=man, name="Maureen Ashworth", relationship="Mother")
    response = client_for(personas["service_manager"]).post(
        review_url(man), {"decision": "delete", "delete_reason": "Past the retention period"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Delete Stephen Ashworth's record?" in body
    assert "What will be deleted" in body
    assert "Contacts" in body
    assert "Past the retention period" in body  # carried to the confirmation
    assert Participant.objects.filter(pk=man.pk).exists()
    assert not RetentionDecision.objects.exists()


def test_deleting_needs_a_reason_and_the_confirmation_ticked(client_for, service, personas):
    man = ended(service, personas)
    browser = client_for(personas["service_manager"])
    url = reverse("participants:retention_delete", args=[man.pk])
    body = browser.post(url, {"reason": "Past the period"}).content.decode()
    assert "Confirm that you understand the record cannot be brought back" in body
    body = browser.post(url, {"reason": " ", "confirm": "on"}).content.decode()
    assert "Give the reason for deleting the record" in body
    assert Participant.objects.filter(pk=man.pk).exists()
    assert not RetentionDecision.objects.exists()


def test_deleting_a_record_that_is_no_longer_due_is_refused(client_for, service, personas):
    man = ended(service, personas)
    services.keep_participant_record(
        participant=man,
        actor=personas["service_manager"],
        reason="A colleague decided first",
        next_review_on=years_after(today(), 1),
    )
    with pytest.raises(ValidationError, match="no longer due for review"):
        services.delete_participant_record(
            participant=man, actor=personas["service_manager"], reason="Past the period"
        )
    response = client_for(personas["service_manager"]).post(
        reverse("participants:retention_delete", args=[man.pk]),
        {"reason": "Past the period", "confirm": "on"},
        follow=True,
    )
    assert "no longer due for review" in response.content.decode()
    assert Participant.objects.filter(pk=man.pk).exists()
    assert RetentionDecision.objects.filter(decision="delete").count() == 0


def test_nothing_is_deleted_without_a_decision(service, personas):
    """Being due for review changes nothing by itself: listing, opening and counting leave
    every record in place."""
    man = ended(service, personas)
    retention.due_for_review_count(personas["service_manager"], today())
    retention.deletion_summary(man)
    assert Participant.objects.filter(pk=man.pk).exists()
    assert not RetentionDecision.objects.exists()


# --- Deleting a full record -----------------------------------------------------------------

MARK = "Marker-Ashworth"


def full_record(service, personas) -> dict:
    """Stephen Ashworth's record with something in every table that can hold him, and Liam
    Doherty, still with the service, who shared a group session with him."""
    manager = personas["service_manager"]
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    start = cutoff() - datetime.timedelta(days=700)
    stephen = accepted_on(
        service=service,
        manager=manager,
        day=start,
        given_name="Stephen",
        family_name="Ashworth",
        prison_number="A9876ZY",
        crn="X987654",
        pnc_number="85/0098765K",
        nhs_number="9434765919",
    )
    liam = accepted_on(
        service=service, manager=manager, day=start, given_name="Liam", family_name="Doherty"
    )
    for man in (stephen, liam):
        for role, person in (("offender_manager", om), ("health_keyworker", keyworker)):
            services.allocate(
                participant=man, role=role, staff=person, actor=manager, started_on=start
            )
    # His psychologist writes the formulation: only his allocated team may change his record.
    services.allocate(
        participant=stephen, role="psychologist", staff=personas["psychologist"],
        actor=manager, started_on=start,
    )  # fmt: skip
    services.save_release_plan(
        participant=stephen, actor=om, plan=ReleasePlan(collected_by=f"{MARK} at the gate")
    )
    move(stephen, om, StageChange.Kind.RELEASED, start + datetime.timedelta(days=30))
    licence = services.save_licence(
        participant=stephen,
        actor=om,
        licence=Licence(
            starts_on=start + datetime.timedelta(days=30),
            ends_on=start + datetime.timedelta(days=400),
        ),
    )
    services.save_condition(
        licence=licence,
        actor=om,
        condition=LicenceCondition(
            category="residence", text=f"{MARK} approved premises", starts_on=licence.starts_on
        ),
    )
    services.save_contact(
        participant=stephen,
        actor=keyworker,
        contact=Contact(name=f"Maureen {MARK}", relationship="Mother", is_next_of_kin=True),
    )
    services.save_goal(participant=stephen, actor=keyworker, goal=Goal(in_his_words=MARK))
    services.set_pathway_need(
        participant=stephen, actor=keyworker, pathway="health", level="high", notes=MARK
    )
    services.record_outcome_snapshot(
        participant=stephen,
        actor=keyworker,
        snapshot=OutcomeSnapshot(
            point="release",
            taken_on=start + datetime.timedelta(days=30),
            accommodation="nfa",
            occupation="none",
            notes=MARK,
        ),
    )
    services.exclude_staff(
        participant=stephen, staff=personas["colleague"], reason=MARK, actor=manager
    )
    TemporaryAccess.objects.create(
        participant=stephen,
        staff=personas["psychologist"],
        reason=MARK,
        granted_at=at(start + datetime.timedelta(days=40)),
        expires_at=at(start + datetime.timedelta(days=41)),
    )
    risk_services.record_assessment(
        participant=stephen,
        actor=om,
        assessment=RiskAssessment(
            assessed_on=start + datetime.timedelta(days=35),
            rosh_public="high",
            rosh_known_adult="medium",
            rosh_children="low",
            rosh_staff="low",
            rosh_prisoners="low",
            risk_to_self="medium",
            reoffending="high",
            risk_factors=MARK,
            protective_factors="His sister",
            warning_signs="Drinking",
        ),
    )
    risk_services.start_plan(participant=stephen, actor=keyworker)
    risk_services.start_formulation(participant=stephen, actor=personas["psychologist"])
    # A key-work session only he was on, and a group session with Liam.
    own = session_services.create_session(
        service=service,
        actor=keyworker,
        session_type="outreach",
        starts_at=at(start + datetime.timedelta(days=50)),
        ends_at=at(start + datetime.timedelta(days=50), hour=11),
        location_kind="community",
        location_detail=f"{MARK} home address",
        participants=[stephen],
    )
    group = session_services.create_session(
        service=service,
        actor=keyworker,
        session_type="group",
        title="Tuesday group",
        starts_at=at(start + datetime.timedelta(days=60)),
        ends_at=at(start + datetime.timedelta(days=60), hour=12),
        location_kind="centre",
        participants=[stephen, liam],
    )
    for session in (own, group):
        session_services.record_register(
            session=session,
            actor=keyworker,
            outcomes={a.pk: (Outcome.ATTENDED, "", "") for a in session.attendances.all()},
        )
    # His group outcome put right: the correction (and its reason) goes with his attendance.
    session_services.correct_outcome(
        attendance=group.attendances.get(participant=stephen), actor=keyworker,
        outcome=Outcome.LATE, reason=f"{MARK} came in at 10:20",
    )  # fmt: skip
    own_note = session_services.add_note(
        session=own, participant=stephen, actor=keyworker, note=SessionNote(summary=MARK)
    )
    session_services.add_note(
        session=group, participant=stephen, actor=keyworker, note=SessionNote(summary=MARK)
    )
    liams_note = session_services.add_note(
        session=group, participant=liam, actor=keyworker, note=SessionNote(summary="Liam spoke")
    )
    session_services.add_addendum(note=own_note, actor=keyworker, text=MARK)
    enforcement = session_services.record_enforcement(
        participant=stephen,
        actor=om,
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED,
        decided_on=start + datetime.timedelta(days=70),
        reason=MARK,
    )
    RecallDecision.objects.create(
        enforcement=enforcement,
        why="risk",
        senior_manager_rationale=MARK,
        outcome="no_recall",
        decided_on=start + datetime.timedelta(days=71),
        decided_by=manager,
    )
    call = log_call(
        call=CrisisCall(
            service=service,
            started_at=at(start + datetime.timedelta(days=80), hour=23),
            ended_at=at(start + datetime.timedelta(days=80), hour=23, minute=20),
            caller_type=CallerType.UNKNOWN,
            presenting_issue=MARK,
            urgency=Urgency.ROUTINE,
        ),
        actor=personas["crisis_worker"],
    )
    from crisisline.services import link_call

    link_call(call=call, participant=stephen, actor=keyworker)
    report = ReportRequest.objects.create(
        kind=ReportKind.COMPLIANCE,
        service=service,
        participant=stephen,
        period_start=start,
        period_end=start + datetime.timedelta(days=90),
        requested_by=om,
        status=ReportStatus.SUCCEEDED,
    )
    report.file.save(f"reports/{report.pk}.pdf", ContentFile(b"%PDF-1.7 " + MARK.encode()))
    move(
        stephen,
        manager,
        StageChange.Kind.ENDED,
        cutoff() - datetime.timedelta(days=30),
        ending="completed",
    )
    age_timeline(stephen, cutoff() - datetime.timedelta(days=30))
    AccessLog.objects.create(
        user=om, participant_id=stephen.pk, page=f"/participants/{stephen.pk}/", allowed=True
    )
    return {
        "stephen": stephen,
        "liam": liam,
        "own_session": own,
        "group": group,
        "liams_note": liams_note,
        "report": report,
        "referral": stephen.referral,
    }


def every_row_as_text() -> dict[str, list[str]]:
    """Every row of every table the project's models know (history and m2m tables too)."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        fields = [field.attname for field in model._meta.concrete_fields]
        rows[model._meta.db_table] = [
            " ".join(str(value) for value in values)
            for values in model._base_manager.values_list(*fields)
        ]
    return rows


def tables_mentioning(rows: dict[str, list[str]], needles) -> dict[str, int]:
    found = {}
    for table, texts in rows.items():
        count = sum(1 for text in texts if any(needle in text for needle in needles))
        if count:
            found[table] = count
    return found


def his_needles(record) -> list[str]:
    stephen = record["stephen"]
    return [
        MARK,
        "Ashworth",
        "A9876ZY",
        "X987654",
        "9434765919",
        str(stephen.pk),
        str(record["referral"].pk),
        str(record["own_session"].pk),
    ]


def models_that_hold_a_man() -> set[str]:
    """Every table that points at a participant, directly or through a chain of rows."""
    found = set()

    def walk(model):
        for relation in model._meta.related_objects:
            related = relation.related_model
            if related._meta.db_table not in found and not related.__name__.startswith(
                "Historical"
            ):
                found.add(related._meta.db_table)
                walk(related)
                history = getattr(related, "history", None)
                if history is not None:
                    found.add(history.model._meta.db_table)

    walk(Participant)
    found.add(Participant.history.model._meta.db_table)
    return found


def test_deleting_a_record_removes_him_from_every_table_and_keeps_the_other_mans(
    service, personas, report_files_dir, django_capture_on_commit_callbacks
):
    record = full_record(service, personas)
    stephen, liam = record["stephen"], record["liam"]
    before = every_row_as_text()
    his_before = tables_mentioning(before, his_needles(record))
    liams_before = tables_mentioning(before, [str(liam.pk)])
    # The story reaches every table that can hold a man (so every one is proved below).
    missing = (
        models_that_hold_a_man()
        - set(his_before)
        - {
            "participants_participantgroupobjectpermission",  # group object permissions: none
            "participants_historicalretentiondecision",
        }
    )
    assert missing == set()
    report_file = report_files_dir / record["report"].file.name
    assert report_file.exists()
    commissioner_report = ReportRequest.objects.create(
        kind=ReportKind.COMMISSIONER,
        service=service,
        period_start=cutoff() - datetime.timedelta(days=500),
        period_end=cutoff() - datetime.timedelta(days=410),
        requested_by=personas["service_manager"],
        status=ReportStatus.SUCCEEDED,
        figures={"referrals": 12, "accepted": 4},
        approved_by=personas["service_manager"],
        approved_at=timezone.now(),
    )

    with django_capture_on_commit_callbacks(execute=True):
        decision = services.delete_participant_record(
            participant=stephen, actor=personas["service_manager"], reason="Past the period"
        )

    after = every_row_as_text()
    his_after = tables_mentioning(after, his_needles(record))
    # What remains: the access log (his record's internal id only) and the decision.
    assert set(his_after) == {
        "core_accesslog",
        "participants_retentiondecision",
        "participants_historicalretentiondecision",
    }
    assert not tables_mentioning(after, [MARK, "Ashworth", "A9876ZY", "X987654", "9434765919"])
    assert not report_file.exists()
    # Figures already reported to commissioners are counts: they stay.
    commissioner_report.refresh_from_db()
    assert commissioner_report.figures == {"referrals": 12, "accepted": 4}
    # Liam's rows are all still there, in every table, and the group session with them.
    assert tables_mentioning(after, [str(liam.pk)]) == liams_before
    group = Session.objects.get(pk=record["group"].pk)
    assert list(group.attendances.values_list("participant_id", flat=True)) == [liam.pk]
    assert list(SessionNote.objects.filter(session=group)) == [record["liams_note"]]
    assert not Session.objects.filter(pk=record["own_session"].pk).exists()
    # The decision is the audit trail: who, when, why, and what went, by reference only.
    assert decision.decision == "delete"
    assert decision.subject_id == stephen.pk
    assert decision.reference == retention_reference(stephen.pk)
    assert decision.decided_by == personas["service_manager"]
    assert decision.deleted_counts["session notes"] == 2
    assert decision.deleted_counts["sessions only he was on"] == 1
    assert decision.deleted_counts["attendance records"] == 2
    assert decision.deleted_counts["outcome corrections"] == 1
    assert decision.deleted_counts["crisis calls"] == 1
    assert decision.deleted_counts["licence-compliance reports (with their PDF files)"] == 1
    assert decision.deleted_counts[retention.VERSIONS_LABEL] > 20
    assert decision.history.get().history_user == personas["service_manager"]


def test_the_confirmation_states_the_counts_that_deletion_removes(client_for, service, personas):
    record = full_record(service, personas)
    summary = retention.deletion_summary(record["stephen"])
    assert summary["counts"]["session notes"] == 2
    assert summary["counts"]["note addenda"] == 1
    assert summary["counts"]["attendance records"] == 2
    assert summary["counts"]["sessions only he was on"] == 1
    assert summary["counts"]["risk assessments"] == 1
    assert summary["counts"]["referral"] == 1
    response = client_for(personas["service_manager"]).post(
        review_url(record["stephen"]),
        {"decision": "delete", "delete_reason": "Past the retention period"},
    )
    body = response.content.decode()
    for label, number in summary["counts"].items():
        assert (
            f'{label[:1].upper()}{label[1:]}</td><td class="govuk-table__cell govuk-table__cell--numeric">{number}<'
            in body
        )
    assert "group sessions he shared with other men" in body


def test_deleting_through_the_pages_logs_the_view_and_shows_success(client_for, service, personas):
    man = ended(service, personas, given_name="Stephen", family_name="Ashworth")
    browser = client_for(personas["service_manager"])
    response = browser.post(
        reverse("participants:retention_delete", args=[man.pk]),
        {"reason": "Past the retention period", "confirm": "on"},
        follow=True,
    )
    body = response.content.decode()
    assert "Stephen Ashworth&#x27;s record has been deleted" in body
    assert retention_reference(man.pk) in body
    assert not Participant.objects.filter(pk=man.pk).exists()
    assert AccessLog.objects.filter(
        participant_id=man.pk, user=personas["service_manager"], allowed=True
    ).exists()
    decisions = browser.get(reverse("participants:retention_decisions")).content.decode()
    assert retention_reference(man.pk) in decisions
    assert "Past the retention period" in decisions
    assert "Ashworth" not in decisions


def test_a_referral_not_taken_on_is_deleted_with_its_history(client_for, service, personas):
    referral = declined_referral(
        service=service,
        manager=personas["service_manager"],
        decided_on=cutoff() - datetime.timedelta(days=3),
        family_name="Lomax",
    )
    response = client_for(personas["service_manager"]).post(
        reverse("participants:retention_referral_delete", args=[referral.pk]),
        {"reason": "Declined long ago", "confirm": "on"},
        follow=True,
    )
    assert "record has been deleted" in response.content.decode()
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert not Referral.history.filter(id=referral.pk).exists()
    decision = RetentionDecision.objects.get()
    assert decision.subject_kind == "referral"
    assert decision.how_ended == "Referral declined: Not screened into the OPD pathway"
    assert decision.deleted_counts == {"referral": 1, retention.VERSIONS_LABEL: 3}


def test_a_deletion_that_fails_part_way_changes_nothing(
    service, personas, report_files_dir, monkeypatch, django_capture_on_commit_callbacks
):
    """Every app's rows, the history and the report file stay if the last step fails."""
    from participants import erasure

    record = full_record(service, personas)

    def broken(participant):
        raise RuntimeError("database went away")

    monkeypatch.setattr(
        erasure,
        "PARTICIPANTS_ERASER",
        retention.RecordEraser(
            app="participants",
            count=erasure.count,
            erase=broken,
            history_count=erasure.history_count,
        ),
    )
    before = every_row_as_text()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.delete_participant_record(
            participant=record["stephen"], actor=personas["service_manager"], reason="Past"
        )
    assert callbacks == []
    assert every_row_as_text() == before
    assert (report_files_dir / record["report"].file.name).exists()


# --- Query budget ---------------------------------------------------------------------------


def test_the_list_costs_the_same_queries_for_3_or_30_records(
    client_for, service, personas, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_for(personas["service_manager"])
    url = reverse("participants:retention_list")

    def measure() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    for number in range(3):
        ended(service, personas, days_before_cutoff=number + 1)
    declined_referral(
        service=service,
        manager=personas["service_manager"],
        decided_on=cutoff() - datetime.timedelta(days=1),
    )
    small = measure()
    for number in range(27):
        ended(service, personas, days_before_cutoff=number + 10)
        declined_referral(
            service=service,
            manager=personas["service_manager"],
            decided_on=cutoff() - datetime.timedelta(days=number + 10),
        )
    assert measure() == small
    # Measured 10: session, user, memberships and saving the session (6), then a count and
    # a page for each table. Budget: that plus 2.
    with django_assert_max_num_queries(12):
        browser.get(url)


def test_the_decisions_page_costs_the_same_queries_for_1_or_25_decisions(
    client_for, service, personas
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = client_for(personas["service_manager"])
    url = reverse("participants:retention_decisions")

    def measure() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(url).status_code == 200
        return len(captured)

    def keep(man):
        services.keep_participant_record(
            participant=man,
            actor=personas["service_manager"],
            reason="Civil claim",
            next_review_on=years_after(today(), 1),
        )

    keep(ended(service, personas))
    small = measure()
    for number in range(24):
        keep(ended(service, personas, days_before_cutoff=number + 5))
    assert measure() == small
    assert small <= 10  # measured 8: the request's own 6, a count and a page


def test_the_decision_radios_carry_aria_controls_not_aria_expanded(client_for, service, personas):
    """Issue 27: aria-expanded is not allowed on a radio (axe, critical). The reveal is the
    app's own (static/src/conditional-radios.mjs), not GOV.UK Frontend's, which adds it."""
    man = ended(service, personas)
    html = client_for(personas["service_manager"]).get(review_url(man)).content.decode()
    inputs = re.findall(r"<input\b[^>]*>", html)
    assert inputs and not [tag for tag in inputs if "aria-expanded" in tag]
    radios = [tag for tag in inputs if 'type="radio"' in tag]
    assert len(radios) == 2
    assert all("data-aria-controls=" in tag for tag in radios)
    assert 'data-module="app-conditional-radios"' in html
    assert 'data-module="govuk-radios"' not in html
    script = (
        Path(__file__).resolve().parents[2] / "static" / "src" / "conditional-radios.mjs"
    ).read_text()
    assert "aria-expanded" not in script.split("\n\n", 1)[1]  # the code, past its comment
    app = (Path(__file__).resolve().parents[2] / "static" / "src" / "app.mjs").read_text()
    assert "initConditionalRadios();" in app
