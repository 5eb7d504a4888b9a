"""Financial-year quarters as commissioners count them: January–March is quarter 4."""

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Quarter:
    start: datetime.date

    @classmethod
    def containing(cls, day: datetime.date) -> "Quarter":
        return cls(datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))

    @classmethod
    def starting(cls, day: datetime.date) -> "Quarter":
        quarter = cls.containing(day)
        if quarter.start != day:
            raise ValueError(f"{day} is not the first day of a quarter")
        return quarter

    @property
    def end(self) -> datetime.date:
        return self.next().start - datetime.timedelta(days=1)

    def next(self) -> "Quarter":
        year, month = self.start.year, self.start.month + 3
        if month > 12:
            year, month = year + 1, month - 12
        return Quarter(datetime.date(year, month, 1))

    def previous(self) -> "Quarter":
        year, month = self.start.year, self.start.month - 3
        if month < 1:
            year, month = year - 1, month + 12
        return Quarter(datetime.date(year, month, 1))

    @property
    def financial_year(self) -> str:
        first = self.start.year if self.start.month >= 4 else self.start.year - 1
        return f"{first}/{str(first + 1)[-2:]}"

    @property
    def number(self) -> int:
        return {4: 1, 7: 2, 10: 3, 1: 4}[self.start.month]

    @property
    def label(self) -> str:
        return (
            f"Q{self.number} {self.financial_year} ({self.start:%-d %B %Y} to {self.end:%-d %B %Y})"
        )

    @property
    def key(self) -> str:
        return self.start.isoformat()


def completed_quarters(today: datetime.date, count: int = 8) -> list[Quarter]:
    """The most recent quarters that have ended by `today`, newest first."""
    quarter = Quarter.containing(today).previous()
    found = []
    for _ in range(count):
        found.append(quarter)
        quarter = quarter.previous()
    return found
