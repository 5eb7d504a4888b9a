"""Risk assessments, plans and formulations (riskplans rows)."""

import datetime

from django.utils import formats

from benchmarks.helpers import uid
from benchmarks.people import Man
from benchmarks.vocab import (
    ACTIONS,
    CONTINGENCY,
    DAY,
    FORMULATION_TEXT,
    LEVELS,
    RETURN_COMMENTS,
    ROSH_LABELS,
)
from benchmarks.writers.crisisline import CrisisLineWriter
from participants.models import (
    Stage,
)
from participants.timeline import at_start_of_day
from resettle.accounts.roles import Role
from riskplans.models import Formulation, RiskAssessment, RiskManagementPlan
from riskplans.services import REVIEW_MONTHS, SOONER_REVIEW_DAYS, add_months


class RiskPlansWriter(CrisisLineWriter):
    """Risk assessments, plans and formulations."""

    def _risk(self, man: Man) -> None:
        accepted = man.moves[0].day
        ended = man.moves[-1].day if man.stage == Stage.ENDED else self.today
        active = [m.day for m in man.moves if m.to_stage == Stage.IN_REACH]
        self._assessments(man, accepted, ended)
        if active and active[0] <= self.today:
            self._plans(man, active[0], ended)
            self._formulations(man, active[0], ended)

    def _assessments(self, man: Man, accepted, ended) -> None:
        ds, rng = self.ds, self.rng
        days = []
        day = accepted + datetime.timedelta(days=rng.randrange(14, 45))
        while day <= ended:
            days.append(day)
            day += datetime.timedelta(days=rng.randrange(150, 240))
        days.extend(d + datetime.timedelta(days=rng.randrange(7, 21)) for d, *_ in man.recall_plans)
        base = [rng.randrange(4) for _ in range(7)]
        mappa = (rng.choice("123"), rng.choice("123")) if rng.random() < 0.4 else ("", "")
        latest = None
        for day in sorted(d for d in days if d <= min(ended, self.today)):
            levels = [
                min(3, max(0, b + (rng.choice((-1, 1)) if rng.random() < 0.25 else 0)))
                for b in base
            ]
            assessor = self._om(man, day)
            created = ds.at(day, 14, rng.randrange(60))
            row = {
                "id": uid(rng),
                "participant_id": man.participant_id,
                "assessed_on": day,
                "assessor_id": assessor.id,
                "source_reference": f"OASys completed {day:%-d %B %Y}",
                "rosh_public": LEVELS[levels[0]],
                "rosh_known_adult": LEVELS[levels[1]],
                "rosh_children": LEVELS[levels[2]],
                "rosh_staff": LEVELS[levels[3]],
                "rosh_prisoners": LEVELS[levels[4]],
                "risk_to_self": LEVELS[levels[5]],
                "reoffending": LEVELS[levels[6]],
                "mappa_category": mappa[0],
                "mappa_level": mappa[1],
                "risk_factors": "Alcohol misuse; volatile relationships; unstable accommodation",
                "protective_factors": "Engaged with keyworker; contact with his daughter",
                "warning_signs": "Missing sessions, drinking, isolation, contact with ex-partner",
                "imminence": "Evenings and weekends, after conflict with family",
                "created_at": created,
            }
            ds.put(RiskAssessment, row)
            ds.history(RiskAssessment, row, "+", created, assessor.id)
            highest = LEVELS[max(levels[:5])]
            summary = (
                f"MAPPA category {mappa[0]}, level {mappa[1]}" if mappa[0] else "Not MAPPA-managed"
            )
            self._event(
                man,
                at_start_of_day(day),
                "risk",
                f"Risk assessment recorded: highest RoSH {ROSH_LABELS[highest].lower()}",
                assessor.id,
                detail=summary,
                link=ds.link["riskplans:overview"](man.participant_id),
                recorded=created,
            )
            if latest is None or (day, created) >= latest:
                latest = (day, created)
                man.highest_rosh, man.mappa = highest, mappa

    def _plans(self, man: Man, first_active, ended) -> None:
        ds, rng = self.ds, self.rng
        events = sorted(man.significant, key=lambda e: e[0])
        approved = None
        number = 0
        start = first_active + datetime.timedelta(days=rng.randrange(20, 50))
        latest_day = min(ended, self.today)
        while start <= latest_day:
            number += 1
            author = man.team_on(Role.HEALTH_KEYWORKER, start) or self._om(man, start)
            om = self._om(man, start)
            plan, link = self._draft_plan(man, number, start, author, approved)
            submit_day = start + datetime.timedelta(days=rng.randrange(0, 5))
            decide_day = submit_day + datetime.timedelta(days=rng.randrange(1, 8))
            if submit_day > self.today:
                ds.put(RiskManagementPlan, plan)
                break
            self._submit(man, plan, submit_day, author, link)
            approver = (
                om if om.id != author.id and rng.random() < 0.8 else self._manager(decide_day)
            )
            if decide_day <= self.today and rng.random() < 0.14:
                resubmitted = self._return_and_resubmit(man, plan, decide_day, approver, author)
                if resubmitted is None:
                    ds.put(RiskManagementPlan, plan)
                    break
                decide_day = resubmitted
            if decide_day > self.today:
                ds.put(RiskManagementPlan, plan)
                break
            decided = self._approve(man, plan, approved, decide_day, approver)
            approved = plan
            late = rng.random() < 0.12
            next_start = plan["review_due_on"] + datetime.timedelta(
                days=rng.randrange(1, 45) if late else -rng.randrange(0, 14)
            )
            next_start = self._bring_reviews_forward(man, plan, events, decided, next_start)
            start = max(next_start, decide_day + DAY)
        if approved is not None:
            ds.put(RiskManagementPlan, approved)
            man.plan_review_due_on = approved["review_due_on"]
            man.expected_days_per_week = approved["expected_days_per_week"]

    def _draft_plan(self, man: Man, number, start, author, approved) -> tuple[dict, str]:
        """Version `number`, started from the approved one and then written."""
        ds, rng = self.ds, self.rng
        plan_id = uid(rng)
        link = ds.plan_link(man.participant_id, plan_id)
        created = ds.at(start, rng.randrange(10, 15), rng.randrange(60))
        plan = {
            "id": plan_id,
            "participant_id": man.participant_id,
            "number": number,
            "status": "draft",
            "author_id": author.id,
            "actions": list(approved["actions"]) if approved else [],
            "contingency_plan": approved["contingency_plan"] if approved else "",
            "expected_days_per_week": approved["expected_days_per_week"] if approved else 4,
            "submitted_at": None,
            "decided_by_id": None,
            "decided_at": None,
            "return_comment": "",
            "review_due_on": None,
            "review_reason": "",
            "lock_version": 1,
            "created_at": created,
        }
        ds.history(RiskManagementPlan, plan, "+", created, author.id)
        chosen = sorted(rng.sample(range(len(ACTIONS)), rng.randrange(3, 6)))
        plan.update(
            actions=[
                dict(zip(("pillar", "action", "owner", "due"), ACTIONS[i], strict=True))
                for i in chosen
            ],
            contingency_plan=CONTINGENCY,
            expected_days_per_week=2 if man.stage_on(start) == Stage.MOVE_ON else 4,
            lock_version=2,
        )
        ds.history(
            RiskManagementPlan,
            plan,
            "~",
            created + datetime.timedelta(minutes=rng.randrange(20, 90)),
            author.id,
        )
        return plan, link

    def _return_and_resubmit(self, man: Man, plan, decide_day, approver, author):
        """Returned with comments, then submitted again: the new decision day, or None when
        the resubmission is still to come."""
        ds, rng = self.ds, self.rng
        link = ds.plan_link(man.participant_id, plan["id"])
        decided = ds.at(decide_day, 16, rng.randrange(60))
        comment = rng.choice(RETURN_COMMENTS)
        plan.update(
            status="returned",
            return_comment=comment,
            decided_by_id=approver.id,
            decided_at=decided,
            lock_version=plan["lock_version"] + 1,
        )
        ds.history(RiskManagementPlan, plan, "~", decided, approver.id)
        self._event(
            man,
            decided,
            "risk",
            f"Risk management plan v{plan['number']} returned with comments",
            approver.id,
            detail=comment,
            link=link,
        )
        resubmit = decide_day + datetime.timedelta(days=rng.randrange(1, 5))
        if resubmit > self.today:
            return None
        plan["lock_version"] += 1
        ds.history(RiskManagementPlan, plan, "~", ds.at(resubmit, 10, rng.randrange(60)), author.id)
        self._submit(man, plan, resubmit, author, link)
        return resubmit + datetime.timedelta(days=rng.randrange(1, 6))

    def _approve(self, man: Man, plan, approved, decide_day, approver) -> datetime.datetime:
        """Approved (the previous approved version superseded), its review date set."""
        ds, rng = self.ds, self.rng
        decided = ds.at(decide_day, 16, rng.randrange(60))
        if approved is not None:
            approved.update(status="superseded", lock_version=approved["lock_version"] + 1)
            ds.history(RiskManagementPlan, approved, "~", decided, approver.id)
            ds.put(RiskManagementPlan, approved)
        review = add_months(decide_day, REVIEW_MONTHS)
        plan.update(
            status="approved",
            decided_by_id=approver.id,
            decided_at=decided,
            review_due_on=review,
            review_reason="",
            lock_version=plan["lock_version"] + 1,
        )
        ds.history(RiskManagementPlan, plan, "~", decided, approver.id)
        self._event(
            man,
            decided,
            "risk",
            f"Risk management plan v{plan['number']} approved",
            approver.id,
            detail=f"Review due {formats.date_format(review)}",
            link=ds.plan_link(man.participant_id, plan["id"]),
        )
        return decided

    def _bring_reviews_forward(self, man: Man, plan, events, decided, next_start):
        """Significant events after approval bring the review forward (and the next version)."""
        ds, rng = self.ds, self.rng
        for when, reason, actor in events:
            if when <= decided or when.date() >= next_start:
                continue
            sooner = when.date() + datetime.timedelta(days=SOONER_REVIEW_DAYS)
            if plan["review_due_on"] <= sooner:
                continue
            plan.update(
                review_due_on=sooner,
                review_reason=f"Brought forward after {reason}",
                lock_version=plan["lock_version"] + 1,
            )
            ds.history(RiskManagementPlan, plan, "~", when, actor.id)
            self._event(
                man,
                when,
                "risk",
                f"Plan review brought forward to {formats.date_format(sooner)} after {reason}",
                actor.id,
            )
            next_start = min(next_start, sooner - datetime.timedelta(days=rng.randrange(0, 7)))
        return next_start

    def _submit(self, man: Man, plan: dict, day, author, link) -> None:
        ds = self.ds
        when = ds.at(day, 11, self.rng.randrange(60))
        plan.update(
            status="submitted",
            submitted_at=when,
            return_comment="",
            lock_version=plan["lock_version"] + 1,
        )
        ds.history(RiskManagementPlan, plan, "~", when, author.id)
        self._event(
            man,
            when,
            "risk",
            f"Risk management plan v{plan['number']} submitted for approval",
            author.id,
            link=link,
        )

    def _formulations(self, man: Man, first_active, ended) -> None:
        ds, rng = self.ds, self.rng
        current = None
        number = 0
        start = first_active + datetime.timedelta(days=rng.randrange(40, 120))
        while start <= min(ended, self.today):
            number += 1
            psychologist = man.team_on(Role.PSYCHOLOGIST, start) or self._manager(start)
            created = ds.at(start, 10, rng.randrange(60))
            formulation = {
                "id": uid(rng),
                "participant_id": man.participant_id,
                "number": number,
                "status": "draft",
                "author_id": psychologist.id,
                "lock_version": 1,
                "created_at": created,
                "shared_with_him_on": None,
                "agreed_by_id": None,
                "agreed_at": None,
                **{key: (current[key] if current else "") for key in FORMULATION_TEXT},
            }
            ds.history(Formulation, formulation, "+", created, psychologist.id)
            agree_day = start + datetime.timedelta(days=rng.randrange(7, 40))
            shared = agree_day - datetime.timedelta(days=rng.randrange(0, 10))
            formulation.update({key: rng.choice(texts) for key, texts in FORMULATION_TEXT.items()})
            formulation.update(
                lock_version=2,
                shared_with_him_on=shared if rng.random() < 0.7 and shared <= self.today else None,
            )
            ds.history(
                Formulation,
                formulation,
                "~",
                created + datetime.timedelta(hours=2),
                psychologist.id,
            )
            if agree_day > min(ended, self.today):
                ds.put(Formulation, formulation)
                break
            agreed = ds.at(agree_day, 15, rng.randrange(60))
            if current is not None:
                current.update(status="superseded", lock_version=current["lock_version"] + 1)
                ds.history(Formulation, current, "~", agreed, psychologist.id)
                ds.put(Formulation, current)
            formulation.update(
                status="current", lock_version=3, agreed_by_id=psychologist.id, agreed_at=agreed
            )
            ds.history(Formulation, formulation, "~", agreed, psychologist.id)
            detail = (
                f"Shared with him on {formats.date_format(formulation['shared_with_him_on'])}"
                if formulation["shared_with_him_on"]
                else "Not yet shared with him"
            )
            self._event(
                man,
                agreed,
                "risk",
                f"Formulation v{number} agreed",
                psychologist.id,
                detail=detail,
                link=ds.formulation_link(man.participant_id, formulation["id"]),
            )
            current = formulation
            start = agree_day + datetime.timedelta(days=rng.randrange(270, 500))
        if current is not None:
            ds.put(Formulation, current)
