"""Every crisis-line form, fuzzed through its view (see tests/fuzzing.py for the properties)."""

import datetime

import pytest
from django.urls import reverse

from crisisline import forms
from crisisline import services as crisis_services
from crisisline.models import BankHoliday, CrisisCall, ServiceClosureDay
from tests.factories import ParticipantFactory, days_ago
from tests.factories.reports import at
from tests.fuzzing import MISSING, Field, FormCase, fuzz_form, fuzz_query

pytestmark = pytest.mark.django_db


def parts(day: datetime.date) -> tuple[str, str, str]:
    return (str(day.day), str(day.month), str(day.year))


def logged(*, service, actor, participant=None, follow_up=False) -> CrisisCall:
    return crisis_services.log_call(
        call=CrisisCall(
            service=service, participant=participant, started_at=at(days_ago(1), 23, 10),
            ended_at=at(days_ago(1), 23, 25), caller_type="unknown",
            presenting_issue="Could not sleep", urgency="concerning",
            follow_up_required=follow_up,
        ),
        actor=actor,
    )  # fmt: skip


@pytest.fixture
def world(personas, service, other_service, participant):
    """A call not yet linked to anyone, and one the day team must follow up; a man of another
    service whose id is typed where only this service's belong."""
    crisis_worker = personas["crisis_worker"]
    return {
        **personas,
        "participant": participant,
        "stranger": ParticipantFactory(service=other_service),
        "service": service,
        "other_service": other_service,
        "unlinked": logged(service=service, actor=crisis_worker),
        "to_follow_up": logged(
            service=service, actor=crisis_worker, participant=participant, follow_up=True
        ),
    }


def newest_call_page(world) -> str:
    return reverse(
        "crisisline:call_detail", args=[CrisisCall.objects.order_by("-started_at")[0].pk]
    )


def call_written(values: dict) -> dict[str, int]:
    """The call, and an entry on his timeline when it is about a participant."""
    writes = {"crisisline.CrisisCall": 1, "crisisline.HistoricalCrisisCall": 1}
    if values.get("participant", "x") not in (MISSING, ""):
        writes["participants.TimelineEvent"] = 1
    return writes


CASES = [
    FormCase(
        id="call",
        form=forms.CallForm,
        persona="crisis_worker",
        url=lambda w: reverse("crisisline:call_add"),
        fields=[
            Field("participant", "id", valid="{participant}", choices=("{stranger}", "")),
            Field("presenting_issue", "text", valid="Worried about his licence"),
            Field("urgency", "choice", valid="urgent", choices=("apocalyptic",)),
            Field("caller_type", "choice", valid="participant", choices=("robot",)),
            Field("caller_name", "text", valid="Jamal"),
            Field("service", "id", valid="{service}", choices=("{other_service}",)),
            Field("started_date", "date", valid=parts(days_ago(1))),
            Field("started_time", "time", valid="23:40"),
            Field("ended_time", "time", valid="23:55"),
            Field("risk_indicators", "multi", valid=["licence"], choices=("boredom",)),
            Field("actions_taken", "multi", valid=["advice"], choices=("shrugged",)),
            Field("follow_up_required", "bool", valid="on"),
            Field("narrative", "text", valid="He was calm by the end of the call."),
        ],
        writes=call_written,
        saved=lambda w: CrisisCall.objects.order_by("-started_at").first(),
        shown_on=newest_call_page,
    ),
    FormCase(
        id="call_link",
        form=forms.LinkForm,
        persona="crisis_worker",
        url=lambda w: reverse("crisisline:call_link", args=[w["unlinked"].pk]),
        fields=[Field("participant", "id", valid="{participant}", choices=("{stranger}",))],
        writes={
            "crisisline.CrisisCall": 0,
            "crisisline.HistoricalCrisisCall": 1,
            "participants.TimelineEvent": 1,
        },
        redirects_on_error=True,
    ),
    FormCase(
        id="acknowledge",
        form=forms.AcknowledgeForm,
        persona="keyworker",
        url=lambda w: reverse("crisisline:call_acknowledge", args=[w["to_follow_up"].pk]),
        fields=[
            Field(
                "note", "text", valid="Rang him at 9; he is fine", stored_in="acknowledgement_note"
            ),
            Field(
                "next", "text", valid="/crisis/handover/", shown=False, kept_when=lambda v: False
            ),
        ],
        writes={
            "crisisline.CrisisCall": 0,
            "crisisline.HistoricalCrisisCall": 1,
            "participants.TimelineEvent": 1,
        },
        saved=lambda w: CrisisCall.objects.get(pk=w["to_follow_up"].pk),
        shown_on=lambda w: reverse("crisisline:call_detail", args=[w["to_follow_up"].pk]),
    ),
    FormCase(
        id="bank_holiday",
        form=forms.BankHolidayForm,
        persona="administrator",
        url=lambda w: reverse("crisisline:bank_holidays"),
        fields=[
            Field("date", "date", valid=parts(datetime.date(2031, 6, 16))),
            Field("name", "text", valid="Extra holiday"),
        ],
        writes={"crisisline.BankHoliday": 1, "crisisline.HistoricalBankHoliday": 1},
        saved=lambda w: BankHoliday.objects.order_by("-pk").first(),
        shown_on=lambda w: reverse("crisisline:bank_holidays"),
    ),
    FormCase(
        id="closure_day",
        form=forms.ClosureDayForm,
        persona="service_manager",
        url=lambda w: reverse("crisisline:closure_days"),
        fields=[
            Field("date", "date", valid=parts(datetime.date(2031, 6, 18))),  # a Wednesday
            Field("reason", "text", valid="Whole-team training day"),
        ],
        writes={
            "crisisline.ServiceClosureDay": 1,
            "crisisline.HistoricalServiceClosureDay": 1,
        },
        saved=lambda w: ServiceClosureDay.objects.order_by("-pk").first(),
        shown_on=lambda w: f"{reverse('crisisline:closure_days')}?service={w['service'].pk}",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_no_typed_input_breaks_the_form(case, world, client_for):
    fuzz_form(case, client_for(world[case.persona]), world)


# --- Found by fuzzing -------------------------------------------------------------------------


def test_a_call_about_him_with_the_longest_presenting_issue_is_logged(world, client_for):
    """The issue (up to 300 characters) is quoted in his timeline entry's title (200 at
    most): it used to overflow the column and lose the call with a server error."""
    case = CASES[0].resolve(world)
    issue = "He said " + "he cannot cope with the hostel any more, " * 7
    issue = issue[:300]
    response = client_for(world["crisis_worker"]).post(
        case.url(world), case.build({"presenting_issue": issue})
    )
    assert response.status_code == 302
    call = CrisisCall.objects.order_by("-started_at").first()
    assert call.presenting_issue == issue.strip()
    event = world["participant"].timeline_events.get(category="crisis", link__contains=str(call.pk))
    assert len(event.title) == 200
    assert event.title.startswith("Crisis call (urgent): He said he cannot cope")
    assert event.title.endswith("…")


@pytest.mark.parametrize("typed_next", ["handover", "//evil.example/"])
def test_after_acknowledging_a_next_address_that_is_not_a_path_here_leads_to_handover(
    world, client_for, typed_next
):
    url = reverse("crisisline:call_acknowledge", args=[world["to_follow_up"].pk])
    response = client_for(world["keyworker"]).post(url, {"note": "Rang him", "next": typed_next})
    assert response.status_code == 302
    assert response.url == reverse("crisisline:handover")


def test_no_typed_search_breaks_the_crisis_line_search(world, client_for):
    client = client_for(world["crisis_worker"])
    fields = [Field("q", "text", valid="Jamal")]
    fuzz_query(reverse("crisisline:search"), fields, client)
    # The same search as the page asks for it while typing (htmx), answered with the results.
    client.defaults["HTTP_HX_REQUEST"] = "true"
    fuzz_query(reverse("crisisline:search"), fields, client, max_examples=10)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Jamal said he would come back next week. " * 2500, "100 characters or fewer"),
    ],
)
def test_a_search_that_cannot_be_run_says_why_instead_of_failing(world, client_for, typed, message):
    client = client_for(world["crisis_worker"])
    for url in (
        reverse("crisisline:search"),
        reverse("crisisline:call_detail", args=[world["unlinked"].pk]),
    ):
        response = client.get(url, {"q": typed})
        assert response.status_code == 200
        assert message in response.content.decode()


def test_a_nul_in_a_search_is_refused_before_the_search_with_a_clear_page(world, client_for):
    # Since issue 19 control characters in any query are a clear 400 (RequestGuardMiddleware),
    # not a message on the search form.
    client = client_for(world["crisis_worker"])
    response = client.get(reverse("crisisline:search"), {"q": "Jamal\x00"})
    assert response.status_code == 400
    assert "does not accept" in response.content.decode()
