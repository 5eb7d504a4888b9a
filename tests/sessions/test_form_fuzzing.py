"""Every sessions form, fuzzed through its view (see tests/fuzzing.py for the properties)."""

import datetime

import pytest
from django.urls import reverse

from participants.models import StageChange
from sessions import forms
from sessions import services as session_services
from sessions.models import (
    EnforcementDecision,
    NoteAddendum,
    OutcomeCorrection,
    RecallDecision,
    Session,
    SessionNote,
)
from tests.factories import days_ago
from tests.factories.reports import at, move
from tests.fuzzing import MISSING, Field, FormCase, fuzz_form

pytestmark = pytest.mark.django_db


def parts(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))


def typed_date(value) -> datetime.date | None:
    try:
        day, month, year = (int(part) for part in value)
        return datetime.date(year, month, day)
    except (TypeError, ValueError, OverflowError):
        return None


@pytest.fixture
def world(personas, service, other_service, participant):
    """Jamal, released, at yesterday's group (his outcome not yet recorded) with a note the
    keyworker has just written; Lee, for whom recall is being considered; a man of another
    service whose id is typed where only this service's belong."""
    om, keyworker = personas["offender_manager"], personas["keyworker"]
    move(participant, om, StageChange.Kind.RELEASED, days_ago(60))
    session = session_services.create_session(
        service=service, actor=keyworker, session_type="group", title="Thinking skills",
        starts_at=at(days_ago(1)), ends_at=at(days_ago(1), 11), location_kind="centre",
        participants=[participant],
    )  # fmt: skip
    note = session_services.add_note(
        session=session, participant=participant, actor=keyworker,
        note=SessionNote(summary="Engaged well", visibility="shared"),
    )  # fmt: skip
    considered = session_services.record_enforcement(
        participant=participant, actor=om, decided_on=days_ago(1),
        decision=EnforcementDecision.Decision.RECALL_CONSIDERED, reason="Two absences",
    )  # fmt: skip
    recorded = session_services.create_session(
        service=service, actor=keyworker, session_type="keywork",
        starts_at=at(days_ago(2)), ends_at=at(days_ago(2), 11), location_kind="centre",
        participants=[participant],
    )  # fmt: skip
    session_services.record_outcome(
        attendance=recorded.attendances.get(), outcome="unacceptable_absence", actor=keyworker
    )
    from tests.factories import ParticipantFactory

    stranger = ParticipantFactory(service=other_service)
    return {
        **personas,
        "participant": participant,
        "session": session,
        "attendance": session.attendances.get(),
        "recorded_session": recorded,
        "recorded": recorded.attendances.get(),
        "note": note,
        "considered": considered,
        "stranger": stranger,
        "service": service,
        "other_service": other_service,
    }


def session_page(world) -> str:
    return reverse("keywork:session_detail", args=[world["session"].pk])


def newest_session_page(world) -> str:
    newest = Session.objects.order_by("-created_at").first()
    return reverse("keywork:session_detail", args=[newest.pk])


def his_sessions(world) -> str:
    return reverse("keywork:participant_sessions", args=[world["participant"].pk])


SESSION_FIELDS = [
    Field("session_type", "choice", valid="keywork", choices=("group", "party")),
    Field("title", "text", valid="One to one"),
    Field("date", "date", valid=parts(days_ago(-2))),
    Field("start_time", "time", valid="14:00"),
    Field("end_time", "time", valid="15:00"),
    Field("location_kind", "choice", valid="community", choices=("moon",)),
    # The address is asked under "A community address" (a conditional reveal).
    Field("address", "text", valid="His flat, 3 Park Road", stored_in="location_detail"),
    Field("enforceable", "bool", valid="on"),
    Field("participants", "multi", valid=["{participant}"], choices=("{stranger}",)),
    Field("staff", "multi", valid=["{keyworker}"], choices=("{outsider}",)),
    # The service is also read straight from the post (which of the user's services).
    Field("service", "id", valid="{service}", choices=("{other_service}", "²")),
]


def one_session(values: dict) -> dict[str, int]:
    """The session (saved, then again with its staff: two history rows), its staff and the
    man expected, with his attendance's history row (created with history, so the first
    outcome shows as a change from none)."""
    return {
        "keywork.Session": 1,
        "keywork.HistoricalSession": 2,
        "keywork.Session_staff": 1,
        "keywork.HistoricalSession_staff": 1,
        "keywork.Attendance": 1,
        "keywork.HistoricalAttendance": 1,
    }


def series_written(values: dict) -> dict[str, int]:
    """One session for each chosen weekday from the first to the last day."""
    first = typed_date(values.get("date", SERIES_FIRST))
    last = typed_date(values.get("last_day", SERIES_LAST))
    weekdays = [int(d) for d in values.get("weekdays", SERIES_DAYS)]
    count = sum(
        (first + datetime.timedelta(days=n)).weekday() in weekdays
        for n in range((last - first).days + 1)
    )
    return {"keywork.SessionSeries": 1, **{k: n * count for k, n in one_session(values).items()}}


def note_alert(values: dict) -> dict[str, int]:
    """A risk concern is also an alert to his offender manager, on his timeline."""
    concern = values.get("risk_concern", "")
    return {"participants.TimelineEvent": 1} if concern is not MISSING and concern.strip() else {}


def page_if_keyworker_may_read(world) -> str | None:
    """A probation-only note's content is not shown to its health-agency author either."""
    note = SessionNote.objects.order_by("-created_at").first()
    edited = SessionNote.objects.get(pk=world["note"].pk)
    return None if "probation" in (note.visibility, edited.visibility) else session_page(world)


def register_written(values: dict) -> dict[str, int]:
    """Saving the register with no outcome chosen records nothing (and says "0 outcomes")."""
    outcome = next((v for k, v in values.items() if k.endswith("_outcome")), "attended")
    if outcome in (MISSING, ""):
        return {}
    return {
        "keywork.Attendance": 0,
        "keywork.HistoricalAttendance": 1,
        "participants.TimelineEvent": 1,
    }


def recall_written(values: dict) -> dict[str, int]:
    writes = {
        "keywork.RecallDecision": 1,
        "keywork.HistoricalRecallDecision": 1,
        "participants.TimelineEvent": 1,
    }
    return writes


SERIES_FIRST, SERIES_LAST, SERIES_DAYS = parts(days_ago(-1)), parts(days_ago(-14)), ["1", "3"]

CASES = [
    FormCase(
        id="session",
        form=forms.SessionForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:session_add"),
        fields=SESSION_FIELDS,
        writes=one_session,
        saved=lambda w: Session.objects.order_by("-created_at").first(),
        shown_on=newest_session_page,
    ),
    FormCase(
        id="session_series",
        form=forms.SessionForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:session_add"),
        fields=[
            *SESSION_FIELDS[:2],
            Field("date", "date", valid=SERIES_FIRST),
            *SESSION_FIELDS[3:],
            Field("weekdays", "multi", valid=SERIES_DAYS, choices=("7", "-1")),
            Field("last_day", "date", valid=SERIES_LAST),
        ],
        fixed={"repeat": "on"},
        writes=series_written,
        saved=lambda w: Session.objects.order_by("-created_at").first(),
    ),
    FormCase(
        id="session_change",
        form=forms.SessionChangeForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:session_edit", args=[w["session"].pk]),
        fields=[
            Field("date", "date", valid=parts(days_ago(2))),
            Field("start_time", "time", valid="09:30"),
            Field("end_time", "time", valid="10:30"),
            Field("location_kind", "choice", valid="prison", choices=("moon",)),
            Field("prison", "text", valid="HMP Liverpool", stored_in="location_detail"),
            Field("enforceable", "bool", valid=""),
        ],
        writes={
            "keywork.Session": 0,
            # Each man's attendance carries the session's start time: moved with it.
            "keywork.Attendance": 0,
            "keywork.HistoricalSession": 1,
            "keywork.HistoricalSession_staff": 1,
        },
        saved=lambda w: Session.objects.get(pk=w["session"].pk),
        shown_on=session_page,
    ),
    FormCase(
        id="outcome",
        form=forms.OutcomeForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:record_outcome", args=[w["session"].pk, w["attendance"].pk]),
        fields=[
            Field("outcome", "choice", valid="acceptable_absence", choices=("rescheduled",)),
            Field("absence_reason", "choice", valid="medical", choices=("hangover",)),
            Field("rescheduled_by", "choice", valid="", choices=("participant", "nobody")),
            Field("next", "text", valid="/sessions/"),
        ],
        writes={
            "keywork.Attendance": 0,
            "keywork.HistoricalAttendance": 1,
            "participants.TimelineEvent": 1,
        },
        redirects_on_error=True,
    ),
    FormCase(
        id="register",
        form=forms.RegisterForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:register", args=[w["session"].pk]),
        fields=[
            Field("a{attendance}_outcome", "choice", valid="attended", choices=("asleep",)),
            Field("a{attendance}_reason", "choice", valid="", choices=("medical", "bored")),
            Field("a{attendance}_rescheduled", "choice", valid="", choices=("service",)),
        ],
        writes=register_written,
    ),
    FormCase(
        id="note",
        form=forms.NoteForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:note_add", args=[w["session"].pk, w["participant"].pk]),
        fields=[
            Field("summary", "text", valid="Talked about housing"),
            Field("narrative", "text", valid="He has a viewing on Friday."),
            Field("pathways", "multi", valid=["accommodation"], choices=("space",)),
            Field("risk_concern", "text", valid=""),
            Field("visibility", "choice", valid="shared", choices=("health", "public")),
        ],
        writes=lambda values: {
            "keywork.SessionNote": 1,
            "keywork.HistoricalSessionNote": 1,
            "participants.TimelineEvent": 1
            + note_alert(values).get("participants.TimelineEvent", 0),
        },
        saved=lambda w: SessionNote.objects.order_by("-created_at").first(),
        shown_on=page_if_keyworker_may_read,
    ),
    FormCase(
        id="note_edit",
        form=forms.NoteForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:note_edit", args=[w["note"].pk]),
        fields=[
            Field("summary", "text", valid="Engaged well, left early"),
            Field("narrative", "text", valid="Left at 10:40 for a GP appointment."),
            Field("pathways", "multi", valid=["health"], choices=("space",)),
            Field("risk_concern", "text", valid=""),
            Field("visibility", "choice", valid="shared", choices=("probation", "public")),
        ],
        writes=lambda values: {
            "keywork.SessionNote": 0,
            "keywork.HistoricalSessionNote": 1,
            **note_alert(values),
        },
        saved=lambda w: SessionNote.objects.get(pk=w["note"].pk),
        shown_on=page_if_keyworker_may_read,
    ),
    FormCase(
        id="outcome_correction",
        form=forms.CorrectionForm,
        persona="keyworker",  # she recorded it today
        url=lambda w: reverse(
            "keywork:correct_outcome", args=[w["recorded_session"].pk, w["recorded"].pk]
        ),
        fields=[
            Field("outcome", "choice", valid="acceptable_absence", choices=("attended", "gone")),
            Field("absence_reason", "choice", valid="medical", choices=("", "whim")),
            Field("rescheduled_by", "choice", valid="", choices=("service", "nobody")),
            Field("reason", "text", valid="He rang from hospital at 9:40"),
        ],
        writes={
            "keywork.OutcomeCorrection": 1,
            "keywork.Attendance": 0,
            "keywork.HistoricalAttendance": 1,
            "participants.TimelineEvent": 1,
        },
        saved=lambda w: OutcomeCorrection.objects.order_by("-pk").first(),
        shown_on=lambda w: reverse("keywork:session_detail", args=[w["recorded_session"].pk]),
    ),
    FormCase(
        id="addendum",
        form=forms.AddendumForm,
        persona="keyworker",
        url=lambda w: reverse("keywork:note_addendum", args=[w["note"].pk]),
        fields=[Field("text", "text", valid="He phoned later to apologise")],
        writes={"keywork.NoteAddendum": 1, "keywork.HistoricalNoteAddendum": 1},
        saved=lambda w: NoteAddendum.objects.order_by("-pk").first(),
        shown_on=session_page,
    ),
    FormCase(
        id="enforcement",
        form=forms.EnforcementForm,
        persona="offender_manager",
        url=lambda w: reverse("keywork:enforcement_add", args=[w["participant"].pk]),
        fields=[
            Field("decision", "choice", valid="first_warning", choices=("nfa", "jail")),
            Field("decided_on", "date", valid=parts(days_ago(0))),
            Field("reason", "text", valid="Missed two sessions"),
        ],
        writes={
            "keywork.EnforcementDecision": 1,
            "keywork.HistoricalEnforcementDecision": 1,
            "participants.TimelineEvent": 1,
        },
        saved=lambda w: EnforcementDecision.objects.order_by("-created_at").first(),
        shown_on=his_sessions,
    ),
    FormCase(
        id="recall_decision",
        form=forms.RecallDecisionForm,
        persona="offender_manager",
        url=lambda w: reverse("keywork:recall_add", args=[w["participant"].pk, w["considered"].pk]),
        fields=[
            Field("why", "choice", valid="contact", choices=("whim",)),
            Field("alternatives_tried", "multi", valid=["warning"], choices=("prayer",)),
            Field("senior_manager_rationale", "text", valid="Lost contact twice"),
            Field("outcome", "choice", valid="no_recall", choices=("fixed_term", "exile")),
            Field("decided_on", "date", valid=parts(days_ago(0))),
        ],
        writes=recall_written,
        saved=lambda w: RecallDecision.objects.order_by("-pk").first(),
    ),
    FormCase(
        id="compliance_policy",
        form=forms.PolicyForm,
        persona="service_manager",
        url=lambda w: reverse("keywork:compliance_policy"),
        fields=[
            Field("warning_threshold", "number", valid="2"),
            Field("recall_review_threshold", "number", valid="3"),
            Field("window_months", "number", valid="6"),
            Field("service", "id", valid="{service}", choices=("{other_service}", "²")),
        ],
        # Made on first save, then saved with the thresholds: two history rows.
        writes={"keywork.CompliancePolicy": 1, "keywork.HistoricalCompliancePolicy": 2},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)


# --- Found by fuzzing -------------------------------------------------------------------------


def test_a_series_running_to_the_last_date_there_is_is_made_without_a_server_error(
    world, client_for
):
    data = (
        CASES[1]
        .resolve(world)
        .build(
            {"date": ("27", "12", "9999"), "last_day": ("31", "12", "9999"), "weekdays": ["0", "4"]}
        )
    )
    response = client_for(world["keyworker"]).post(reverse("keywork:session_add"), data)
    assert response.status_code == 302
    made = Session.objects.filter(series__isnull=False).order_by("starts_at")
    assert [s.starts_at.date() for s in made] == [
        datetime.date(9999, 12, 27),
        datetime.date(9999, 12, 31),
    ]


@pytest.mark.parametrize("typed_next", ["home", "Jamal\x00Okoro", "//evil.example/", ""])
def test_after_an_outcome_a_next_address_that_is_not_a_path_here_leads_to_my_day(
    world, client_for, typed_next
):
    url = reverse("keywork:record_outcome", args=[world["session"].pk, world["attendance"].pk])
    response = client_for(world["keyworker"]).post(url, {"outcome": "attended", "next": typed_next})
    assert response.status_code == 302
    assert response.url == reverse("keywork:my_day")
    world["attendance"].refresh_from_db()
    assert world["attendance"].outcome == "attended"


def test_after_an_outcome_a_next_page_of_this_site_is_where_you_go(world, client_for):
    url = reverse("keywork:record_outcome", args=[world["session"].pk, world["attendance"].pk])
    page = reverse("keywork:session_detail", args=[world["session"].pk])
    response = client_for(world["keyworker"]).post(url, {"outcome": "attended", "next": page})
    assert response.url == page
