"""A one-line progress report on stderr: the step, its rows, the speed and the time left.

On a terminal the line is rewritten in place; in a log (not a terminal) a line is printed
every few seconds instead, so CI output stays readable.
"""

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, stream=None, *, tty: bool | None = None, log_every: float = 5.0):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = 0.25 if self.tty else log_every
        self.began = time.monotonic()
        self.planned_total = 0  # every row the run expects to write
        self.done_total = 0
        self.step_name = ""
        self.step_total = 0
        self.step_done = 0
        self.step_began = self.began
        self.last_shown = 0.0
        self.width = 0

    def plan(self, total_rows: int) -> None:
        self.planned_total = max(total_rows, 1)

    def step(self, name: str, total_rows: int) -> None:
        self.step_name, self.step_total, self.step_done = name, max(total_rows, 0), 0
        self.step_began = time.monotonic()
        self.show(force=True)

    def advance(self, rows: int) -> None:
        self.step_done += rows
        self.done_total += rows
        self.show()

    def show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_shown < self.interval:
            return
        self.last_shown = now
        elapsed = now - self.began
        step_seconds = max(now - self.step_began, 1e-6)
        rate = self.step_done / step_seconds
        overall_rate = self.done_total / max(elapsed, 1e-6)
        left = max(self.planned_total - self.done_total, 0)
        # The first seconds (staff, referrals) say little about the speed of the rest.
        known = overall_rate > 0 and left and elapsed > 5
        eta = f"~{_clock(left / overall_rate)} left" if known else ""
        if self.step_total:
            line = (
                f"{self.step_name}: {self.step_done:,}/{self.step_total:,} rows, "
                f"{rate:,.0f} rows/s, {_clock(elapsed)} elapsed {eta}"
            ).rstrip()
        else:
            line = f"{self.step_name}, {_clock(elapsed)} elapsed"
        if self.tty:
            padding = " " * max(self.width - len(line), 0)
            self.stream.write(f"\r{line}{padding}")
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def done(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * self.width + "\r")
        self.stream.write(f"{message} ({_clock(time.monotonic() - self.began)} elapsed)\n")
        self.stream.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.began


class SilentProgress(Progress):
    """For tests: counts but prints nothing."""

    def show(self, force: bool = False) -> None:
        return

    def done(self, message: str) -> None:
        return
