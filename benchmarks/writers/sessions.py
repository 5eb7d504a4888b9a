"""Sessions, attendance, notes, enforcement and recall decisions (sessions rows)."""

import datetime

from benchmarks import names
from benchmarks.helpers import uid
from benchmarks.people import Man, StaffMember
from benchmarks.vocab import (
    ABSENCE_LABELS,
    ABSENCE_REASONS,
    ATTENDED_OUTCOMES,
    DAY,
    OUTCOME_LABELS,
    PATHWAY_CODES,
    SESSION_TYPE_LABELS,
    _weighted,
)
from benchmarks.writers.access import AccessWriter
from resettle.accounts.roles import Agency, Role
from riskplans.services import add_months
from sessions.models import (
    Attendance,
    EnforcementDecision,
    NoteAddendum,
    RecallDecision,
    Session,
    SessionNote,
    SessionSeries,
)

SHARED_CONCERN = "His risk may be rising: please call his keyworker today"


class SessionsWriter(AccessWriter):
    """Sessions, attendance, notes, enforcement and recall decisions."""

    def _sessions(self) -> None:
        ds = self.ds
        self.series = {}
        day = self.start
        while day <= self.horizon:
            weekday = day.weekday()
            working = weekday < 5 and day not in ds.bank_holidays
            if day == self.today and not working:
                weekday, working = weekday % 4, True  # today is always a working day here
            if working:
                self._sessions_of_day(day, weekday)
            if day.weekday() == 0:
                self._record_views(day)
            day += DAY

    def _sessions_of_day(self, day, weekday) -> None:
        community, move_on, in_reach = self.on(day)
        keyworkers = self.holders(Role.HEALTH_KEYWORKER, day)
        week = (day - self.start).days // 7
        if weekday < 4:
            self._groups(day, weekday, week, community, keyworkers)
            self._community_keywork(day, weekday, week, community, keyworkers)
            self._move_on_check_ins(day, weekday, move_on, keyworkers)
            self._in_reach_visits(day, weekday, week, in_reach, keyworkers)
        else:
            self._friday(day, week, community, move_on, keyworkers)

    def _groups(self, day, weekday, week, community, keyworkers) -> None:
        for cohort, (title, start, end) in enumerate(
            (("Community group", (10, 0), (12, 0)), ("Skills group", (13, 30), (15, 0)))
        ):
            members = [m for m in community if m.cohort == cohort and m.key_day != weekday]
            if members:
                lead = keyworkers[(day.toordinal() + cohort) % len(keyworkers)]
                second = keyworkers[(day.toordinal() + cohort + 1) % len(keyworkers)]
                staff = [lead] if second is lead else [lead, second]
                series = self._series_for(title, week, lead)
                self._session(
                    day, "group", title, start, end, "centre", "", True, staff, members, series
                )

    def _community_keywork(self, day, weekday, week, community, keyworkers) -> None:
        slots = ((9, 0), (11, 0), (12, 15), (14, 0), (15, 15), (16, 0), (9, 45), (10, 30))
        for k, man in enumerate(m for m in community if m.key_day == weekday):
            keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
            start = slots[k % len(slots)]
            self._one_to_one(day, week, man, keyworker, start, (start[0] + 1, start[1]))

    def _one_to_one(self, day, week, man: Man, keyworker, start, end) -> None:
        """His weekly session: a three-way meeting, psychology, or key-work in some form."""
        if (week + man.seq) % 6 == 0:
            om = man.team_on(Role.OFFENDER_MANAGER, day) or keyworker
            self._session(
                day,
                "three_way",
                "Three-way meeting",
                start,
                end,
                "centre",
                "",
                True,
                [keyworker, om],
                [man],
            )
            return
        if (week + man.seq) % 4 == 1:
            psychologist = man.team_on(Role.PSYCHOLOGIST, day) or keyworker
            self._session(
                day,
                "keywork",
                "Psychology session",
                start,
                end,
                "centre",
                "",
                True,
                [psychologist],
                [man],
            )
            return
        kind = _weighted(self.rng, (("keywork", 70), ("outreach", 15), ("phone", 10), ("video", 5)))
        place = {
            "keywork": ("centre", ""),
            "outreach": ("community", man.details.get("current_accommodation", "")[:200]),
        }.get(kind, ("remote", ""))
        title = "Key-work" if kind == "keywork" else ""
        self._session(day, kind, title, start, end, place[0], place[1], True, [keyworker], [man])

    def _move_on_check_ins(self, day, weekday, move_on, keyworkers) -> None:
        for man in move_on:
            if man.key_day == weekday:
                keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                kind = "keywork" if self.rng.random() < 0.6 else "phone"
                place = "centre" if kind == "keywork" else "remote"
                self._session(
                    day,
                    kind,
                    "Move-on check-in",
                    (15, 30),
                    (16, 15),
                    place,
                    "",
                    True,
                    [keyworker],
                    [man],
                )

    def _in_reach_visits(self, day, weekday, week, in_reach, keyworkers) -> None:
        for man in in_reach:
            if man.visit_day == weekday and (week + man.seq) % 2 == 0:
                keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
                staff = [keyworker]
                if self.rng.random() < 0.25:
                    psychologist = man.team_on(Role.PSYCHOLOGIST, day)
                    if psychologist is not None and psychologist is not keyworker:
                        staff.append(psychologist)
                self._session(
                    day,
                    "in_reach",
                    "In-reach visit",
                    (10, 0),
                    (11, 30),
                    "prison",
                    man.referral["current_prison"],
                    False,
                    staff,
                    [man],
                )

    def _friday(self, day, week, community, move_on, keyworkers) -> None:
        rng = self.rng
        people = [m for m in community + move_on if rng.random() < 0.35]
        if people:
            title = rng.choice(("Football", "Allotment", "Cooking together", "Art group"))
            self._session(
                day,
                "activity",
                title,
                (13, 0),
                (15, 0),
                "community",
                "Local leisure centre",
                False,
                keyworkers[:2],
                people,
            )
        # A phone call to end the week for the men who find weekends hardest.
        for k, man in enumerate(m for m in community if (week + m.seq) % 3 == 0):
            keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or keyworkers[0]
            slot = (10 + k % 6, 15 * (k // 6 % 4))
            self._session(
                day,
                "phone",
                "Friday check-in",
                slot,
                (slot[0], slot[1] + 10),
                "remote",
                "",
                False,
                [keyworker],
                [man],
            )

    def _series_for(self, title: str, week: int, lead: StaffMember) -> str:
        block = week // 26
        key = (title, block)
        if key not in self.series:
            ds = self.ds
            first = self.start + datetime.timedelta(weeks=block * 26)
            series_id = uid(self.rng)
            ds.add[SessionSeries](
                (
                    series_id,
                    self.service_id,
                    title,
                    [0, 1, 2, 3],
                    lead.id,
                    ds.at(first - 7 * DAY, 14, 0),
                )
            )
            self.series[key] = (series_id, ds.at(first - 7 * DAY, 14, 0))
        return self.series[key]

    def _session(
        self,
        day,
        kind,
        title,
        start,
        end,
        place,
        place_detail,
        enforceable,
        staff,
        men,
        series=None,
    ) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        starts = ds.at(day, *start)
        ends = ds.at(day, *end)
        session_id = uid(rng)
        creator = staff[0]
        if series is not None:
            series_id, created = series
        else:
            series_id = None
            created = ds.at(day - datetime.timedelta(days=1 + int(rng.random() * 14)), 16, 5)
        if created > now:
            created = now - datetime.timedelta(hours=1)
        row: tuple = (
            session_id,
            self.service_id,
            series_id,
            kind,
            title,
            starts,
            ends,
            place,
            place_detail,
            enforceable,
            creator.id,
            created,
        )
        ds.add[Session](row)
        ds.add_history[Session](row, "+", created, creator.id)
        history_id = ds.add_history[Session](
            row, "~", created + datetime.timedelta(milliseconds=40), creator.id
        )
        through = ds.ids[Session.staff.through]
        for person in staff:
            link_id = through()
            ds.add[Session.staff.through]((link_id, session_id, person.id))
            ds.add_staff_history(
                (link_id, session_id, person.id, history_id, ds.next_staff_history_id())
            )
        if starts >= now:
            for man in men:
                planned = (ds.ids[Attendance](), session_id, man.participant_id, "", "", "")
                ds.add[Attendance]((*planned, None, None, starts))
            return
        display = title or SESSION_TYPE_LABELS[kind]
        link = ds.link["keywork:session_detail"](session_id)
        cancelled = rng.random() < 0.012
        recent = (self.today - day).days <= 30
        group = len(men) > 1
        # Whoever ran it records the outcome; at a three-way meeting either of the two.
        recorder = staff[0] if group or len(staff) == 1 else rng.choice(staff)
        forgotten = recent and rng.random() < 0.03  # "outcome missing" on their home page
        for man in men:
            attendance_id = ds.ids[Attendance]()
            recorded = ends + datetime.timedelta(minutes=5 + int(rng.random() * 175))
            if recorded > now or forgotten or ends > now:
                ds.add[Attendance](
                    (attendance_id, session_id, man.participant_id, "", "", "", None, None, starts)
                )
                continue
            outcome, reason, rescheduled = self._outcome(man, day, cancelled)
            row = (
                attendance_id,
                session_id,
                man.participant_id,
                outcome,
                reason,
                rescheduled,
                recorder.id,
                recorded,
                starts,
            )
            ds.add[Attendance](row)
            ds.add_history[Attendance](row, "~", recorded, recorder.id)
            label = OUTCOME_LABELS[outcome]
            self._event(
                man,
                starts,
                "session",
                f"{display}: {label}",
                recorder.id,
                detail=ABSENCE_LABELS.get(reason, ""),
                link=link,
                recorded=recorded,
            )
            if outcome == "unacceptable_absence" and enforceable:
                self._absence(man, day)
            if outcome in ATTENDED_OUTCOMES and rng.random() < (0.08 if group else 0.65):
                self._note(man, session_id, display, starts, recorder, recorded, link, kind)

    def _outcome(self, man: Man, day, cancelled: bool) -> tuple[str, str, str]:
        rng = self.rng
        if cancelled:
            return "cancelled_by_service", "", ""
        disengaged = bool(man.disengaged) and man.is_disengaged(day)
        absent = 0.45 if disengaged else 1 - man.reliability
        if rng.random() < absent:
            if rng.random() < (0.85 if disengaged else 0.15):
                return "unacceptable_absence", "", ""
            return "acceptable_absence", rng.choice(ABSENCE_REASONS), ""
        r = rng.random()
        if r < 0.07:
            return "late", "", ""
        if r < 0.082:
            return "failed_to_comply", "", ""
        if r < 0.088:
            return "sent_home_behaviour", "", ""
        if r < 0.092:
            return "sent_home_service", "", ""
        if r < 0.112:
            return "rescheduled", "", "participant" if rng.random() < 0.6 else "service"
        return "attended", "", ""

    def _note(self, man, session_id, display, starts, author, recorded, link, kind) -> None:
        ds, rng, now = self.ds, self.rng, self.now
        created = recorded + datetime.timedelta(minutes=1 + int(rng.random() * 39))
        if created > now:
            return
        if author.agency == Agency.HEALTH:
            visibility = (
                "health" if (display == "Psychology session" or rng.random() < 0.28) else "shared"
            )
        else:
            visibility = "probation" if rng.random() < 0.25 else "shared"
        concern = rng.choice(names.RISK_CONCERNS) if rng.random() < 0.02 else ""
        note = [
            uid(rng),
            session_id,
            man.participant_id,
            author.id,
            rng.choice(names.NOTE_SUMMARIES),
            rng.choice(names.NARRATIVES),
            rng.sample(PATHWAY_CODES, rng.randrange(0, 3)),
            concern,
            visibility,
            None,
            None,
            created,
            # What the offender manager needs to know, where he may not read the concern.
            SHARED_CONCERN if concern and visibility == "health" else "",
        ]
        ds.add_history[SessionNote](tuple(note), "+", created, author.id)
        self._event(
            man,
            starts,
            "note",
            f"Note: {display}",
            author.id,
            detail=note[4],
            visibility=visibility,
            link=link,
            recorded=created,
        )
        if concern:
            self._event(
                man,
                starts,
                "note",
                "Risk concern raised",
                author.id,
                detail=note[4],
                visibility=visibility,
                link=link,
                recorded=created,
            )
            seen = created + datetime.timedelta(hours=rng.randrange(2, 72))
            om = man.team_on(Role.OFFENDER_MANAGER, starts.date())
            if om is not None and seen < now:
                note[9], note[10] = seen, om.id
                ds.add_history[SessionNote](tuple(note), "~", seen, om.id)
                self._event(man, seen, "note", "Risk concern seen by his offender manager", om.id)
        ds.add[SessionNote](tuple(note))
        if rng.random() < 0.04:
            added = created + datetime.timedelta(
                days=rng.randrange(1, 20), minutes=rng.randrange(600)
            )
            if added < now:
                addendum = (
                    ds.ids[NoteAddendum](),
                    note[0],
                    author.id,
                    rng.choice(names.ADDENDA),
                    added,
                )
                ds.add[NoteAddendum](addendum)
                ds.add_history[NoteAddendum](addendum, "+", added, author.id)

    def _absence(self, man: Man, day) -> None:
        """The offender manager's enforcement decision after an unacceptable absence."""
        rng = self.rng
        man.unacceptable_days.append(day)
        if man.is_disengaged(day) or rng.random() >= 0.6:
            return
        decided_on = day + datetime.timedelta(days=rng.randrange(1, 7))
        if decided_on > self.today:
            return
        window_start = add_months(decided_on, -12) + DAY
        counted = sum(1 for d in man.unacceptable_days if window_start <= d <= decided_on)
        if counted <= 1:
            decision = "first_warning" if rng.random() < 0.85 else "nfa"
        elif counted == 2:
            decision = "second_warning" if rng.random() < 0.8 else "nfa"
        else:
            decision = "compliance_letter" if rng.random() < 0.7 else "recall_considered"
        om = self._om(man, decided_on)
        reason = (
            "He gave an acceptable explanation afterwards"
            if decision == "nfa"
            else "Missed a required session without a reason"
        )
        enforcement = self._enforcement(man, decision, reason, decided_on, om, counted)
        if decision == "recall_considered":
            self._recall_decision(
                man,
                enforcement,
                decided_on,
                om,
                "contact",
                "no_recall",
                "Engaging again after a warning; risk manageable in the community",
            )

    def _enforcement(self, man, decision, reason, decided_on, om, counted) -> str:
        ds, rng = self.ds, self.rng
        created = ds.at(decided_on, 10, rng.randrange(60))
        row = (uid(rng), man.participant_id, decision, reason, decided_on, om.id, counted, created)
        ds.add[EnforcementDecision](row)
        ds.add_history[EnforcementDecision](row, "+", created, om.id)
        label = EnforcementDecision.Decision(decision).label.lower()
        self._event(
            man,
            created,
            "enforcement",
            f"Enforcement: {label}",
            om.id,
            detail=reason,
            link=ds.link["keywork:participant_sessions"](man.participant_id),
        )
        return row[0]

    def _recall_decision(self, man, enforcement_id, day, om, why, outcome, rationale) -> None:
        ds, rng = self.ds, self.rng
        alternatives = rng.sample(RecallDecision.Alternative.values, rng.randrange(1, 4))
        row = (
            ds.ids[RecallDecision](),
            enforcement_id,
            why,
            alternatives,
            rationale,
            outcome,
            day,
            om.id,
        )
        ds.add[RecallDecision](row)
        when = ds.at(day, 10, 45)
        ds.add_history[RecallDecision](row, "+", when, om.id)
        if outcome == "no_recall":
            self._event(
                man, when, "enforcement", "Recall considered: no recall", om.id, detail=rationale
            )

    def _recall_decisions(self, man: Man) -> None:
        """Each recall of the journey follows "recall considered" and its recall decision."""
        for day, recall_type, why, rationale, om in man.recall_plans:
            window_start = add_months(day, -12) + DAY
            counted = sum(1 for d in man.unacceptable_days if window_start <= d <= day)
            enforcement = self._enforcement(
                man, "recall_considered", "Stopped attending; whereabouts unknown", day, om, counted
            )
            self._recall_decision(man, enforcement, day, om, why, recall_type, rationale)
