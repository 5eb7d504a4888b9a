"""Crisis calls and their follow-ups (crisisline rows)."""

import datetime

from benchmarks import names
from benchmarks.helpers import uid
from benchmarks.people import Man
from benchmarks.vocab import (
    ACK_NOTES,
    ACTIONS_BY_URGENCY,
    DAY,
    FOLLOW_UP_CHANCE,
    HOUR_WEIGHTS,
    INDICATORS,
    URGENCIES,
    URGENCY_WEIGHTS,
    _weighted,
)
from benchmarks.writers.participants import ParticipantsWriter
from crisisline.handover import handover_window
from crisisline.models import CrisisCall
from resettle.accounts.roles import Role
from resettle.core.models import AccessLog


class CrisisLineWriter(ParticipantsWriter):
    """Crisis calls."""

    def _calls(self) -> None:
        ds, rng = self.ds, self.rng
        window = handover_window(self.now, ds.bank_holidays)
        window_start = window.starts
        day = self.start
        while day <= self.today:
            community, move_on, _ = self.on(day)
            for man in community + move_on:
                if rng.random() < 0.0105 * man.crisis_propensity:
                    self._call(man, day, window_start)
            if rng.random() < 0.05:
                self._call(None, day, window_start)
            day += DAY
        # Last night's handover always has calls to hand over.
        community, move_on, _ = self.on(self.today)
        people = community + move_on
        span = (min(window.ends, self.now) - window_start).total_seconds()
        if people and span > 600:
            for urgency, follow_up in (("urgent", True), ("concerning", True), ("routine", False)):
                started = window_start + datetime.timedelta(seconds=rng.randrange(int(span) - 600))
                self._call(rng.choice(people), None, window_start, started, urgency, follow_up)

    def _call(self, man, day, window_start, started=None, urgency=None, follow_up=None) -> None:
        ds, rng = self.ds, self.rng
        if started is None:
            started, urgency, follow_up = self._call_start(day)
        if started > self.now - datetime.timedelta(minutes=10):
            return
        local_day = started.date()
        ended = started + datetime.timedelta(minutes=rng.randrange(3, 50))
        if ended > self.now:
            ended = None
        worker = rng.choice(self.holders(Role.CRISIS_LINE_WORKER, local_day))
        indicators = rng.sample(INDICATORS, rng.choice((1, 1, 2)))
        caller, caller_name = self._caller(man)
        recorded = (ended or started) + datetime.timedelta(minutes=rng.randrange(2, 15))
        if recorded > self.now:
            recorded = self.now - datetime.timedelta(minutes=1)
        call = {
            "id": uid(rng),
            "service_id": self.service_id,
            "participant_id": man.participant_id if man else None,
            "started_at": started,
            "ended_at": ended,
            "caller_type": caller,
            "caller_name": caller_name,
            "presenting_issue": names.ISSUES[indicators[0]]
            if man
            else "Withheld number asking about someone on the programme",
            "risk_indicators": indicators,
            "urgency": urgency,
            "actions_taken": list(rng.choice(ACTIONS_BY_URGENCY[urgency])),
            "follow_up_required": follow_up,
            "narrative": "Caller was calmer by the end of the call. Contingency plan read first.",
            "recorded_by_id": worker.id,
            "recorded_at": recorded,
            "acknowledged_by_id": None,
            "acknowledged_at": None,
            "acknowledgement_note": "",
        }
        ds.history(CrisisCall, call, "+", recorded, worker.id)
        link = ds.link["crisisline:call_detail"](call["id"])
        if man is not None:
            self._call_on_his_record(man, call, worker, link)
        if follow_up and started < window_start:
            self._follow_up(man, call, link)
        ds.put(CrisisCall, call)

    def _call_start(self, day) -> tuple[datetime.datetime, str, bool]:
        """When a call came in (the night after `day` before 09:00), how urgent, and whether
        the day team must follow it up."""
        rng = self.rng
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        on = day + DAY if hour < 9 else day
        started = self.ds.at(on, hour, rng.randrange(60))
        urgency = rng.choices(URGENCIES, URGENCY_WEIGHTS)[0]
        return started, urgency, rng.random() < FOLLOW_UP_CHANCE[urgency]

    def _caller(self, man) -> tuple[str, str]:
        rng = self.rng
        if man is None:
            return "unknown", ""
        caller = _weighted(rng, (("participant", 76), ("family", 15), ("professional", 9)))
        caller_name = {
            "participant": "",
            "family": f"{rng.choice(names.WOMEN)} (his mother)",
            "professional": "Hostel night staff",
        }[caller]
        return caller, caller_name

    def _call_on_his_record(self, man: Man, call: dict, worker, link: str) -> None:
        """The timeline entry, the worker's look at his crisis summary, a significant event."""
        ds = self.ds
        started, recorded = call["started_at"], call["recorded_at"]
        self._event(
            man,
            started,
            "crisis",
            f"Crisis call ({call['urgency']}): {call['presenting_issue']}",
            worker.id,
            detail="Day team to follow up" if call["follow_up_required"] else "",
            link=link,
            recorded=recorded,
        )
        ds.add[AccessLog](
            (
                uid(self.rng),
                started + datetime.timedelta(minutes=1),
                worker.id,
                Role.CRISIS_LINE_WORKER,
                man.participant_id,
                ds.link["crisisline:summary"](man.participant_id),
                "crisisline:summary",
                worker.ip_address,
                True,
            )
        )
        if call["urgency"] == "emergency":
            man.significant.append((recorded, "an emergency crisis call", worker))

    def _follow_up(self, man, call: dict, link: str) -> None:
        """The day team acknowledges the call on the next working day (now and then not)."""
        ds, rng = self.ds, self.rng
        started = call["started_at"]
        ack_day = started.date() + (DAY if started.hour >= 17 else datetime.timedelta())
        while ack_day.weekday() >= 5 or ack_day in ds.bank_holidays:
            ack_day += DAY
        acknowledged = ds.at(ack_day, rng.randrange(9, 12), rng.randrange(60))
        overlooked = (self.today - ack_day).days < 60 and rng.random() < 0.02
        if acknowledged >= self.now or overlooked:
            return
        who = (man.team_on(Role.HEALTH_KEYWORKER, ack_day) if man else None) or self._manager(
            ack_day
        )
        note = rng.choice(ACK_NOTES)
        call.update(
            acknowledged_by_id=who.id, acknowledged_at=acknowledged, acknowledgement_note=note
        )
        ds.history(CrisisCall, call, "~", acknowledged, who.id)
        if man is not None:
            self._event(
                man,
                acknowledged,
                "crisis",
                "Crisis call followed up by the day team",
                who.id,
                detail=note,
                link=link,
            )
