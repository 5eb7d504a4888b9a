"""Report requests (written after every service: the figures are read back)."""

import datetime
import random

from benchmarks.constants import (
    PLACEHOLDER_REPORT,
)
from benchmarks.helpers import uid
from benchmarks.vocab import (
    DAY,
)
from benchmarks.writers.sessions import SessionsWriter
from reports import commissioner
from reports.models import ReportRequest
from reports.quarters import Quarter, completed_quarters
from resettle.accounts.roles import Role


class ReportsWriter(SessionsWriter):
    """Reports (after every service is written: the figures are read back)."""

    def _plan_reports(self) -> None:
        """Which reports were asked for, and by whom (written with their figures at the end,
        once every service is in the database: see write_reports)."""
        ds = self.ds
        rng = self.report_rng = random.Random(f"{ds.seed}:reports:{self.index}")
        quarters = list(reversed(completed_quarters(self.today, 8)))
        system = ds.system_id
        plans = self.report_plans = []
        for position, quarter in enumerate(quarters):
            asked = ds.at(quarter.end + DAY, 6, 0)
            manager = self._manager(quarter.end + DAY)
            last = position == len(quarters) - 1
            approve = not last or (not self.is_focus and rng.random() < 0.5)
            common = {
                "kind": "commissioner",
                "service_id": self.service_id,
                "participant_id": None,
                "start": quarter.start,
                "end": quarter.end,
            }
            if rng.random() < 0.1:  # a first draft produced again by the manager
                replaced = asked + datetime.timedelta(days=rng.randrange(1, 4), hours=3)
                plans.append({**common, "requested_by": system, "requested_at": asked, "scheduled": True, "superseded_at": replaced})  # fmt: skip
                asked, requester, scheduled = replaced, manager.id, False
            else:
                requester, scheduled = system, True
            approved_at = asked + datetime.timedelta(
                days=rng.randrange(2, 12), hours=rng.randrange(4, 10)
            )
            approve = approve and approved_at <= self.now
            plans.append(
                {
                    **common,
                    "requested_by": requester,
                    "requested_at": asked,
                    "scheduled": scheduled,
                    "approved_by": manager.id if approve else None,
                    "approved_at": approved_at if approve else None,
                }
            )
        day = quarters[0].start
        while day <= self.today:
            community, move_on, _ = self.on(day)
            people = community + move_on
            if people:
                man = rng.choice(people)
                om = man.team_on(Role.OFFENDER_MANAGER, day)
                asked = ds.at(day, rng.randrange(9, 17), rng.randrange(60))
                if om is not None and asked < self.now:
                    period_end = day - DAY
                    plans.append(
                        {
                            "kind": "compliance",
                            "service_id": self.service_id,
                            "participant_id": man.participant_id,
                            "start": period_end - datetime.timedelta(days=rng.randrange(90, 365)),
                            "end": period_end,
                            "requested_by": om.id,
                            "requested_at": asked,
                            "failed": rng.random() < 0.04,
                        }
                    )
            day += datetime.timedelta(days=rng.randrange(20, 50))

    def write_reports(self) -> None:
        """The planned reports, commissioner ones with the figures read back from the data."""
        ds = self.ds
        figures_of = {}
        for plan in self.report_plans:
            figures = None
            if plan["kind"] == "commissioner" and ds.with_figures:
                if plan["start"] not in figures_of:
                    quarter = Quarter.starting(plan["start"])
                    figures_of[plan["start"]] = commissioner.gather_counts(
                        [self.service_id], quarter
                    )
                figures = figures_of[plan["start"]]
                if plan.get("approved_at"):
                    self.approved_figures.setdefault(plan["start"], []).append(figures)
            report_row(ds, self.report_rng, figures=figures, **plan)


def report_row(
    ds,
    rng,
    *,
    kind,
    service_id,
    participant_id,
    start,
    end,
    requested_by,
    requested_at,
    figures=None,
    scheduled=False,
    failed=False,
    approved_by=None,
    approved_at=None,
    superseded_at=None,
) -> dict:
    """A report as the worker left it: asked for, run, ready (the shared placeholder file)."""
    started = requested_at + datetime.timedelta(seconds=rng.randrange(1, 20))
    seconds = round(rng.uniform(2.0, 14.0), 3)
    finished = started + datetime.timedelta(seconds=seconds + 1)
    values = {
        "id": uid(rng),
        "kind": kind,
        "service_id": service_id,
        "participant_id": participant_id,
        "period_start": start,
        "period_end": end,
        "requested_by_id": requested_by,
        "requested_at": requested_at,
        "status": "queued",
        "progress": 0,
        "step": "",
        "attempts": 0,
        "last_sent_at": requested_at,
        "started_at": None,
        "finished_at": None,
        "file": "",
        "file_size": None,
        "page_count": None,
        "render_seconds": None,
        "error_message": "",
        "figures": None,
        "approved_by_id": None,
        "approved_at": None,
        "superseded_at": None,
        "scheduled": scheduled,
    }
    ds.history(ReportRequest, values, "+", requested_at, requested_by)
    values.update(status="running", attempts=1, started_at=started, progress=5, step="Starting")
    ds.history(ReportRequest, values, "~", started, requested_by)
    if failed:
        values.update(
            status="failed",
            step="Failed",
            finished_at=finished,
            error_message="The report could not be generated because of an unexpected error. "
            f"Try again; if it fails again, tell the service desk (reference {values['id']}).",
        )
    else:
        values.update(
            status="succeeded",
            progress=100,
            step="Ready",
            finished_at=finished,
            file=PLACEHOLDER_REPORT,
            file_size=rng.randrange(60_000, 420_000),
            page_count=rng.randrange(3, 14),
            render_seconds=seconds,
            figures=figures,
        )
    ds.history(ReportRequest, values, "~", finished, requested_by)
    if approved_at is not None:
        values.update(approved_by_id=approved_by, approved_at=approved_at)
        ds.history(ReportRequest, values, "~", approved_at, approved_by)
    if superseded_at is not None:
        values["superseded_at"] = superseded_at
        ds.history(ReportRequest, values, "~", superseded_at, requested_by)
    ds.put(ReportRequest, values)
    return values
