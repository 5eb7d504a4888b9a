"""A believable demo caseload, built through the real services so history and timeline are true.

Made-up people only. Idempotent: a service that already has demo referrals is left alone.
"""

import datetime

from django.utils import timezone

from resettle.accounts.models import Service, User
from resettle.accounts.roles import Role
from resettle.core.demo import demo_email

from . import services
from .models import Contact, Goal, Licence, LicenceCondition, Pathway, Referral, ReleasePlan
from .models import StageChange as Change

Kind = Change.Kind


def nhs_number(seed: int) -> str:
    """A valid NHS number (mod-11 check digit) from a seed, for made-up people."""
    base = 900000000 + seed * 7919
    while True:
        digits = str(base)[:9]
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return digits + str(check)
        base += 1


# name, preferred, born, prison, journey (a list of stage moves, days ago), needs
PEOPLE = (
    (
        "Jamal",
        "Okoro",
        "Jay",
        (1988, 4, 12),
        "custody",
        {"accommodation": "high", "health": "medium"},
    ),
    (
        "Liam",
        "Doherty",
        "",
        (1979, 11, 3),
        "community",
        {"employment": "high", "drugs_alcohol": "medium"},
    ),
    (
        "Craig",
        "Whitfield",
        "Craigy",
        (1991, 7, 21),
        "move_on",
        {"finance": "low", "family": "medium"},
    ),
    (
        "Paul",
        "Kennedy",
        "",
        (1984, 1, 30),
        "recalled",
        {"accommodation": "high", "drugs_alcohol": "high"},
    ),
    ("Darren", "McBride", "Daz", (1990, 9, 9), "re_released", {"life_skills": "medium"}),
    ("Stephen", "Ashworth", "", (1975, 5, 17), "ended", {}),
    ("Ryan", "Blackwood", "", (1993, 2, 25), "waiting", {"learning": "medium"}),
    (
        "Michael",
        "Tierney",
        "Mick",
        (1982, 12, 1),
        "community",
        {"health": "high", "accommodation": "medium"},
    ),
)

REFERRAL_ONLY = (
    ("Anthony", "Marsh", (1987, 6, 6), Referral.Status.RECEIVED),
    ("Kevin", "Hughes", (1980, 3, 14), Referral.Status.ASSESSING),
    ("Gary", "Lomax", (1976, 8, 19), Referral.Status.DECLINED),
    ("Sean", "Fairclough", (1994, 10, 2), Referral.Status.WITHDRAWN),
)

PRISONS = {
    "mersey": ("HMP Liverpool", "HMP Altcourse"),
    "northumbria": ("HMP Northumberland", "HMP Durham"),
}


def seed_participants(demo_services: dict[str, Service]) -> None:
    for index, (key, service) in enumerate(demo_services.items()):
        if Referral.objects.filter(service=service).exists():
            continue
        _seed_service(key, service, offset=index * 100)


def _staff(key: str, local: str) -> User:
    return User.objects.get(email=demo_email(local, key))


def _seed_service(key: str, service: Service, offset: int) -> None:
    today = timezone.localdate()
    manager = _staff(key, "manager")
    oms = [_staff(key, "om"), _staff(key, "om2")]
    keyworkers = [_staff(key, "keyworker"), _staff(key, "keyworker2")]
    psychologist = _staff(key, "psychologist")
    prisons = PRISONS[key]

    for number, (given, family, preferred, born, journey, needs) in enumerate(PEOPLE):
        seq = offset + number
        received = today - datetime.timedelta(days=700 - number * 40)
        referral = services.create_referral(
            service=service,
            actor=oms[number % 2],
            received_on=received,
            source=Referral.Source.OFFENDER_MANAGER if number % 2 else Referral.Source.PRISON,
            given_name=given,
            family_name=family if key == "mersey" else f"{family}-{given[0]}",
            date_of_birth=datetime.date(*born),
            prison_number=f"A{1000 + seq:04d}{'BC' if key == 'mersey' else 'DE'}",
            crn=f"{'X' if key == 'mersey' else 'N'}{100000 + seq * 37:06d}",
            pnc_number=f"{born[0] % 100 + 18:02d}/{seq * 1301 + 5:07d}{'ABCDEFGHJK'[seq % 10]}",
            nhs_number=nhs_number(seq),
            current_prison=prisons[number % 2],
            # Jamal, still in custody, is due out in ten weeks ("Upcoming releases"); the others
            # were due out on the day their journey releases them.
            expected_release_date=(
                today + datetime.timedelta(weeks=10)
                if journey == "custody"
                else received + datetime.timedelta(days=RELEASED_AFTER + 31)
                if journey != "waiting"
                else today + datetime.timedelta(days=400)
            ),
            sentence_type=Referral.SentenceType.DETERMINATE
            if number % 3
            else Referral.SentenceType.IPP,
            sentence_length_months=72 + number * 6 if number % 3 else None,
            index_offence=[c for c, _ in Referral.OffenceCategory.choices][number % 9],
            screened_into_opd=True,
        )
        services.start_assessment(referral=referral, actor=manager)
        if journey == "waiting":
            services.accept_referral(
                referral=referral,
                actor=manager,
                offer_in_reach=False,
                decided_on=received + datetime.timedelta(days=30),
            )
            continue
        participant = services.accept_referral(
            referral=referral, actor=manager, decided_on=received + datetime.timedelta(days=30)
        )
        if preferred:
            participant.preferred_name = preferred
        participant.phone = f"07700 900{seq % 1000:03d}"
        participant.gp_practice = (
            "Princes Park Health Centre" if key == "mersey" else "Byker GP Practice"
        )
        participant.save()
        started = received + datetime.timedelta(days=31)
        for role, person in (
            (Role.OFFENDER_MANAGER, oms[number % 2]),
            (Role.HEALTH_KEYWORKER, keyworkers[number % 2]),
            (Role.PSYCHOLOGIST, psychologist),
        ):
            services.allocate(
                participant=participant, role=role, staff=person, actor=manager, started_on=started
            )
        Contact.objects.create(
            participant=participant,
            name=f"{['Maureen', 'Donna', 'Julie', 'Karen'][number % 4]} {family}",
            relationship=["Mother", "Sister", "Partner", "Aunt"][number % 4],
            phone=f"0151 496 0{seq % 1000:03d}",
            is_next_of_kin=True,
        )
        Goal.objects.create(
            participant=participant,
            in_his_words=[
                "Get my own flat and keep it",
                "See my daughter again, properly, not through a screen",
                "Stay off the gear and get a job on the docks",
                "Learn to cook proper meals",
            ][number % 4],
            progress=Goal.Progress.UNDER_WAY,
            set_on=started,
        )
        for pathway, level in needs.items():
            services.set_pathway_need(
                participant=participant,
                actor=keyworkers[number % 2],
                pathway=pathway,
                level=level,
                notes="",
            )
        for pathway in Pathway:
            if pathway.value not in needs:
                services.set_pathway_need(
                    participant=participant,
                    actor=keyworkers[number % 2],
                    pathway=pathway.value,
                    level="none",
                    notes="",
                )
        _walk_journey(participant, journey, started, oms[number % 2], manager, today)


# Days from the start of in-reach to release; a recalled man was recalled last week.
RELEASED_AFTER = 120
RECALLED_DAYS_AGO = 7


def _walk_journey(participant, journey, started, om, manager, today):
    if journey == "custody":
        ReleasePlan.objects.create(
            participant=participant,
            planned_release_date=participant.expected_release_date,
            collected_by=f"{om.full_name} and keyworker, 08:00 at the gate",
            collection_done=True,
            first_night="Approved premises, Canning Street",
            first_night_done=True,
            benefits="Universal Credit claim started in custody",
            gp="Register with local practice",
            first_appointments="Probation 11:00 on release day; the centre 14:00",
        )
        return
    release_day = started + datetime.timedelta(days=RELEASED_AFTER)
    ReleasePlan.objects.create(
        participant=participant,
        planned_release_date=release_day,
        collected_by=f"{om.full_name}, 08:00 at the gate",
        collection_done=True,
        first_night="Approved premises",
        first_night_done=True,
        benefits="Universal Credit appointment booked",
        benefits_done=True,
        gp="Temporary registration",
        gp_done=journey != "community",
        first_appointments="Probation and the centre on release day",
        first_appointments_done=True,
    )
    services.change_stage(
        participant=participant,
        actor=om,
        kind=Kind.RELEASED,
        effective_on=release_day,
        reason="Collected at the gate as planned",
    )
    licence = Licence.objects.create(
        participant=participant,
        starts_on=release_day,
        ends_on=release_day + datetime.timedelta(days=730),
        sentence_expiry_on=release_day + datetime.timedelta(days=1095),
    )
    for category, text in (
        ("residence", "Reside at the approved premises and keep to its rules"),
        ("participation", "Attend the intensive intervention service as directed"),
        ("non_contact", "No contact with the victim or her family, directly or indirectly"),
        ("curfew", "Curfew 21:00 to 07:00 at the approved address"),
    ):
        LicenceCondition.objects.create(
            licence=licence, category=category, text=text, starts_on=release_day
        )
    if journey == "community":
        return
    if journey in ("recalled", "re_released"):
        recall_day = (
            today - datetime.timedelta(days=RECALLED_DAYS_AGO)
            if journey == "recalled"
            else release_day + datetime.timedelta(days=150)
        )
        services.change_stage(
            participant=participant,
            actor=om,
            kind=Kind.RECALLED,
            effective_on=recall_day,
            recall_type=Change.RecallType.FIXED_TERM,
            reason="Missed curfew three times, stopped attending; whereabouts unknown 2 days",
        )
        if journey == "recalled":
            return
        services.change_stage(
            participant=participant,
            actor=om,
            kind=Kind.RE_RELEASED,
            effective_on=recall_day + datetime.timedelta(days=28),
            reason="End of fixed-term recall",
        )
        return
    move_on_day = release_day + datetime.timedelta(days=270)
    services.change_stage(
        participant=participant,
        actor=om,
        kind=Kind.MOVED_ON,
        effective_on=move_on_day,
        reason="Settled tenancy, attending well: reduced to one day a week",
    )
    if journey == "ended":
        services.change_stage(
            participant=participant,
            actor=manager,
            kind=Kind.ENDED,
            effective_on=min(move_on_day + datetime.timedelta(days=60), today),
            ending=Change.Ending.COMPLETED,
            reason="Completed the programme",
        )


def seed_referrals_only(demo_services: dict[str, Service]) -> None:
    today = timezone.localdate()
    for index, (key, service) in enumerate(demo_services.items()):
        if Referral.objects.filter(service=service, status=Referral.Status.RECEIVED).exists():
            continue
        manager = _staff(key, "manager")
        om = _staff(key, "om")
        for number, (given, family, born, status) in enumerate(REFERRAL_ONLY):
            seq = 50 + index * 100 + number
            received = today - datetime.timedelta(days=20 + number * 9)
            referral = services.create_referral(
                service=service,
                actor=om,
                received_on=received,
                source=Referral.Source.OPD_SCREENING,
                given_name=given,
                family_name=family,
                date_of_birth=datetime.date(*born),
                prison_number=f"B{2000 + seq:04d}{'FG' if key == 'mersey' else 'HJ'}",
                current_prison=PRISONS[key][0],
                expected_release_date=today + datetime.timedelta(days=200),
                sentence_type=Referral.SentenceType.DETERMINATE,
                sentence_length_months=96,
                index_offence=Referral.OffenceCategory.VIOLENCE,
                screened_into_opd=status != Referral.Status.DECLINED,
            )
            if status == Referral.Status.RECEIVED:
                continue
            services.start_assessment(referral=referral, actor=manager)
            if status == Referral.Status.DECLINED:
                services.decline_referral(
                    referral=referral,
                    actor=manager,
                    decided_on=received + datetime.timedelta(days=7),
                    category=Referral.DeclineCategory.NOT_SCREENED_IN,
                    reason="Not screened into the OPD pathway; referred back to probation",
                )
            elif status == Referral.Status.WITHDRAWN:
                services.withdraw_referral(
                    referral=referral,
                    actor=manager,
                    decided_on=received + datetime.timedelta(days=5),
                    reason="He chose not to take part after the first in-reach visit",
                )


# Men whose involvement ended long ago, and a referral declined long ago: what a service
# manager finds on "Records due for review". Dated from the retention period in force.
# given, family, born, ending, licence still running (a hold), days past the period
ENDED_LONG_AGO = (
    ("Brian", "Catterall", (1968, 2, 9), Change.Ending.COMPLETED, False, 200),
    ("Terry", "Molyneux", (1971, 10, 27), Change.Ending.LICENCE_EXPIRED, True, 40),
)
DECLINED_LONG_AGO = ("Declan", "Rooney", (1974, 4, 4))


def seed_records_due_for_review(demo_services: dict[str, Service]) -> None:
    from .retention import review_cutoff
    from .timeline import at_start_of_day

    cutoff = review_cutoff(timezone.localdate())
    for index, (key, service) in enumerate(demo_services.items()):
        if Referral.objects.filter(service=service, received_on__lt=cutoff).exists():
            continue
        manager = _staff(key, "manager")
        suffix = "BC" if key == "mersey" else "DE"
        for number, (given, family, born, ending, licence_runs, extra_days) in enumerate(
            ENDED_LONG_AGO
        ):
            seq = 500 + index * 100 + number
            ended_on = cutoff - datetime.timedelta(days=extra_days)
            started = ended_on - datetime.timedelta(days=900)
            referral = services.create_referral(
                service=service,
                actor=manager,
                received_on=started - datetime.timedelta(days=30),
                source=Referral.Source.OFFENDER_MANAGER,
                given_name=given,
                family_name=family if key == "mersey" else f"{family}-{given[0]}",
                date_of_birth=datetime.date(*born),
                prison_number=f"C{3000 + seq:04d}{suffix}",
                crn=f"{'X' if key == 'mersey' else 'N'}{200000 + seq:06d}",
                nhs_number=nhs_number(seq),
                current_prison=PRISONS[key][0],
                sentence_type=Referral.SentenceType.DETERMINATE,
                sentence_length_months=84,
                index_offence=Referral.OffenceCategory.VIOLENCE,
                screened_into_opd=True,
            )
            participant = services.accept_referral(
                referral=referral, actor=manager, decided_on=started
            )
            release_day = started + datetime.timedelta(days=150)
            services.change_stage(
                participant=participant,
                actor=manager,
                kind=Kind.RELEASED,
                effective_on=release_day,
                reason="Collected at the gate",
            )
            Licence.objects.create(
                participant=participant,
                starts_on=release_day,
                ends_on=ended_on,
                # A long sentence outlasts the licence: the record must be kept until it ends.
                sentence_expiry_on=timezone.localdate() + datetime.timedelta(days=400)
                if licence_runs
                else ended_on,
            )
            Contact.objects.create(
                participant=participant,
                name=f"Pauline {family}",
                relationship="Sister",
                is_next_of_kin=True,
            )
            services.change_stage(
                participant=participant,
                actor=manager,
                kind=Kind.ENDED,
                effective_on=ended_on,
                ending=ending,
                reason="Licence ended; case closed",
            )
            # Everything above happened years ago, not today.
            participant.timeline_events.filter(occurred_at__gt=at_start_of_day(ended_on)).update(
                occurred_at=at_start_of_day(ended_on)
            )
        given, family, born = DECLINED_LONG_AGO
        decided_on = cutoff - datetime.timedelta(days=120)
        referral = services.create_referral(
            service=service,
            actor=manager,
            received_on=decided_on - datetime.timedelta(days=14),
            source=Referral.Source.PRISON,
            given_name=given,
            family_name=family if key == "mersey" else f"{family}-{given[0]}",
            date_of_birth=datetime.date(*born),
            prison_number=f"C{3090 + index:04d}{suffix}",
            current_prison=PRISONS[key][1],
            sentence_type=Referral.SentenceType.DETERMINATE,
            sentence_length_months=60,
            index_offence=Referral.OffenceCategory.ROBBERY,
            screened_into_opd=False,
        )
        services.start_assessment(referral=referral, actor=manager)
        services.decline_referral(
            referral=referral,
            actor=manager,
            decided_on=decided_on,
            category=Referral.DeclineCategory.NOT_SCREENED_IN,
            reason="Not screened into the OPD pathway",
        )
