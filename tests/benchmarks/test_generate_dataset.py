"""The benchmark dataset: its shape at `team` size, the invariants the pages rely on, the
same focus service at every size, refusal on a database that is not empty, and the main
pages answering for the focus users on the generated data.

The team dataset is generated once for the module, inside a transaction rolled back at
the end (so the rest of the suite still starts from an empty database).
"""

import datetime
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from benchmarks.constants import (
    BENCH_PASSWORD,
    FOCUS_EMAILS,
    FOCUS_PARTICIPANT_PRISON_NUMBER,
    FOCUS_SERVICE_NAME,
)
from benchmarks.dataset import Dataset, DatasetError, generate
from benchmarks.writer import DatasetWriter
from crisisline.models import CrisisCall
from participants.models import (
    Allocation,
    Participant,
    Referral,
    Stage,
    StageChange,
)
from reports.models import ReportRequest
from resettle.accounts.models import Service, User
from resettle.accounts.roles import Role
from riskplans.models import RiskAssessment, RiskManagementPlan
from sessions.models import Attendance, RecallDecision, Session
from sessions.selectors import my_day as my_day_of

ROOT = Path(__file__).resolve().parents[2]
SEED = 7
ACTIVE = (Stage.IN_REACH, Stage.COMMUNITY, Stage.MOVE_ON)


def index_definitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


def test_the_indexes_dropped_for_the_load_come_back_as_they_were(db):
    before = index_definitions()
    writer = DatasetWriter(connection)
    Dataset(size="team", seed=SEED, writer=writer)  # registers the tables it fills
    dropped = writer.drop_secondary_indexes()
    assert len(dropped) > 100
    assert len(index_definitions()) == len(before) - len(dropped)
    writer.create_indexes(dropped)
    assert index_definitions() == before


@pytest.fixture(scope="module")
def team(django_db_setup, django_db_blocker):
    now = timezone.now()
    with django_db_blocker.unblock():
        # Meanwhile, from the empty database: the focus service as part of `national`, built
        # in another process (another hash seed) that writes nothing.
        national_focus = focus_fingerprint_elsewhere(size="national", now=now)
        with transaction.atomic():
            # Indexes stay (a dropped index would lock the other process out).
            dataset = generate(
                size="team", seed=SEED, now=now, fingerprints=True, defer_indexes=False
            )
            dataset.national_focus = national_focus
            yield dataset
            transaction.set_rollback(True)


def focus_fingerprint_elsewhere(*, size: str, now) -> subprocess.Popen:
    script = (
        "import datetime, django; django.setup()\n"
        "from django.utils import timezone\n"
        "from benchmarks.dataset import focus_fingerprint\n"
        f"now = datetime.datetime.fromisoformat({now.isoformat()!r})\n"
        f"print(focus_fingerprint(size={size!r}, seed={SEED}, "
        "today=timezone.localdate(now), now=now))\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "resettle.settings_test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "PYTHONHASHSEED": "12345",
    }
    return subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def focus(team, db):
    return Participant.objects.get(prison_number=FOCUS_PARTICIPANT_PRISON_NUMBER)


def focus_user(key: str) -> User:
    return User.objects.get(email=FOCUS_EMAILS[key])


def test_team_size_is_one_service_of_about_fifty_active_men_over_ten_years(team, db):
    assert list(Service.objects.values_list("name", flat=True)) == [FOCUS_SERVICE_NAME]
    stages = Counter(Participant.objects.values_list("stage", flat=True))
    active = sum(stages[stage] for stage in ACTIVE)
    assert 35 <= active <= 70
    assert 0.2 <= stages[Stage.IN_REACH] / active <= 0.5  # about a third in custody
    assert 150 <= Referral.objects.count() <= 400
    assert stages[Stage.ENDED] > active  # ten years of men who have come and gone
    first = Referral.objects.order_by("received_on").first().received_on
    assert (timezone.localdate() - first).days > 9 * 365
    assert 10_000 <= Session.objects.count() <= 40_000
    assert Attendance.objects.exclude(outcome="").count() > Session.objects.count()
    assert 500 <= CrisisCall.objects.count() <= 3_000
    declined = Referral.objects.filter(status=Referral.Status.DECLINED)
    assert declined.values("decline_category").distinct().count() >= 4


def test_the_focus_people_exist_and_can_sign_in(team, db):
    for key, email in FOCUS_EMAILS.items():
        client = Client()
        response = client.post(
            reverse("accounts:login"), {"username": email, "password": BENCH_PASSWORD}
        )
        assert response.status_code == 302, key
        assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)
    commissioner = focus_user("commissioner")
    assert commissioner.memberships.filter(role=Role.COMMISSIONER).count() == 1  # one service


def test_the_focus_man_has_years_of_history_with_the_focus_team(focus):
    assert focus.stage == Stage.COMMUNITY
    team = {a.role: a.staff.email for a in focus.allocations.filter(ended_on__isnull=True)}
    assert team[Role.HEALTH_KEYWORKER] == FOCUS_EMAILS["keyworker"]
    assert team[Role.OFFENDER_MANAGER] == FOCUS_EMAILS["offender_manager"]
    kinds = list(focus.stage_changes.values_list("kind", flat=True))
    assert kinds == ["accepted", "released", "recalled", "re_released"]
    assert focus.attendances.exclude(outcome="").count() > 500
    assert focus.crisis_calls.count() >= 5
    plans = focus.risk_plans
    assert plans.count() >= 8
    assert plans.filter(status="approved").count() == 1
    assert plans.filter(status="superseded").count() >= 6
    assert focus.session_notes.values("visibility").distinct().count() == 3


def test_the_focus_caseloads_and_today_look_like_a_real_team(team, db):
    def caseload(key):
        return Allocation.objects.filter(
            staff=focus_user(key), ended_on__isnull=True, participant__stage__in=ACTIVE
        ).count()

    assert 6 <= caseload("keyworker") <= 16
    assert 12 <= caseload("offender_manager") <= 26
    today = timezone.localdate()
    assert Session.objects.filter(staff=focus_user("keyworker"), starts_at__date=today).exists()
    last_two_nights = timezone.now() - datetime.timedelta(hours=40)
    assert CrisisCall.objects.filter(started_at__gte=last_two_nights).exists()


def test_the_allocated_team_and_only_them_hold_the_object_permission(team, db):
    for participant in Participant.objects.filter(stage__in=ACTIVE).prefetch_related("allocations"):
        team_ids = {a.staff_id for a in participant.allocations.all() if a.ended_on is None}
        assert len(team_ids) == 3, participant


def test_records_keep_the_invariants_the_services_keep(team, db):
    changes = Participant.history.filter(history_type="~").values("id").annotate(n=Count("*"))
    saved = {row["id"]: row["n"] for row in changes}
    latest_move = {}
    for change in StageChange.objects.order_by("effective_on", "recorded_at"):
        latest_move[change.participant_id] = change
    for participant in Participant.objects.all():
        assert participant.version == 1 + saved.get(participant.pk, 0)
        move = latest_move[participant.pk]
        assert (participant.stage, participant.stage_since) == (move.to_stage, move.effective_on)
        assessment = participant.risk_assessments.first()
        assert participant.highest_rosh == (assessment.highest_rosh if assessment else "")
        approved = participant.risk_plans.filter(status="approved").first()
        assert participant.plan_review_due_on == (approved.review_due_on if approved else None)
    assert (
        not Attendance.objects.exclude(outcome="")
        .filter(session__starts_at__gt=timezone.now())
        .exists()
    )
    recalls = StageChange.objects.filter(kind=StageChange.Kind.RECALLED).count()
    assert recalls > 0
    assert RecallDecision.objects.exclude(outcome="no_recall").count() == recalls
    numbers = RiskManagementPlan.objects.values("participant").annotate(
        top=Max("number"), n=Count("*")
    )
    assert all(row["top"] == row["n"] for row in numbers)  # versions 1..n, no gaps


def test_every_change_has_its_history_row(team, db):
    sessions = Session.objects.count()
    assert Session.history.count() == 2 * sessions  # created, then its staff set
    assert Attendance.history.count() == Attendance.objects.exclude(outcome="").count()
    assert Participant.history.filter(history_type="+").count() == Participant.objects.count()
    assert RiskManagementPlan.history.count() > 3 * RiskManagementPlan.objects.count()
    assert RiskAssessment.history.count() == RiskAssessment.objects.count()
    assert not Session.history.filter(history_user__isnull=True).exists()
    assert ReportRequest.objects.filter(status="succeeded", approved_at__isnull=False).exists()


def test_the_focus_service_is_the_same_at_every_size(team, db):
    """Every row of the focus service at `team` equals the one made as part of `national`."""
    output, errors = team.national_focus.communicate(timeout=120)
    assert team.national_focus.returncode == 0, errors
    assert team.services[0].fingerprint
    assert output.strip().splitlines()[-1] == team.services[0].fingerprint


def test_a_database_with_participants_is_refused(team, db):
    with pytest.raises(DatasetError, match="already has 1 services"):
        generate(size="team")
    with pytest.raises(CommandError, match="fills an empty, migrated database only"):
        call_command("generate_dataset", "--size", "team")


PAGES = {
    "case": [
        "/",
        "/participants/caseload/",
        "/participants/caseload/mine/",
        "/participants/{pk}/",
        "/participants/{pk}/timeline/",
        "/participants/{pk}/history/",
        "/sessions/",
        "/sessions/participants/{pk}/",
        "/participants/{pk}/risk/",
        "/participants/{pk}/risk/history/plan/",
        "/crisis/?q={name}",
        "/crisis/people/{pk}/",
        "/crisis/calls/",
        "/crisis/handover/",
        "/participants/referrals/",
    ],
    "crisis_worker": ["/", "/crisis/?q={name}", "/crisis/people/{pk}/", "/crisis/calls/"],
    "reports": ["/reports/"],
    "administrator": ["/"],
}
PAGES_OF = {
    # The full list for the keyworker and the manager; the others' own pages besides.
    "keyworker": PAGES["case"],
    "service_manager": PAGES["case"] + PAGES["reports"],
    "offender_manager": [
        "/",
        "/participants/caseload/mine/",
        "/participants/{pk}/",
        "/sessions/participants/{pk}/",
        "/participants/{pk}/risk/",
        *PAGES["reports"],
    ],
    "psychologist": [
        "/",
        "/participants/caseload/mine/",
        "/participants/{pk}/risk/history/formulation/",
    ],
    "crisis_worker": PAGES["crisis_worker"],
    "commissioner": ["/", *PAGES["reports"]],
    "administrator": PAGES["administrator"],
}


@pytest.mark.parametrize("key", list(PAGES_OF))
def test_the_main_pages_answer_for_the_focus_people(key, focus, client):
    client.force_login(focus_user(key))
    for page in PAGES_OF[key]:
        url = page.format(pk=focus.pk, name=focus.family_name)
        response = client.get(url)
        assert response.status_code == 200, url


def test_my_day_and_the_caseload_show_the_generated_men(focus, client):
    client.force_login(focus_user("keyworker"))
    my_day = client.get(reverse("keywork:my_day")).content.decode()
    # Whatever day the suite runs: the page lists each of today's sessions by its time (none
    # on some days), and the focus keyworker has sessions in any week.
    keyworker = focus_user("keyworker")
    today = timezone.localdate()
    for session in my_day_of(keyworker, today):
        starts, ends = (
            timezone.localtime(t).strftime("%H:%M") for t in (session.starts_at, session.ends_at)
        )
        assert f"{starts}–{ends}" in my_day, session
    week = [today + datetime.timedelta(days=offset) for offset in range(-3, 4)]
    assert any(my_day_of(keyworker, day) for day in week)
    mine = client.get(reverse("participants:my_caseload")).content.decode()
    assert FOCUS_PARTICIPANT_PRISON_NUMBER in mine
    client.force_login(focus_user("commissioner"))
    reports = client.get(reverse("reports:list")).content.decode()
    assert "Commissioner report" in reports
    client.force_login(focus_user("service_manager"))
    download = next(
        r for r in ReportRequest.objects.filter(kind="commissioner", status="succeeded")
    )
    response = client.get(reverse("reports:download", args=[download.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_production_has_no_dataset_generator():
    from tests.core.test_settings import PRODUCTION_ENV, manage

    result = manage("help", "generate_dataset", env_overrides=PRODUCTION_ENV)
    assert result.returncode != 0
    assert "Unknown command: 'generate_dataset'" in result.stderr
