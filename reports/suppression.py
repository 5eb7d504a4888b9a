"""Small-number suppression for aggregate reports: counts of 1 to 4 are never printed.

A count from 1 to 4 could identify a man to someone who knows the service, so it is shown as
"fewer than 5". When one cell of a breakdown is hidden and its total is shown, the smallest
other non-zero cell is hidden too, so the hidden one cannot be worked out by subtraction.
Percentages built on a hidden count are hidden as well.
"""

from dataclasses import dataclass

SMALL_NUMBER_LIMIT = 5
SUPPRESSED_TEXT = "fewer than 5"


def is_small(count: int) -> bool:
    return 0 < count < SMALL_NUMBER_LIMIT


@dataclass(frozen=True)
class Cell:
    count: int
    hidden: bool

    @property
    def text(self) -> str:
        return SUPPRESSED_TEXT if self.hidden else str(self.count)

    def __str__(self) -> str:
        return self.text


def cell(count: int) -> Cell:
    return Cell(count=count, hidden=is_small(count))


def breakdown(counts: dict) -> dict:
    """Cells for the parts of one total, with secondary suppression (see module doc)."""
    cells = {key: cell(value) for key, value in counts.items()}
    hidden = [key for key, c in cells.items() if c.hidden]
    if len(hidden) == 1:
        visible = [(c.count, key) for key, c in cells.items() if not c.hidden and c.count > 0]
        if visible:
            _count, key = min(visible, key=lambda item: item[0])
            cells[key] = Cell(count=cells[key].count, hidden=True)
    return cells


def percent(part: int, whole: int, *, of_people: bool = True) -> str:
    """A rounded percentage, or "not shown" when it would reveal a small number of people.

    Shares of people also hide when the rest is small ("all but 2"); rates of events
    (attendances) hide only when the events themselves are few.
    """
    if whole == 0:
        return "–"
    if is_small(part) or is_small(whole) or (of_people and is_small(whole - part)):
        return "not shown"
    return f"{round(100 * part / whole)}%"
