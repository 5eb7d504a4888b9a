"""The access log, exclusions and break-glass grants."""

import datetime

from benchmarks.helpers import poisson, uid
from benchmarks.people import Man, StaffMember
from benchmarks.vocab import (
    ACTIVE,
    DAY,
    EXCLUSION_REASONS,
    PAGE_CUMULATIVE,
    PAGE_NAMES,
    TEAM_ROLES,
    TEMPORARY_REASONS,
    VIEWER_CUMULATIVE,
    VIEWER_ROLES,
)
from benchmarks.writers.riskplans import RiskPlansWriter
from participants.models import (
    Exclusion,
    Stage,
    TemporaryAccess,
)
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog


class AccessWriter(RiskPlansWriter):
    """Who opened his record (the access log), exclusions and break-glass grants."""

    def _record_views(self, monday) -> None:
        """A week of staff opening his record (the access log), from this Monday."""
        ds, rng, now = self.ds, self.rng, self.now
        community, move_on, in_reach = self.on(monday)
        manager = self._manager(monday)
        add = ds.add[AccessLog]
        random = rng.random
        for people, mean in ((community, 2.2), (move_on, 1.2), (in_reach, 1.0)):
            for man in people:
                views = poisson(rng, mean)
                if not views:
                    continue
                team = {role: man.team_on(role, monday) for role in TEAM_ROLES}
                team[Role.SERVICE_MANAGER] = manager
                for _ in range(views):
                    role = rng.choices(VIEWER_ROLES, cum_weights=VIEWER_CUMULATIVE)[0]
                    viewer = team[role]
                    if viewer is None:
                        continue
                    at = ds.at(
                        monday + datetime.timedelta(days=int(random() * 5)),
                        8 + int(random() * 10),
                        int(random() * 60),
                        int(random() * 60),
                    )
                    if at > now:
                        continue
                    page = rng.choices(PAGE_NAMES, cum_weights=PAGE_CUMULATIVE)[0]
                    add(
                        (
                            uid(rng),
                            at,
                            viewer.id,
                            role,
                            man.participant_id,
                            ds.link[page](man.participant_id),
                            page,
                            viewer.ip_address,
                            True,
                        )
                    )

    # --- Exclusions and break-glass -------------------------------------------------------

    def _exclusions_and_temporary_access(self) -> None:
        current = [m for m in self.men if m.participant_id and m.stage != Stage.ENDED]
        self._exclusions(current)
        self._break_glass_grants()
        if self.is_focus:
            self._focus_psychologist_grant(current)

    def _exclusions(self, current: list[Man]) -> None:
        """Three exclusions (the third lifted); in the focus service the first keeps the
        focus keyworker out of a man she does not work with."""
        rng, now = self.rng, self.now
        case_staff = [p for role in TEAM_ROLES for p in self.holders(role, self.today)]
        manager = self._manager(self.today)
        excluded = set()  # one current exclusion per man and member of staff
        for number in range(3 if current else 0):
            man, staff = self._exclusion_candidates(number, current, case_staff)
            if not staff:
                continue
            created = now - datetime.timedelta(days=rng.randrange(30, 900))
            chosen = rng.choice(staff).id
            if (man.participant_id, chosen) in excluded:
                continue
            excluded.add((man.participant_id, chosen))
            self._exclusion(man, chosen, created, manager, lifted=number == 2)

    def _exclusion_candidates(self, number, current, case_staff) -> tuple[Man, list]:
        man = self.rng.choice(current)
        team = {man.current(role) for role in TEAM_ROLES}
        staff = [p for p in case_staff if p not in team]
        if self.is_focus and number == 0:
            focus_keyworker = self.ds.focus_staff["keyworker"]
            candidates = [
                m for m in current if focus_keyworker not in {m.current(r) for r in TEAM_ROLES}
            ]
            if candidates:
                return candidates[0], [focus_keyworker]
        return man, staff

    def _exclusion(self, man: Man, staff_id, created, manager, *, lifted: bool) -> None:
        ds, rng = self.ds, self.rng
        row = {
            "id": ds.ids[Exclusion](),
            "participant_id": man.participant_id,
            "staff_id": staff_id,
            "reason": rng.choice(EXCLUSION_REASONS),
            "created_by_id": manager.id,
            "created_at": created,
            "lifted_at": None,
            "lifted_by_id": None,
        }
        ds.history(Exclusion, row, "+", created, manager.id)
        if lifted:
            row.update(
                lifted_at=created + datetime.timedelta(days=rng.randrange(5, 30)),
                lifted_by_id=manager.id,
            )
            ds.history(Exclusion, row, "~", row["lifted_at"], manager.id)
        ds.put(Exclusion, row)

    def _break_glass_grants(self) -> None:
        """Every few weeks someone outside a man's team takes temporary access."""
        ds, rng = self.ds, self.rng
        day = self.start + 200 * DAY
        while day <= self.today:
            community, move_on, in_reach = self.on(day)
            people = community + move_on + in_reach
            if people and day.weekday() < 5:
                man = rng.choice(people)
                team = {man.team_on(role, day) for role in TEAM_ROLES}
                staff = [p for role in TEAM_ROLES for p in self.holders(role, day) if p not in team]
                if staff:
                    self._grant(
                        man, rng.choice(staff), ds.at(day, rng.randrange(9, 17), rng.randrange(60))
                    )
            day += datetime.timedelta(days=rng.randrange(40, 120))

    def _focus_psychologist_grant(self, current: list[Man]) -> None:
        """The focus psychologist holds break-glass access to a man not in her caseload."""
        psychologist = self.ds.focus_staff["psychologist"]
        others = [
            m
            for m in current
            if m.stage in ACTIVE and psychologist not in {m.current(r) for r in TEAM_ROLES}
        ]
        if others:
            self._grant(others[0], psychologist, self.now - datetime.timedelta(hours=3), hours=24)

    def _grant(self, man: Man, staff: StaffMember, granted, hours: int | None = None) -> None:
        ds, rng = self.ds, self.rng
        hours = hours or rng.choice((4, 8, 24, 24, 24, 48, 72))
        row = {
            "id": uid(rng),
            "participant_id": man.participant_id,
            "staff_id": staff.id,
            "reason": rng.choice(TEMPORARY_REASONS),
            "granted_at": granted,
            "expires_at": granted + datetime.timedelta(hours=hours),
            "ended_at": None,
            "ended_by_id": None,
        }
        ds.history(TemporaryAccess, row, "+", granted, staff.id)
        self._event(
            man,
            granted,
            "access",
            f"Temporary access for {staff.full_name} ({hours} hours)",
            staff.id,
            detail=row["reason"],
        )
        ended = granted + datetime.timedelta(hours=rng.randrange(1, hours))
        if rng.random() < 0.15 and ended < self.now:
            manager = self._manager(ended.date())
            row.update(ended_at=ended, ended_by_id=manager.id)
            ds.history(TemporaryAccess, row, "~", ended, manager.id)
        ds.put(TemporaryAccess, row)
