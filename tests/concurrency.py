"""Two people acting at the same moment, each on their own PostgreSQL connection.

Tests using this need `@pytest.mark.django_db(transaction=True)` so that each thread sees
what the others commit. Races are made deterministic rather than left to luck: a `Gate`
holds one named thread at a chosen function until the test opens it, and
`Race.wait_until_blocked_or_done` waits until the other thread is either queued behind a row
lock in PostgreSQL or has finished (which, before a fix, is how a missing lock shows).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections
from django.test import Client

TIMEOUT = 20


@dataclass
class Outcome:
    """What one thread's call returned, or the exception it raised."""

    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def signed_in(user) -> Client:
    """A browser of its own for `user` (two people, two clients)."""
    client = Client()
    client.force_login(user)
    return client


def lock_waiters() -> int:
    """How many other connections to the test database are waiting for a lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Race:
    """Start each named call in its own thread, released together by a barrier.

    Use as a context manager: the threads run inside the block (where the test can hold and
    release gates) and have all finished when it ends. `race["name"]` is that call's Outcome.
    """

    def __init__(self, **calls: Callable[[], object]):
        self._calls = calls
        self._barrier = threading.Barrier(len(calls))
        self.outcomes: dict[str, Outcome] = {}
        self._threads = {
            name: threading.Thread(target=self._run, args=(name, call), name=name, daemon=True)
            for name, call in calls.items()
        }

    def _run(self, name: str, call: Callable[[], object]) -> None:
        try:
            self._barrier.wait(TIMEOUT)
            self.outcomes[name] = Outcome(value=call())
        except BaseException as error:  # the test inspects whatever happened
            self.outcomes[name] = Outcome(error=error)
        finally:
            connections.close_all()

    def __enter__(self) -> "Race":
        for thread in self._threads.values():
            thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        for thread in self._threads.values():
            thread.join(TIMEOUT)
        stuck = [name for name, thread in self._threads.items() if thread.is_alive()]
        assert not stuck, f"still running after {TIMEOUT}s: {stuck}"

    def __getitem__(self, name: str) -> Outcome:
        return self.outcomes[name]

    def wait_at(self, gate: "Gate") -> None:
        """Wait until the gated thread is held at `gate` (failing at once if it ended first)."""
        name = gate.thread
        deadline = time.monotonic() + TIMEOUT
        while not gate.reached.wait(0.02):
            if not self._threads[name].is_alive():
                gate.open()
                raise AssertionError(f"{name} ended before the gate: {self.outcomes.get(name)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} never reached the gate")

    def wait_until_blocked_or_done(self, name: str, waiters: int = 1) -> None:
        """Wait until thread `name` has finished, or `waiters` connections wait on a lock."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if not self._threads[name].is_alive() or lock_waiters() >= waiters:
                return
            time.sleep(0.02)
        raise AssertionError(f"{name} neither finished nor waited on a lock")

    def errors(self) -> list[BaseException]:
        return [outcome.error for outcome in self.outcomes.values() if outcome.error]

    def values(self) -> list[object]:
        return [outcome.value for outcome in self.outcomes.values() if outcome.ok]


def race(**calls: Callable[[], object]) -> Race:
    """Run the calls at the same moment and wait for them all."""
    with Race(**calls) as running:
        pass
    return running


class Gate:
    """Holds the thread named `thread` when it calls `owner.attribute` (before the call, or
    after it returns with `after=True`) until the test calls `open()`. Other threads, and the
    same thread's later calls once opened, pass straight through."""

    def __init__(self, monkeypatch, owner, attribute: str, *, thread: str, after: bool = False):
        self.thread = thread
        self.reached = threading.Event()
        self._opened = threading.Event()
        original = getattr(owner, attribute)

        def gated(*args, **kwargs):
            holding = threading.current_thread().name == thread and not self._opened.is_set()
            if holding and not after:
                self._hold()
            result = original(*args, **kwargs)
            if holding and after:
                self._hold()
            return result

        monkeypatch.setattr(owner, attribute, gated)

    def _hold(self) -> None:
        self.reached.set()
        if not self._opened.wait(TIMEOUT):
            raise TimeoutError("the gate was never opened")

    def then(self, call: Callable[[], object]) -> Callable[[], object]:
        """`call`, started only once this gate holds its thread (e.g. holding a row lock)."""

        def later():
            if not self.reached.wait(TIMEOUT):
                raise TimeoutError("the gate was never reached")
            return call()

        return later

    def open(self) -> None:
        self._opened.set()
