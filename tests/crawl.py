"""A world with a unique marker in each kind of record, and a crawler that reads what a persona
can reach: every page linked from their home page (links, htmx fragments, PDF downloads) and
every page of the URL conf filled with the world's object ids. GET only.

Used by tests/core/test_sentinels.py (which markers each persona may see) and
tests/core/test_list_implies_open.py (a man is listed for someone ⇔ they may open him).
"""

import datetime
import html
import io
import re
from collections import deque
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pypdf
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from crisisline import services as crisis_services
from crisisline.models import CallerType, CrisisCall, Urgency
from participants import services as participant_services
from participants.models import Referral, StageChange
from reports import services as report_services
from reports.models import ReportRequest, report_storage
from riskplans import services as plan_services
from sessions import services as session_services
from sessions.models import Outcome, SessionNote, SessionType, Visibility
from tests.factories import (
    ParticipantFactory,
    ServiceFactory,
    accepted_participant,
    allocate_team,
)
from tests.factories.retention import ended_participant
from tests.world import make_personas

# --- The world ------------------------------------------------------------------------------

PERSONA_NAMES = (
    "offender_manager",
    "keyworker",
    "colleague",
    "psychologist",
    "service_manager",
    "crisis_worker",
    "administrator",
    "commissioner",
    "outsider",
    "outsider_manager",
)

# Family names no other record of the world holds: seeing one is seeing that man.
JAMAL = "Okoro"  # allocated to the offender manager, keyworker and psychologist
UNALLOCATED = "Quillfeather"  # accepted, no team yet
OTHER_SERVICE = "Brackenridge"  # a man of the other service
EXCLUDED = "Thistlewood"  # allocated; the colleague is excluded from his record
ENDED = "Ashcombe"  # his involvement ended a month ago
GIVEN_NAMES = {
    JAMAL: "Jamal",
    UNALLOCATED: "Idris",
    OTHER_SERVICE: "Callum",
    EXCLUDED: "Declan",
    ENDED: "Warren",
}


@dataclass
class World:
    personas: dict
    men: dict  # family name -> Participant
    markers: dict[str, str]  # kind of record -> the text only that record holds
    objects: dict  # name -> object, for the URL conf's arguments
    url_args: dict[str, list] = field(default_factory=dict)  # parameter -> candidate values
    owned: dict[str, list[tuple]] = field(default_factory=dict)  # parameter -> (man's pk, value)


@contextmanager
def report_files_in(root):
    """Report files of the world in a folder of its own (as tests/reports/conftest.py)."""
    import pytest

    field_storage = ReportRequest._meta.get_field("file").storage
    with pytest.MonkeyPatch.context() as patch:
        for storage in {id(s): s for s in (report_storage(), field_storage)}.values():
            patch.setattr(storage, "location", str(root))
        yield


def _call(service, man, actor, text: str, started) -> CrisisCall:
    return crisis_services.log_call(
        call=CrisisCall(
            service=service,
            participant=man,
            started_at=started,
            ended_at=started + datetime.timedelta(minutes=20),
            caller_type=CallerType.PARTICIPANT,
            presenting_issue=text,
            urgency=Urgency.URGENT,
            follow_up_required=True,
            narrative=text,
        ),
        actor=actor,
    )


STAFF_WORK_PHONE = "+441514960666"  # in every tel: link to it


def build_world(*, with_report: bool = True) -> World:
    service = ServiceFactory(name="Resettle Merseyside")
    other_service = ServiceFactory(name="Rebuilding Lives Northumbria", delivery_model="outreach")
    p = make_personas(service, other_service)
    manager, om, keyworker = p["service_manager"], p["offender_manager"], p["keyworker"]
    today = timezone.localdate()
    # His keyworker's work phone: staff see it (his crisis summary, her staff account), a
    # commissioner never does.
    keyworker.work_phone = STAFF_WORK_PHONE
    keyworker.save(update_fields=["work_phone"])
    team = {"om": om, "keyworker": keyworker, "psychologist": p["psychologist"]}

    jamal = allocate_team(
        accepted_participant(
            service=service, manager=manager, given_name=GIVEN_NAMES[JAMAL], family_name=JAMAL,
            prison_number="A1234BC",
        ),
        manager=manager, **team,
    )  # fmt: skip
    unallocated = accepted_participant(
        service=service,
        manager=manager,
        given_name=GIVEN_NAMES[UNALLOCATED],
        family_name=UNALLOCATED,
    )
    other = ParticipantFactory(
        service=other_service, given_name=GIVEN_NAMES[OTHER_SERVICE], family_name=OTHER_SERVICE
    )
    excluded = allocate_team(
        accepted_participant(
            service=service, manager=manager, given_name=GIVEN_NAMES[EXCLUDED], family_name=EXCLUDED
        ),
        manager=manager, **team,
    )  # fmt: skip
    ended = ended_participant(
        service=service, manager=manager, ended_on=today - datetime.timedelta(days=30),
        given_name=GIVEN_NAMES[ENDED], family_name=ENDED,
    )  # fmt: skip

    markers = {
        "shared note": "SENTINEL-SHARED-NOTE",
        "health-only note": "SENTINEL-HEALTH-NOTE",
        "probation-only note": "SENTINEL-PROBATION-NOTE",
        "addendum": "SENTINEL-ADDENDUM",
        "formulation": "SENTINEL-FORMULATION",
        "plan actions": "SENTINEL-PLAN-ACTIONS",
        "contingency plan": "SENTINEL-CONTINGENCY",
        "crisis call": "SENTINEL-CRISIS-CALL",
        "his name": JAMAL,
        "unallocated man": UNALLOCATED,
        "ended man": ENDED,
        "other service's man": OTHER_SERVICE,
        "excluded man": EXCLUDED,
        "excluded man's note": "SENTINEL-EXCLUDED-NOTE",
        "excluded man's call": "SENTINEL-EXCLUDED-CALL",
        "outcome correction": "SENTINEL-CORRECTION",
        "excluded man's correction": "SENTINEL-EXCLUDED-CORRECTION",
        "staff work phone": STAFF_WORK_PHONE,
    }

    # A group session ten days ago: Jamal absent (recorded as without good reason, corrected
    # to acceptable: the compliance report prints his shared note), the excluded man attended
    # (corrected to late).
    starts = timezone.localtime() - datetime.timedelta(days=10)
    session = session_services.create_session(
        service=service, actor=keyworker, session_type=SessionType.GROUP, title="Cooking group",
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=2), location_kind="centre",
        staff=[keyworker, om], participants=[jamal, excluded],
    )  # fmt: skip
    attendances = {a.participant_id: a for a in session.attendances.all()}
    session_services.record_outcome(
        attendance=attendances[jamal.pk], outcome=Outcome.UNACCEPTABLE_ABSENCE, actor=keyworker
    )
    session_services.record_outcome(
        attendance=attendances[excluded.pk], outcome=Outcome.ATTENDED, actor=keyworker
    )
    # Both put right the same day, each with a reason only that correction holds.
    session_services.correct_outcome(
        attendance=attendances[jamal.pk], actor=keyworker, outcome=Outcome.ACCEPTABLE_ABSENCE,
        absence_reason="medical", reason=markers["outcome correction"],
    )  # fmt: skip
    session_services.correct_outcome(
        attendance=attendances[excluded.pk], actor=keyworker, outcome=Outcome.LATE,
        reason=markers["excluded man's correction"],
    )  # fmt: skip

    def note(man, author, marker: str, visibility, risk_concern=""):
        return session_services.add_note(
            session=session, participant=man, actor=author,
            note=SessionNote(summary=marker, narrative=f"{marker} narrative",
                             risk_concern=risk_concern, visibility=visibility),
        )  # fmt: skip

    shared = note(jamal, keyworker, markers["shared note"], Visibility.SHARED,
                  risk_concern=markers["shared note"])  # fmt: skip
    health = note(jamal, keyworker, markers["health-only note"], Visibility.HEALTH)
    probation = note(jamal, om, markers["probation-only note"], Visibility.PROBATION)
    excluded_note = note(excluded, keyworker, markers["excluded man's note"], Visibility.SHARED)
    session_services.add_addendum(note=shared, actor=keyworker, text=markers["addendum"])

    plan = plan_services.start_plan(participant=jamal, actor=keyworker)
    plan = plan_services.save_plan(
        plan=plan, actor=keyworker, expected_version=plan.lock_version, submit=True,
        changes={"actions": [{"pillar": "supervision", "action": markers["plan actions"],
                              "owner": "OM", "due": "Weekly"}],
                 "contingency_plan": markers["contingency plan"], "expected_days_per_week": 2},
    )  # fmt: skip
    plan = plan_services.approve_plan(plan=plan, actor=om)
    formulation = plan_services.start_formulation(participant=jamal, actor=p["psychologist"])
    text_fields = (
        "presenting_problems", "reciprocal_roles", "target_problem_procedures", "exits",
        "predisposing", "precipitating", "perpetuating", "protective", "presenting", "his_account",
    )  # fmt: skip
    formulation = plan_services.save_formulation(
        formulation=formulation, actor=p["psychologist"],
        expected_version=formulation.lock_version,
        changes={name: f"{markers['formulation']} {name}" for name in text_fields},
    )  # fmt: skip

    started = timezone.now() - datetime.timedelta(hours=2)
    call = _call(service, jamal, p["crisis_worker"], markers["crisis call"], started)
    excluded_call = _call(
        service, excluded, p["crisis_worker"], markers["excluded man's call"], started
    )

    report = None
    if with_report:
        report, _sent = report_services.request_compliance_report(
            actor=om, participant=jamal, start=today - datetime.timedelta(days=60), end=today
        )
        report.refresh_from_db()
        assert report.status == "succeeded", (report.status, report.error_message)
        markers["report"] = str(report.pk)

    exclusion = participant_services.exclude_staff(
        participant=excluded, staff=p["colleague"], reason="Knows his family", actor=manager
    )

    men = {
        JAMAL: jamal,
        UNALLOCATED: unallocated,
        OTHER_SERVICE: other,
        EXCLUDED: excluded,
        ENDED: ended,
    }
    world = World(
        personas=p,
        men=men,
        markers=markers,
        objects={
            "session": session,
            "plan": plan,
            "formulation": formulation,
            "call": call,
            "excluded_call": excluded_call,
            "report": report,
            "notes": [shared, health, probation, excluded_note],
            "exclusion": exclusion,
        },
    )
    marked = [jamal, excluded, other]  # the men whose records carry markers
    world.url_args = {
        "men": [m.pk for m in marked],
        "referrals": [r.pk for r in Referral.objects.filter(participant__in=marked)],
        "sessions": [session.pk],
        "calls": [call.pk, excluded_call.pk],
        "reports": [report.pk] if report else [],
        "staff": [],  # staff pages name no man
        "note_id": [n.pk for n in world.objects["notes"]],
        "kind": ["plan", "formulation", StageChange.Kind.ENDED],
    }
    world.owned = {
        "plan_id": [(jamal.pk, plan.pk)],
        "formulation_id": [(jamal.pk, formulation.pk)],
        "participant_id": [(session.pk, jamal.pk), (session.pk, excluded.pk)],
        "attendance_id": [(session.pk, a.pk) for a in attendances.values()],
        "exclusion_id": [(excluded.pk, exclusion.pk)],
    }
    return world


# --- The URL conf, filled with the world's ids ----------------------------------------------

# What the first <uuid:pk> of a route names, by the route before it.
PK_KINDS = (
    ("participants/referrals/", "referrals"),
    ("participants/retention/referrals/", "referrals"),
    ("participants/retention/", "men"),
    ("participants/", "men"),
    ("crisis/people/", "men"),
    ("crisis/participants/", "men"),
    ("sessions/participants/", "men"),
    ("crisis/calls/", "calls"),
    ("sessions/", "sessions"),
    ("reports/", "reports"),
    ("accounts/staff/", "staff"),
)


def _patterns(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def _pk_kind(route: str) -> str | None:
    before = route[: route.index("<")]
    # The longest known prefix wins ("participants/referrals/" before "participants/").
    for prefix, kind in sorted(PK_KINDS, key=lambda pair: -len(pair[0])):
        if before == prefix:
            return kind
    return None


def urlconf_pages(world: World) -> tuple[list[str], list[str]]:
    """(URLs to fetch, routes left out because the world has nothing to fill them with)."""
    urls, unfilled = [], []
    for route in _patterns(get_resolver().url_patterns):
        if route.startswith("admin/") or "^" in route:
            continue
        names = [m.group("name") for m in PARAM.finditer(route)]
        fills: list[dict] = []
        if not names:
            fills = [{}]
        elif names[0] == "pk":
            kind = _pk_kind(route)
            pks = world.url_args.get(kind, []) if kind else []
            if len(names) == 1:
                fills = [{"pk": pk} for pk in pks]
            elif len(names) == 2 and names[1] in world.owned:
                fills = [
                    {"pk": owner, names[1]: value}
                    for owner, value in world.owned[names[1]]
                    if owner in pks
                ]
            elif len(names) == 2 and names[1] in world.url_args:
                fills = [{"pk": pk, names[1]: v} for pk in pks for v in world.url_args[names[1]]]
        elif len(names) == 1 and names[0] in world.url_args:
            fills = [{names[0]: value} for value in world.url_args[names[0]]]
        if not fills:
            unfilled.append(route)
            continue
        for values in fills:
            urls.append("/" + PARAM.sub(lambda m, v=values: str(v[m.group("name")]), route))
    return urls, unfilled


# --- The crawl ------------------------------------------------------------------------------

LINK = re.compile(r"""(?:href|hx-get)\s*=\s*["']([^"']+)["']""")
NEVER = ("/accounts/sign-out/", "/admin/logout/", "/static/", "/media/", "/admin/jsi18n/")


@dataclass
class Finding:
    persona: str
    url: str
    marker: str  # the kind of record whose marker was seen
    status: int

    def __str__(self) -> str:
        return f"{self.persona} saw the {self.marker} at {self.url} ({self.status})"


@dataclass
class CrawlResult:
    persona: str
    pages: dict[str, int] = field(default_factory=dict)  # url -> status
    seen: dict[str, str] = field(default_factory=dict)  # marker kind -> first url seen at
    findings: list[Finding] = field(default_factory=list)  # markers seen that are forbidden
    pdfs: dict[str, list[str]] = field(default_factory=dict)  # url -> marker kinds in it
    fragments: int = 0
    signed_out: list[str] = field(default_factory=list)  # pages that sent them to sign in


def text_of(response) -> str:
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        reader = pypdf.PdfReader(io.BytesIO(b"".join(response.streaming_content)
                                            if response.streaming else response.content))  # fmt: skip
        text = " ".join(page.extract_text() or "" for page in reader.pages)
        # WeasyPrint wraps lines anywhere: a marker may be split by a line break.
        return text + "\n" + re.sub(r"\s+", "", text)
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def links_in(body: str) -> Iterable[str]:
    for raw in LINK.findall(body):
        url = html.unescape(raw).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme and parts.netloc not in ("testserver", ""):
            continue
        if not parts.path.startswith("/") or url.startswith("//"):
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if not url.startswith(NEVER):
            yield url


def crawl(
    client: Client,
    *,
    persona: str,
    markers: dict[str, str],
    forbidden: set[str],
    seeds: Iterable[str] = (),
    cap: int = 80,
    variants_per_path: int = 2,
) -> CrawlResult:
    """Breadth first from the home page (at most `cap` pages found by following links, and
    `variants_per_path` query strings of any one path), then every page of `seeds`. Every
    response body (HTML, htmx fragment, PDF text) is searched for every marker."""
    result = CrawlResult(persona)
    queue: deque[tuple[str, bool]] = deque([("/", False)])
    queue.extend((url, True) for url in seeds)
    queued = {"/", *seeds}
    variants: dict[str, int] = {}
    followed = 0
    while queue:
        url, seeded = queue.popleft()
        if not seeded:
            if followed >= cap:
                continue
            followed += 1
        response = client.get(url, headers={"HX-Request": "true"} if "progress" in url else {})
        status = response.status_code
        result.pages[url] = status
        if status in (301, 302, 303, 307, 308):
            location = response["Location"]
            if "/accounts/sign-in/" in location and not url.startswith("/accounts/login/"):
                result.signed_out.append(url)
            found = [location]
            body = ""
        else:
            body = text_of(response)
            found = list(links_in(body)) if "html" in response.get("Content-Type", "") else []
        # A page may name its own address (the sign-in link of the idle sign-out warning
        # comes back to it): that tells them only what they asked for, not a record's content.
        path = url.split("?", 1)[0]
        for own in (path, quote(path, safe=""), quote(path)):
            body = body.replace(own, "")
        if response.get("Content-Type", "").startswith("application/pdf"):
            result.pdfs[url] = [kind for kind, marker in markers.items() if marker in body]
        if "progress" in url:
            result.fragments += 1
        for kind, marker in markers.items():
            if marker in body:
                result.seen.setdefault(kind, url)
                if kind in forbidden:
                    result.findings.append(Finding(persona, url, kind, status))
        for link in links_in(" ".join(f'href="{u}"' for u in found)):
            if link in queued:
                continue
            path = link.split("?", 1)[0]
            if "?" in link:
                if variants.get(path, 0) >= variants_per_path:
                    continue
                variants[path] = variants.get(path, 0) + 1
            queued.add(link)
            queue.append((link, False))
    return result
