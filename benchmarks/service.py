"""One service over ten years, simulated day by day from its own random stream.

`ServiceBuilder.build()` first simulates referrals and each man's journey (decisions,
capacity-limited in-reach places, releases, recalls, move-on, endings, staff leaving and
their caseloads handed on), then writes his records in the order the services would have
made them: referral, participant and stage history, team, licence, needs and outcomes,
crisis calls, risk assessments, plan and formulation versions, then the sessions week by
week with attendance outcomes, notes, enforcement decisions and the access log.

The builder is a stack of layers, each using the ones before it: `writers/accounts.py` (the
service, its staff and memberships), `simulation.py` (who does what when), then one writer
per app in `writers/` (participants, crisisline, riskplans, access, sessions, reports).
`people.py` holds the simulated people, `vocab.py` the generator's texts and weights;
`writer.DatasetWriter` is where every row goes (COPY on PostgreSQL).

Everything random comes from `self.rng` (or a stream derived from the seed and the service
index), in a fixed order that does not depend on the size of the run.
"""

import datetime
import random

from . import names
from .constants import FOCUS_DOMAIN, FOCUS_SERVICE_NAME, WEEKS_AHEAD
from .writers.reports import ReportsWriter, report_row

__all__ = ["ServiceBuilder", "report_row"]


class ServiceBuilder(ReportsWriter):
    """One service: simulate it, then write its rows app by app."""

    def __init__(self, ds, index: int):
        self.ds, self.index = ds, index
        self.rng = random.Random(f"{ds.seed}:service:{index}")
        self.is_focus = index == 0
        if self.is_focus:
            self.name, self.area = FOCUS_SERVICE_NAME, "Merseyside"
            self.domain = FOCUS_DOMAIN
        else:
            stem, area = names.SERVICE_STEMS[(index - 1) % len(names.SERVICE_STEMS)]
            lap = (index - 1) // len(names.SERVICE_STEMS)
            self.name = f"{stem} {area}" + (f" {lap + 1}" if lap else "")
            self.area = area
            self.domain = f"s{index:03d}.bench.example"
        self.estimate = 400_000
        self.rows_written = 0
        self.fingerprint = ""
        self.approved_figures: dict = {}
        self.today, self.now, self.start = ds.today, ds.now, ds.start
        self.horizon = ds.today + datetime.timedelta(weeks=WEEKS_AHEAD)
        self.men = []
        self.staff = {}

    def build(self) -> None:
        self._service_and_staff()
        self._simulate()
        self._daily_stages()
        for man in self.men:
            self._journey_records(man)
        self._calls()
        for man in self.men:
            if man.participant_id:
                self._risk(man)
        self._sessions()
        for man in self.men:
            self._recall_decisions(man)
        self._exclusions_and_temporary_access()
        for man in self.men:
            if man.participant_id:
                self._participant_row(man)
        self._plan_reports()
        self._let_go()

    def _let_go(self) -> None:
        """Keep only what the reports and the summary need: memory stays bounded per service."""
        del self.men, self.community, self.move_on, self.in_reach
        del self.queue, self.series, self.waiting
