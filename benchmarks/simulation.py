"""Who does what when: referrals, decisions, places, releases, recalls, endings, day by day."""

import datetime
import heapq

from participants.models import (
    Allocation,
    Referral,
    Stage,
)
from resettle.accounts.roles import Role

from . import names
from .constants import (
    FOCUS_PARTICIPANT_PRISON_NUMBER,
)
from .helpers import poisson, uid
from .people import AllocationRecord, Man, Move, StaffMember
from .vocab import (
    DAY,
    DECLINE_REASONS,
    FOCUS_KEYS,
    TEAM_ROLES,
    Kind,
    _weighted,
    identifiers,
)
from .writers.accounts import AccountsWriter


class Simulation(AccountsWriter):
    """Simulating referrals and journeys."""

    def _simulate(self) -> None:
        rng, today = self.rng, self.today
        self.queue = []
        self.order = 0
        self.waiting = []
        self.in_custody = 0
        referrals_per_day = rng.uniform(25, 31) / 365
        focus_day = today - datetime.timedelta(days=1720) if self.is_focus else None
        leavers: dict[datetime.date, list[StaffMember]] = {}
        for people in self.staff.values():
            for person in people:
                if person.left is not None and person.successor is not None:
                    leavers.setdefault(person.left, []).append(person)
        day = self.start
        while day <= today:
            if day == focus_day:
                self._refer(day, focus=True)
            for _ in range(poisson(rng, referrals_per_day)):
                self._refer(day)
            while self.queue and self.queue[0][0] <= day:
                _when, _order, man, token, action, payload = heapq.heappop(self.queue)
                if token == man.token:
                    action(man, day, *payload)
            for person in leavers.get(day, []):
                self._hand_on_caseload(person, day)
            while self.in_custody < self.custody_places:
                # In-reach starts within a year of release; men released later wait.
                due = [
                    m
                    for m in self.waiting
                    if (m.referral["expected_release_date"] - day).days <= 365
                ]
                if not due:
                    break
                self.waiting.remove(due[0])
                self._offer_place(due[0], day)
            day += DAY

    def _schedule(self, man: Man, day: datetime.date, action, *payload) -> None:
        self.order += 1
        heapq.heappush(self.queue, (day, self.order, man, man.token, action, payload))

    def _refer(self, day: datetime.date, focus: bool = False) -> None:
        rng, ds = self.rng, self.ds
        seq = 0 if focus else len(self.men) + (1 if self.is_focus else 0)
        born = day - datetime.timedelta(days=rng.randrange(21 * 365, 58 * 365))
        sentence = (
            "ipp" if focus else _weighted(rng, (("determinate", 72), ("life", 12), ("ipp", 16)))
        )
        referrer = rng.choice(
            self.holders(Role.OFFENDER_MANAGER, day) + self.holders(Role.SERVICE_MANAGER, day)
        )
        referral = {
            "id": uid(rng),
            "service_id": self.service_id,
            "received_on": day,
            "source": _weighted(
                rng,
                (
                    ("prison", 35),
                    ("offender_manager", 35),
                    ("parole_board", 10),
                    ("opd_screening", 15),
                    ("other", 5),
                ),
            ),
            "given_name": "Jamal" if focus else rng.choice(names.MEN),
            "family_name": "Okoro" if focus else rng.choice(names.FAMILY),
            "date_of_birth": born,
            **identifiers(self.index * 2000 + seq, born, rng),
            "current_prison": rng.choice(self.prisons),
            "expected_release_date": day
            + datetime.timedelta(days=int(rng.triangular(120, 720, 300))),
            "sentence_type": sentence,
            "sentence_length_months": rng.randrange(36, 180) if sentence == "determinate" else None,
            "index_offence": rng.choice(Referral.OffenceCategory.values),
            "screened_into_opd": focus or rng.random() < 0.88,
            "status": "received",
            "decision_reason": "",
            "decline_category": "",
            "decided_on": None,
            "participant_id": None,
            "created_by_id": referrer.id,
            "created_at": ds.at(day, rng.randrange(9, 17), rng.randrange(60)),
        }
        if focus:
            referral["prison_number"] = FOCUS_PARTICIPANT_PRISON_NUMBER
        man = Man(seq=seq, referral=referral, is_focus=focus)
        man.reliability = 0.93 if focus else rng.uniform(0.84, 0.98)
        man.crisis_propensity = 1.6 if focus else min(rng.lognormvariate(-0.5, 1.0), 8.0)
        man.key_day, man.cohort, man.visit_day = seq % 4, (seq // 4) % 2, 1 + seq % 3
        man.history = [("+", referral["created_at"], referrer.id, {})]
        if focus:
            self.men.insert(0, man)
        else:
            self.men.append(man)
        assess = day + datetime.timedelta(days=4 if focus else rng.randrange(2, 12))
        if assess <= self.today:
            self._schedule(man, assess, self._assess)

    def _manager(self, day) -> StaffMember:
        return self.holders(Role.SERVICE_MANAGER, day)[0]

    def _assess(self, man: Man, day) -> None:
        manager = self._manager(day)
        when = self.ds.at(day, 10, self.rng.randrange(60))
        man.referral["status"] = "assessing"
        man.history.append(("~", when, manager.id, {"status": "assessing"}))
        decide = day + datetime.timedelta(days=12 if man.is_focus else self.rng.randrange(7, 50))
        if decide <= self.today:
            self._schedule(man, decide, self._decide)

    def _decide(self, man: Man, day) -> None:
        rng, referral = self.rng, man.referral
        r = rng.random()
        category = ""
        if man.is_focus:
            pass
        elif not referral["screened_into_opd"]:
            category = "not_screened_in"
        elif len(self.waiting) >= 14 and r < 0.6:
            category = "other"
        elif r < 0.07:
            category = "risk"
        elif r < 0.11:
            category = "criteria"
        elif r < 0.13:
            category = "area"
        elif r < 0.15:
            category = "no_consent"
        manager = self._manager(day)
        when = self.ds.at(day, 14, rng.randrange(60))
        if category or (not man.is_focus and r < 0.21):
            status = "declined" if category else "withdrawn"
            reason = DECLINE_REASONS[category] if category else "He chose not to take part"
            changes = {
                "status": status,
                "decision_reason": reason,
                "decline_category": category,
                "decided_on": day,
            }
            referral.update(changes)
            man.history.append(("~", when, manager.id, changes))
            return
        self._accept(man, day, manager, when)

    def _accept(self, man: Man, day, manager: StaffMember, when) -> None:
        rng, referral = self.rng, man.referral
        place_free = self.in_custody < self.custody_places
        far = (referral["expected_release_date"] - day).days > 450
        offer = man.is_focus or (place_free and not (far and rng.random() < 0.7))
        stage = Stage.IN_REACH if offer else Stage.WAITING
        man.participant_id = uid(rng)
        changes = {
            "status": "accepted" if offer else "waiting_list",
            "decided_on": day,
            "participant_id": man.participant_id,
        }
        referral.update(changes)
        man.history.append(("~", when, manager.id, changes))
        suffix = (
            "" if offer else (": no custody place free" if not place_free else ": waiting list")
        )
        man.accepted_at = when
        self._move(man, Kind.ACCEPTED, stage, day, manager, reason="Referral accepted" + suffix)
        started = min(day + datetime.timedelta(days=rng.randrange(0, 3)), self.today)
        for role in TEAM_ROLES:
            if man.is_focus and role != Role.PSYCHOLOGIST:
                staff = self.ds.focus_staff[FOCUS_KEYS[role]]
            else:
                staff = min(
                    self.holders(role, started), key=lambda person: person.load / person.capacity
                )
            self._allocate(man, role, staff, started, manager)
        if offer:
            self._enter_in_reach(man, day)
        else:
            self.waiting.append(man)
            give_up = max(referral["expected_release_date"] + 30 * DAY, day + 200 * DAY)
            self._schedule(man, give_up, self._give_up_waiting)

    def _allocate(self, man, role, staff, day, manager, replacing=None) -> None:
        record = AllocationRecord(
            id=self.ds.ids[Allocation](),
            role=role,
            staff=staff,
            started_on=day,
            allocated_by=manager,
            replacing=replacing,
        )
        man.allocations.append(record)
        staff.load += 1

    def _hand_on_caseload(self, leaver: StaffMember, day) -> None:
        manager = self._manager(day)
        for man in self.men:
            if not man.participant_id or man.stage == Stage.ENDED:
                continue
            for allocation in man.allocations:
                if allocation.staff is leaver and allocation.ended_on is None:
                    allocation.ended_on = day
                    leaver.load -= 1
                    self._allocate(man, allocation.role, leaver.successor, day, manager, leaver)
                    break

    def _move(self, man: Man, kind, to_stage, day, actor, **extra) -> None:
        if man.stage == Stage.IN_REACH:
            self.in_custody -= 1
        if to_stage == Stage.IN_REACH:
            self.in_custody += 1
        man.moves.append(Move(kind, man.stage, to_stage, day, actor, **extra))
        man.stage = to_stage
        man.token += 1

    def _om(self, man, day) -> StaffMember:
        return man.team_on(Role.OFFENDER_MANAGER, day) or self._manager(day)

    def _offer_place(self, man: Man, day) -> None:
        self._move(
            man,
            Kind.OFFERED_PLACE,
            Stage.IN_REACH,
            day,
            self._manager(day),
            reason="An in-reach place is free",
        )
        self._enter_in_reach(man, day)

    def _give_up_waiting(self, man: Man, day) -> None:
        if man.stage == Stage.WAITING:
            self.waiting.remove(man)
            self._end(man, day, "withdrawn", "Released before an in-reach place was free")

    def _enter_in_reach(self, man: Man, day) -> None:
        rng = self.rng
        if man.is_focus:
            self._schedule(man, day + 210 * DAY, self._release)
            return
        expected = man.referral["expected_release_date"] + datetime.timedelta(
            days=rng.randrange(-30, 31)
        )
        release = max(day + 45 * DAY, expected)
        if rng.random() < 0.08:
            gone = day + datetime.timedelta(days=rng.randrange(20, max(21, (release - day).days)))
            self._schedule(
                man,
                gone,
                self._end,
                rng.choice(["withdrawn", "transferred"]),
                "He chose not to continue in custody",
            )
        self._schedule(man, release, self._release)

    def _release(self, man: Man, day) -> None:
        rng = self.rng
        self._move(
            man,
            Kind.RELEASED,
            Stage.COMMUNITY,
            day,
            self._om(man, day),
            reason="Collected at the gate as planned",
        )
        sentence = man.referral["sentence_type"]
        licence_days = 3650 if sentence != "determinate" else rng.randrange(365, 1460)
        man.licence_ends = day + datetime.timedelta(days=licence_days)
        if man.is_focus:
            self._schedule(man, self.today - 700 * DAY, self._recall, "fixed_term")
            return
        stay = int(rng.triangular(300, 780, 480))
        man.community_until = day + datetime.timedelta(days=stay)
        self._plan_community(man, day, recall_chance=0.27)

    def _plan_community(self, man: Man, day, recall_chance: float) -> None:
        rng = self.rng
        until, licence_ends = man.community_until, man.licence_ends
        assert until is not None and licence_ends is not None  # both set at release
        if licence_ends <= until:
            self._schedule(man, licence_ends, self._end, "licence_expired", "Licence expired")
        else:
            self._schedule(man, until, self._move_on)
        if rng.random() < recall_chance:
            span = max((until - day).days - 10, 31)
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(30, span)), self._recall, ""
            )
        elif rng.random() < 0.06:
            span = max((until - day).days, 31)
            self._schedule(
                man,
                day + datetime.timedelta(days=rng.randrange(20, span)),
                self._end,
                rng.choice(["withdrawn", "transferred"]),
                "Stopped engaging; his case was closed",
            )

    def _recall(self, man: Man, day, recall_type: str) -> None:
        rng = self.rng
        recall_type = recall_type or ("fixed_term" if rng.random() < 0.6 else "standard")
        why = _weighted(rng, (("risk", 35), ("contact", 40), ("both", 25)))
        rationale = rng.choice(
            (
                "Missed curfew three times and stopped attending; whereabouts unknown for 2 days",
                "Contact with the victim against his non-contact condition; risk has increased",
                "Stopped attending and was arrested for a new offence",
                "Drinking heavily, threatening his partner; risk cannot be managed in the community",
            )
        )
        om = self._om(man, day)
        self._move(
            man, Kind.RECALLED, Stage.IN_REACH, day, om, reason=rationale, recall_type=recall_type
        )
        man.recall_plans.append((day, recall_type, why, rationale, om))
        man.disengaged.append((day - 24 * DAY, day - DAY))
        man.significant.append((self.ds.at(day, 11, 30), "recall", om))
        if recall_type == "fixed_term":
            back = day + datetime.timedelta(days=28 if man.is_focus or rng.random() < 0.7 else 14)
            self._schedule(man, back, self._re_release, day)
        elif rng.random() < 0.7:
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(90, 330)), self._re_release, day
            )
        else:
            self._schedule(
                man,
                day + datetime.timedelta(days=rng.randrange(30, 200)),
                self._end,
                "transferred",
                "Remains in custody; transferred to prison-based OPD services",
            )

    def _re_release(self, man: Man, day, recalled_on) -> None:
        om = self._om(man, day)
        self._move(man, Kind.RE_RELEASED, Stage.COMMUNITY, day, om, reason="End of the recall")
        if man.is_focus:
            return
        remaining = (
            max(90, (man.community_until - recalled_on).days) if man.community_until else 300
        )
        man.community_until = day + datetime.timedelta(days=remaining)
        self._plan_community(man, day, recall_chance=0.12)

    def _move_on(self, man: Man, day) -> None:
        rng = self.rng
        self._move(
            man,
            Kind.MOVED_ON,
            Stage.MOVE_ON,
            day,
            self._om(man, day),
            reason="Settled and attending well: contact reduced",
        )
        stay = day + datetime.timedelta(days=int(rng.triangular(90, 300, 180)))
        licence_ends = man.licence_ends
        assert licence_ends is not None  # set at release
        if licence_ends < stay:
            self._schedule(man, licence_ends, self._end, "licence_expired", "Licence expired")
        else:
            ending = "completed" if rng.random() < 0.85 else "licence_expired"
            self._schedule(
                man,
                stay,
                self._end,
                ending,
                "Completed the programme" if ending == "completed" else "Licence expired",
            )
        if rng.random() < 0.05:
            self._schedule(
                man, day + datetime.timedelta(days=rng.randrange(20, 80)), self._recall, ""
            )

    def _end(self, man: Man, day, ending: str, reason: str) -> None:
        actor = self._manager(day)
        self._move(man, Kind.ENDED, Stage.ENDED, day, actor, reason=reason, ending=ending)
        for role in TEAM_ROLES:
            staff = man.current(role)
            if staff is not None:
                staff.load -= 1

    # --- Who was where on each day ---------------------------------------------------------

    def _daily_stages(self) -> None:
        """For every day up to the booking horizon: the men in community, move-on, in-reach."""
        days = (self.horizon - self.start).days + 1
        self.community = [[] for _ in range(days)]
        self.move_on = [[] for _ in range(days)]
        self.in_reach = [[] for _ in range(days)]
        lists = {
            Stage.COMMUNITY: self.community,
            Stage.MOVE_ON: self.move_on,
            Stage.IN_REACH: self.in_reach,
        }
        for man in self.men:
            for i, move in enumerate(man.moves):
                target = lists.get(move.to_stage)
                if target is None:
                    continue
                end = man.moves[i + 1].day if i + 1 < len(man.moves) else self.horizon + DAY
                for offset in range((move.day - self.start).days, (end - self.start).days):
                    target[offset].append(man)

    def on(self, day: datetime.date) -> tuple[list, list, list]:
        offset = (day - self.start).days
        return self.community[offset], self.move_on[offset], self.in_reach[offset]
