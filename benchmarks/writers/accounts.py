"""The service, its staff and their memberships (the accounts rows)."""

import datetime

from benchmarks import names
from benchmarks.constants import (
    FOCUS_EMAILS,
)
from benchmarks.helpers import uid, years_before
from benchmarks.people import BuilderState, StaffMember
from benchmarks.vocab import (
    DAY,
    EMAIL_LOCAL,
    FOCUS_KEYS,
    POSTS,
)
from resettle.accounts.models import Membership, Service, User
from resettle.accounts.roles import FIXED_AGENCY, Agency, Role, group_name
from sessions.models import (
    CompliancePolicy,
)


class AccountsWriter(BuilderState):
    """Service and staff."""

    def _service_and_staff(self) -> None:
        ds, rng = self.ds, self.rng
        self.service_id = ds.ids[Service]()
        self.custody_places = rng.randint(17, 21)
        service = {
            "id": self.service_id,
            "name": self.name,
            "region": names.REGIONS.get(self.area, "England and Wales"),
            "delivery_model": "centre" if rng.random() < 0.7 else "outreach",
            "funded_community_places": rng.randint(20, 28),
            "funded_custody_places": self.custody_places,
            "out_of_hours_route": f"On-call probation manager, 0151 496 0{rng.randrange(1000):03d}",
        }
        ds.put(Service, service)
        ds.history(Service, service, "+", ds.at(self.start - 60 * DAY, 10), ds.system_id)
        self.prisons = rng.sample(names.PRISONS, 4)
        for role, posts, capacity in POSTS:
            self.staff[role] = []
            for post in range(posts):
                previous = None
                for number, (joined, left) in enumerate(self._post_holders(post)):
                    person = self._staff_member(role, post, number, joined, left, capacity)
                    if previous is not None:
                        previous.successor = person
                    previous = person
                    self.staff[role].append(person)
                    if self.is_focus and post == 0 and left is None:
                        ds.focus_staff[FOCUS_KEYS[role]] = person
        if not self.is_focus:
            commissioner = ds.focus_staff["commissioner"]
            self._membership(commissioner.id, Role.COMMISSIONER, Agency.HEALTH, self.start)
        if not self.is_focus and rng.random() < 0.5:
            policy = {
                "id": ds.ids[CompliancePolicy](),
                "service_id": self.service_id,
                "warning_threshold": 1,
                "recall_review_threshold": rng.choice([2, 3]),
                "window_months": rng.choice([6, 12]),
            }
            ds.put(CompliancePolicy, policy)
            manager = self.holders(Role.SERVICE_MANAGER, self.start)[0]
            ds.history(CompliancePolicy, policy, "+", ds.at(self.start + 30 * DAY, 11), manager.id)

    def _post_holders(self, post: int) -> list[tuple]:
        rng, today = self.rng, self.today
        joined = self.start - datetime.timedelta(days=rng.randrange(30, 400))
        if self.is_focus and post == 0:
            # The named focus people have held their post for six years or more.
            handover = years_before(today, 6) - datetime.timedelta(days=rng.randrange(200))
            return [(joined, handover), (handover, None)]
        holders: list[tuple[datetime.date, datetime.date | None]] = []
        while True:
            left = joined + datetime.timedelta(days=rng.randrange(700, 3300))
            if left >= today - 30 * DAY:
                holders.append((joined, None))
                return holders
            holders.append((joined, left))
            joined = left

    def _staff_member(self, role, post, number, joined, left, capacity) -> StaffMember:
        ds, rng = self.ds, self.rng
        first = rng.choice(names.WOMEN if rng.random() < 0.6 else names.MEN)
        full_name = (
            f"{'Dr ' if role == Role.PSYCHOLOGIST else ''}{first} {rng.choice(names.FAMILY)}"
        )
        local = EMAIL_LOCAL[role]
        if self.is_focus and post == 0 and left is None:
            email = FOCUS_EMAILS[FOCUS_KEYS[role]]
        elif left is None:
            email = f"{local}{post + 1}@{self.domain}"
        else:
            email = f"{local}{post + 1}.left{number + 1}@{self.domain}"
        agency = FIXED_AGENCY.get(role) or (
            Agency.HEALTH if rng.random() < 0.55 else Agency.PROBATION
        )
        person = StaffMember(
            id=uid(rng),
            email=email,
            full_name=full_name,
            role=role,
            agency=agency,
            joined=joined,
            left=left,
            capacity=capacity,
            ip_address=f"10.{self.index % 250}.{rng.randrange(1, 255)}.{rng.randrange(1, 255)}",
        )
        user = {
            "id": person.id,
            "password": ds.password,
            "last_login": None,
            "is_superuser": False,
            "email": email,
            "full_name": full_name,
            "work_phone": "",
            "is_active": True,
            "is_staff": role == Role.ADMINISTRATOR,
            "date_joined": ds.at(joined, 9, 30),
        }
        ds.history(User, user, "+", user["date_joined"], ds.system_id)
        if left is not None:
            user["is_active"] = False
            ds.history(User, user, "~", ds.at(left, 17, 30), ds.system_id)
        ds.put(User, user)
        group = {"id": ds.ids[User.groups.through](), "user_id": person.id}
        group["group_id"] = ds.groups[group_name(role)]
        ds.put(User.groups.through, group)
        self._membership(person.id, role, agency, joined)
        return person

    def _membership(self, user_id: str, role: str, agency: str, joined) -> None:
        ds = self.ds
        membership = {
            "id": ds.ids[Membership](),
            "user_id": user_id,
            "service_id": self.service_id,
            "role": role,
            "agency": agency,
            "is_psychologist": False,
        }
        ds.put(Membership, membership)
        ds.history(Membership, membership, "+", ds.at(joined, 9, 35), ds.system_id)

    def holders(self, role: str, day: datetime.date) -> list[StaffMember]:
        found = [person for person in self.staff[role] if person.works_on(day)]
        return found or [self.staff[role][-1]]
