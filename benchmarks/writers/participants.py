"""A man's referral, stages, team, licence, needs and outcomes (participants rows)."""

import datetime

from benchmarks import names
from benchmarks.helpers import uid
from benchmarks.people import Man, Move, StaffMember
from benchmarks.simulation import Simulation
from benchmarks.vocab import (
    ACCOMMODATION_AT_RELEASE,
    CONDITIONS,
    DAY,
    NEXT_HOME,
    OCCUPATIONS,
    ROLE_LABELS,
    Kind,
    _weighted,
)
from participants.models import (
    Allocation,
    Contact,
    Goal,
    Licence,
    LicenceCondition,
    OutcomeSnapshot,
    Participant,
    Pathway,
    PathwayNeed,
    Referral,
    ReleasePlan,
    Stage,
    StageChange,
    TimelineEvent,
)
from participants.timeline import at_start_of_day
from resettle.accounts.roles import Role


class ParticipantsWriter(Simulation):
    """A man's referral, stages, team, licence, needs and outcomes."""

    def _event(
        self,
        man,
        when,
        category,
        title,
        actor_id,
        *,
        detail="",
        visibility="shared",
        link="",
        recorded=None,
    ):
        self.ds.add[TimelineEvent](
            (
                uid(self.rng),
                man.participant_id,
                when,
                category,
                title,
                detail,
                visibility,
                actor_id,
                link,
                recorded or when,
            )
        )

    def _journey_records(self, man: Man) -> None:
        ds, rng = self.ds, self.rng
        referral = dict(man.referral)
        final = dict(referral)
        for key in (
            "status",
            "decision_reason",
            "decline_category",
            "decided_on",
            "participant_id",
        ):
            referral[key] = {"status": "received", "decided_on": None, "participant_id": None}.get(
                key, ""
            )
        for kind, when, actor_id, changes in man.history:
            referral.update(changes)
            ds.history(Referral, referral, kind, when, actor_id)
        ds.put(Referral, final)
        if not man.participant_id:
            return
        accepted = man.moves[0]
        first_in_custody = man.referral["current_prison"]
        details = {
            "id": man.participant_id,
            "service_id": self.service_id,
            "given_name": final["given_name"],
            "family_name": final["family_name"],
            "preferred_name": "",
            "date_of_birth": final["date_of_birth"],
            "prison_number": final["prison_number"] or None,
            "crn": final["crn"] or None,
            "pnc_number": final["pnc_number"] or None,
            "nhs_number": final["nhs_number"] or None,
            "phone": "",
            "gp_practice": "",
            "current_accommodation": "",
            # Where he was held and when he was due out, as his referral said.
            "prison": first_in_custody,
            "expected_release_date": man.referral["expected_release_date"],
            "stage": accepted.to_stage,
            "stage_since": accepted.day,
            "recall_type": "",  # kept with each move, as change_stage does
            "created_at": man.accepted_at,
            # Kept by the riskplans services and not in his history; set in _participant_row.
            "highest_rosh": "",
            "mappa_category": "",
            "mappa_level": "",
            "plan_review_due_on": None,
            "version": 1,
        }
        accepted_at = man.accepted_at
        assert accepted_at is not None  # set when he was accepted
        changes_over_time: list[tuple[datetime.datetime, str, dict, str]] = [
            (accepted_at, "+", {}, accepted.actor.id)
        ]
        keyworker = man.team_on(Role.HEALTH_KEYWORKER, accepted.day) or accepted.actor
        details_day = min(accepted.day + datetime.timedelta(days=rng.randrange(1, 6)), self.today)
        preferred = names.PREFERRED.get(final["given_name"], "") if rng.random() < 0.5 else ""
        changes_over_time.append(
            (
                ds.at(details_day, 11, rng.randrange(60)),
                "~",
                {
                    "preferred_name": preferred,
                    "phone": f"07700 900{rng.randrange(1000):03d}",
                    "gp_practice": rng.choice(names.GP_PRACTICES),
                    "current_accommodation": f"{first_in_custody} (in custody)",
                },
                keyworker.id,
            )
        )
        self._stage_records(man, changes_over_time)
        self._team_records(man)
        self._needs_and_goals(man, accepted, keyworker)
        changes_over_time.sort(key=lambda item: item[0])
        for when, kind, changes, actor_id in changes_over_time:
            details.update(changes)
            if kind == "~":
                man.version += 1
            ds.history(Participant, details, kind, when, actor_id)
        man.details = details

    def _stage_records(self, man: Man, participant_changes: list) -> None:
        licence = None
        previous = None
        for move in man.moves:
            change_id, previous = self._stage_change(man, move, previous)
            self._event(
                man,
                at_start_of_day(move.day),
                "stage",
                _stage_title(move),
                move.actor.id,
                detail="" if move.kind == Kind.ACCEPTED else move.reason,
                recorded=previous,
            )
            if move.kind != Kind.ACCEPTED:
                participant_changes.append(
                    (
                        previous,
                        "~",
                        {
                            "stage": move.to_stage,
                            "stage_since": move.day,
                            "recall_type": move.recall_type if move.kind == Kind.RECALLED else "",
                        },
                        move.actor.id,
                    )
                )
            licence = self._after_move(man, move, change_id, previous, licence, participant_changes)
        if man.stage == Stage.IN_REACH and not man.recall_plans and self.rng.random() < 0.5:
            self._release_plan(man, None, None, man.current(Role.HEALTH_KEYWORKER))

    def _stage_change(self, man: Man, move: Move, previous) -> tuple[int, datetime.datetime]:
        """The StageChange row of one move, and when it was recorded."""
        ds, rng = self.ds, self.rng
        change_id = ds.ids[StageChange]()
        hour = 11 if move.kind == Kind.RECALLED else rng.randrange(9, 17)
        recorded = ds.at(move.day, hour, rng.randrange(60))
        if move.kind == Kind.ACCEPTED:
            recorded = man.accepted_at
        if previous is not None and recorded <= previous:  # two moves in one day
            recorded = previous + datetime.timedelta(minutes=5)
        row = {
            "id": change_id,
            "participant_id": man.participant_id,
            "kind": move.kind,
            "from_stage": move.from_stage,
            "to_stage": move.to_stage,
            "effective_on": move.day,
            "reason": move.reason,
            "recall_type": move.recall_type,
            "ending": move.ending,
            "recorded_by_id": move.actor.id,
            "recorded_at": recorded,
        }
        ds.put(StageChange, row)
        ds.history(StageChange, row, "+", recorded, move.actor.id)
        return change_id, recorded

    def _after_move(self, man: Man, move: Move, change_id, recorded, licence, changes) -> dict:
        """What a move brings with it: outcome snapshots, release plan, licence, address."""
        keyworker = man.team_on(Role.HEALTH_KEYWORKER, move.day) or move.actor
        if move.to_stage == Stage.IN_REACH and move.kind != Kind.RECALLED:
            self._snapshot(man, "start_in_reach", move.day, keyworker, "none", "none")
        if move.kind in (Kind.RELEASED, Kind.RE_RELEASED):
            licence = self._released(man, move, change_id, recorded, keyworker, licence, changes)
        if move.kind == Kind.RECALLED:
            in_custody = f"{man.referral['current_prison']} (recalled, in custody)"
            changes.append(
                (
                    recorded + datetime.timedelta(minutes=30),
                    "~",
                    {"current_accommodation": in_custody},
                    move.actor.id,
                )
            )
        if move.kind == Kind.ENDED and move.from_stage in (Stage.COMMUNITY, Stage.MOVE_ON):
            self._snapshot(man, "exit", move.day, keyworker, man.accommodation, man.occupation)
        return licence

    def _released(self, man: Man, move: Move, change_id, recorded, keyworker, licence, changes):
        rng = self.rng
        if move.kind == Kind.RELEASED or rng.random() < 0.5:
            self._release_plan(man, move, change_id, keyworker)
        if licence is None:
            licence = self._licence(man, move)
        accommodation = _weighted(rng, ACCOMMODATION_AT_RELEASE)
        address = self._address(accommodation)
        moved = recorded + datetime.timedelta(hours=2)
        changes.append((moved, "~", {"current_accommodation": address}, move.actor.id))
        man.significant.append((moved, "change of address", move.actor))
        occupation = _weighted(rng, OCCUPATIONS)
        self._snapshot(man, "release", move.day, keyworker, accommodation, occupation)
        self._community_snapshots(man, move, accommodation, occupation, changes)
        return licence

    def _address(self, accommodation: str) -> str:
        rng = self.rng
        street = rng.choice(names.STREETS)
        if accommodation == "approved_premises":
            return f"Approved premises, {rng.randrange(2, 60)} {street}, {self.area}"
        if accommodation == "temporary":
            return f"Supported housing, Room {rng.randrange(1, 30)}, {rng.randrange(2, 90)} {street}, {self.area}"
        if accommodation == "nfa":
            return "No fixed abode"
        return f"Flat {rng.randrange(1, 12)}, {rng.randrange(2, 200)} {street}, {self.area}"

    def _community_snapshots(
        self, man: Man, release: Move, accommodation: str, occupation: str, changes: list
    ) -> None:
        """Quarterly outcome reviews while he is out. Now and then he moves on (approved
        premises, then supported housing, then a place of his own): a change of address."""
        rng = self.rng
        later = [
            m for m in man.moves if m.day > release.day and m.kind in (Kind.RECALLED, Kind.ENDED)
        ]
        until = later[0].day if later else self.today
        day = release.day + 91 * DAY
        while day < until and day <= self.today:
            keyworker = man.team_on(Role.HEALTH_KEYWORKER, day) or release.actor
            if accommodation != "settled" and rng.random() < 0.3:
                accommodation = NEXT_HOME[accommodation]
                when = self.ds.at(day - datetime.timedelta(days=rng.randrange(10, 40)), 15, 20)
                address = self._address(accommodation)
                changes.append((when, "~", {"current_accommodation": address}, keyworker.id))
                man.significant.append((when, "change of address", keyworker))
            if rng.random() < 0.25:
                occupation = _weighted(rng, OCCUPATIONS)
            self._snapshot(man, "quarter", day, keyworker, accommodation, occupation)
            day += 91 * DAY
        man.accommodation, man.occupation = accommodation, occupation

    def _snapshot(self, man, point, day, recorder, accommodation, occupation) -> None:
        ds = self.ds
        if day > self.today:
            return
        if accommodation == "none":
            accommodation = "nfa" if self.rng.random() < 0.1 else "temporary"
            occupation = "unable" if self.rng.random() < 0.2 else "none"
        row = {
            "id": ds.ids[OutcomeSnapshot](),
            "participant_id": man.participant_id,
            "point": point,
            "taken_on": day,
            "accommodation": accommodation,
            "occupation": occupation,
            "notes": "",
            "recorded_by_id": recorder.id,
        }
        ds.put(OutcomeSnapshot, row)
        when = ds.at(day, 15, self.rng.randrange(60))
        ds.history(OutcomeSnapshot, row, "+", when, recorder.id)
        label = OutcomeSnapshot.Accommodation(accommodation).label.lower()
        point_label = OutcomeSnapshot.Point(point).label.lower()
        self._event(
            man,
            at_start_of_day(day),
            "needs",
            f"Outcomes recorded ({point_label}): {label}",
            recorder.id,
            recorded=when,
        )

    def _release_plan(self, man: Man, release: Move | None, change_id, keyworker) -> None:
        ds, rng = self.ds, self.rng
        release_day = (
            release.day if release else self.today + datetime.timedelta(days=rng.randrange(20, 90))
        )
        made = release_day - datetime.timedelta(days=rng.randrange(20, 60))
        if release is None:
            made = self.today - datetime.timedelta(days=rng.randrange(1, 20))
        plan = {
            "id": ds.ids[ReleasePlan](),
            "participant_id": man.participant_id,
            "planned_release_date": release_day,
            "collected_by": "Offender manager and keyworker, 08:00 at the gate",
            "collection_done": False,
            "first_night": "Approved premises",
            "first_night_done": False,
            "benefits": "Universal Credit claim started in custody",
            "benefits_done": False,
            "gp": "Register with local practice",
            "gp_done": False,
            "first_appointments": "Probation 11:00 on release day; the centre 14:00",
            "first_appointments_done": False,
            "release_id": None,
        }
        ds.history(ReleasePlan, plan, "+", ds.at(made, 14), keyworker.id)
        if release is not None:
            plan.update(
                collection_done=True,
                first_night_done=True,
                benefits_done=rng.random() < 0.8,
                gp_done=rng.random() < 0.6,
                first_appointments_done=True,
            )
            ds.history(ReleasePlan, plan, "~", ds.at(release_day - 5 * DAY, 15), keyworker.id)
            plan["release_id"] = change_id
            ds.history(ReleasePlan, plan, "~", ds.at(release_day, 12), release.actor.id)
        ds.put(ReleasePlan, plan)

    def _licence(self, man: Man, release: Move) -> dict:
        ds, rng = self.ds, self.rng
        starts = release.day
        sentence = man.referral["sentence_type"]
        ends = man.licence_ends
        assert ends is not None  # set at release
        licence = {
            "id": ds.ids[Licence](),
            "participant_id": man.participant_id,
            "starts_on": starts,
            "ends_on": ends,
            "sentence_expiry_on": ends + datetime.timedelta(days=rng.randrange(90, 700))
            if sentence == "determinate"
            else None,
            "standard_conditions": True,
        }
        when = ds.at(starts, 12, rng.randrange(60))
        ds.put(Licence, licence)
        ds.history(Licence, licence, "+", when, release.actor.id)
        self._event(
            man,
            when,
            "licence",
            f"Licence recorded: {starts:%-d %B %Y} to {man.licence_ends:%-d %B %Y}",
            release.actor.id,
        )
        for category, chance, text in CONDITIONS:
            if rng.random() >= chance:
                continue
            condition = {
                "id": ds.ids[LicenceCondition](),
                "licence_id": licence["id"],
                "category": category,
                "text": text,
                "starts_on": starts,
                "ends_on": None,
            }
            added = when + datetime.timedelta(minutes=5)
            ds.history(LicenceCondition, condition, "+", added, release.actor.id)
            label = LicenceCondition.Category(category).label
            self._event(
                man,
                added,
                "licence",
                f"Licence condition added: {label}",
                release.actor.id,
                detail=text,
            )
            lifted = starts + datetime.timedelta(days=rng.randrange(90, 200))
            if category == "curfew" and lifted <= self.today:
                condition["ends_on"] = lifted
                changed = ds.at(lifted, 10, 15)
                om = self._om(man, lifted)
                ds.history(LicenceCondition, condition, "~", changed, om.id)
                self._event(
                    man,
                    changed,
                    "licence",
                    f"Licence condition changed: {label}",
                    om.id,
                    detail=text,
                )
            ds.put(LicenceCondition, condition)
        return licence

    def _team_records(self, man: Man) -> None:
        ds, rng = self.ds, self.rng
        for allocation in man.allocations:
            row = {
                "id": allocation.id,
                "participant_id": man.participant_id,
                "role": allocation.role,
                "staff_id": allocation.staff.id,
                "started_on": allocation.started_on,
                "ended_on": None,
                "allocated_by_id": allocation.allocated_by.id,
            }
            when = ds.at(allocation.started_on, 15, rng.randrange(60))
            ds.history(Allocation, row, "+", when, allocation.allocated_by.id)
            detail = f"Replacing {allocation.replacing.full_name}" if allocation.replacing else ""
            self._event(
                man,
                when,
                "allocation",
                f"{allocation.staff.full_name} allocated as {ROLE_LABELS[allocation.role]}",
                allocation.allocated_by.id,
                detail=detail,
            )
            if allocation.ended_on is not None:
                row["ended_on"] = allocation.ended_on
                ended = ds.at(allocation.ended_on, 15, rng.randrange(60))
                ds.history(Allocation, row, "~", ended, allocation.allocated_by.id)
            ds.put(Allocation, row)

    def _needs_and_goals(self, man: Man, accepted: Move, keyworker: StaffMember) -> None:
        ds, rng = self.ds, self.rng
        day = min(accepted.day + datetime.timedelta(days=rng.randrange(2, 15)), self.today)
        when = ds.at(day, 13, rng.randrange(60))
        ended = man.moves[-1].day if man.stage == Stage.ENDED else self.today
        for pathway in Pathway:
            level = _weighted(rng, (("none", 30), ("low", 25), ("medium", 25), ("high", 20)))
            need = {
                "id": ds.ids[PathwayNeed](),
                "participant_id": man.participant_id,
                "pathway": pathway.value,
                "level": "none",
                "notes": "",
                "updated_at": when,
            }
            ds.history(PathwayNeed, need, "+", when, keyworker.id)
            need["level"] = level
            ds.history(PathwayNeed, need, "~", when, keyworker.id)
            if level != "none":
                self._event(
                    man,
                    when,
                    "needs",
                    f"{pathway.label} need now {PathwayNeed.Level(level).label.lower()}",
                    keyworker.id,
                )
            later = day + datetime.timedelta(days=rng.randrange(120, 700))
            if level in ("medium", "high") and later < ended and rng.random() < 0.5:
                level = "low" if level == "medium" else "medium"
                changed = ds.at(later, 14, rng.randrange(60))
                need.update(level=level, updated_at=changed, notes="Improving")
                actor = man.team_on(Role.HEALTH_KEYWORKER, later) or keyworker
                ds.history(PathwayNeed, need, "~", changed, actor.id)
                self._event(
                    man,
                    changed,
                    "needs",
                    f"{pathway.label} need now {PathwayNeed.Level(level).label.lower()}",
                    actor.id,
                )
            ds.put(PathwayNeed, need)
        family = man.referral["family_name"]
        for number in range(rng.randrange(1, 4)):
            contact = {
                "id": ds.ids[Contact](),
                "participant_id": man.participant_id,
                "name": f"{rng.choice(names.WOMEN)} {family}"
                if number == 0
                else rng.choice(("Housing officer", "GP surgery", "Hostel key worker")),
                "relationship": rng.choice(("Mother", "Sister", "Partner", "Aunt"))
                if number == 0
                else "Professional",
                "phone": f"0151 496 0{rng.randrange(1000):03d}",
                "notes": "",
                "is_next_of_kin": number == 0,
            }
            ds.put(Contact, contact)
            ds.history(
                Contact, contact, "+", when + datetime.timedelta(minutes=20 + number), keyworker.id
            )
        for _ in range(rng.randrange(1, 3)):
            set_day = min(day + datetime.timedelta(days=rng.randrange(0, 30)), self.today)
            goal: dict = {
                "id": ds.ids[Goal](),
                "participant_id": man.participant_id,
                "in_his_words": rng.choice(names.GOALS),
                "progress": "not_started",
                "progress_note": "",
                "set_on": set_day,
            }
            made = ds.at(set_day, 12, rng.randrange(60))
            ds.history(Goal, goal, "+", made, keyworker.id)
            self._event(
                man, made, "goal", "New goal set", keyworker.id, detail=goal["in_his_words"]
            )
            progress_day = set_day + datetime.timedelta(days=rng.randrange(30, 400))
            if progress_day < ended:
                goal["progress"] = _weighted(
                    rng, (("under_way", 60), ("achieved", 25), ("set_aside", 15))
                )
                changed = ds.at(progress_day, 12, rng.randrange(60))
                actor = man.team_on(Role.HEALTH_KEYWORKER, progress_day) or keyworker
                ds.history(Goal, goal, "~", changed, actor.id)
                self._event(
                    man,
                    changed,
                    "goal",
                    f"Goal progress: {Goal.Progress(goal['progress']).label}",
                    actor.id,
                    detail=goal["in_his_words"],
                )
            ds.put(Goal, goal)

    # --- The participant row and the team's object permissions ----------------------------

    def _participant_row(self, man: Man) -> None:
        ds = self.ds
        values = dict(man.details)
        values.update(
            highest_rosh=man.highest_rosh,
            mappa_category=man.mappa[0],
            mappa_level=man.mappa[1],
            plan_review_due_on=man.plan_review_due_on,
            version=man.version,
        )
        ds.put(Participant, values)


def _stage_title(move: Move) -> str:
    """The timeline's title for a move."""
    if move.kind == Kind.ACCEPTED:
        if move.to_stage == Stage.IN_REACH:
            return "Accepted and offered in-reach"
        return "Accepted onto the waiting list"
    if move.kind == Kind.RECALLED:
        return f"{StageChange.RecallType(move.recall_type).label} to custody"
    if move.kind == Kind.ENDED:
        return f"Ended: {StageChange.Ending(move.ending).label.lower()}"
    return Kind(move.kind).label
