"""The custody–release–licence clock: where he was on each day, from his stage changes.

One home for "days in custody": a day is in custody when his stage that day is in-reach, which
is both pre-release in-reach and the time after a recall until re-release. Attendance is
expected only on days in the community or move-on; nothing is expected in custody, on the
waiting list or after his case ended.
"""

import bisect
import datetime
from dataclasses import dataclass

from .models import Participant, Stage, StageChange

CUSTODY_STAGES = frozenset({Stage.IN_REACH})
LICENCE_STAGES = frozenset({Stage.COMMUNITY, Stage.MOVE_ON})


@dataclass(frozen=True)
class StageHistory:
    """His stage on any day: the stage in force before his first recorded move, then each move
    (effective_on, to_stage) in order. A move applies from its effective date."""

    first_stage: str
    moves: tuple[tuple[datetime.date, str], ...]

    def stage_on(self, day: datetime.date) -> str:
        index = bisect.bisect_right([on for on, _stage in self.moves], day)
        return self.moves[index - 1][1] if index else self.first_stage

    def in_custody_on(self, day: datetime.date) -> bool:
        return self.stage_on(day) in CUSTODY_STAGES

    def on_licence_on(self, day: datetime.date) -> bool:
        return self.stage_on(day) in LICENCE_STAGES


def stage_history_of(participant: Participant, changes=None) -> StageHistory:
    """From his stage changes (read once here unless given, oldest first). A man with no moves
    recorded has been in his current stage throughout; before his first move he was in the
    stage that move left (the waiting list when it says none)."""
    if changes is None:
        changes = list(
            StageChange.objects.filter(participant=participant)
            .order_by("effective_on", "recorded_at")
            .values_list("effective_on", "from_stage", "to_stage")
        )
    else:
        changes = [(c.effective_on, c.from_stage, c.to_stage) for c in changes]
    if not changes:
        return StageHistory(first_stage=participant.stage, moves=())
    first = changes[0][1] or Stage.WAITING
    return StageHistory(
        first_stage=first, moves=tuple((on, to_stage) for on, _from, to_stage in changes)
    )
