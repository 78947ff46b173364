"""Fair sharing of the sandboxes among learners: one learner holds at most one sandbox, whoever already has a run
going waits behind everyone else, each learner has at most one run waiting, and a waiting run knows its place in
line (shown on the lab page)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """The outcome of asking for a sandbox: `run` (the caller holds one and must `leave`), `queued` (this learner
    already has a run waiting), `full` (the line is too long) or `timeout`; `place` is 1 for the head of the line."""

    status: str
    place: int = 0
    waited: float = 0.0


@dataclass(eq=False)
class _Ticket:
    learner: str
    seq: int


class Slots:
    """`size` sandboxes; at most `max_waiting` runs wait for one. Order: learners with nothing running first, then
    arrival. A learner has at most `per_learner` runs going and one waiting; a second waiting run is refused."""

    def __init__(self, size: int, max_waiting: int = 100, per_learner: int = 1) -> None:
        self.size, self.max_waiting, self.per_learner = size, max_waiting, per_learner
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._waiting: list[_Ticket] = []
        self._seq = itertools.count()

    def _line(self) -> list[_Ticket]:
        return sorted(self._waiting, key=lambda t: (self._running.get(t.learner, 0) > 0, t.seq))

    def _may_start(self, ticket: _Ticket, line: list[_Ticket]) -> bool:
        """A sandbox is free, this learner holds fewer than allowed, and nobody who could start is ahead."""
        if sum(self._running.values()) >= self.size:
            return False
        ready = [t for t in line if self._running.get(t.learner, 0) < self.per_learner]
        return bool(ready) and ready[0] is ticket

    def _take(self, learner: str) -> None:
        self._running[learner] = self._running.get(learner, 0) + 1

    def running(self) -> int:
        with self._cond:
            return sum(self._running.values())

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def enter(self, learner: str, timeout: float, on_wait: Callable[[int], None] | None = None) -> Entry:
        """Wait for a sandbox, at most `timeout` seconds; `on_wait(place)` hears each new place in line (it is
        called in this thread, holding no lock)."""
        start = time.monotonic()
        with self._cond:
            mine = next((t for t in self._waiting if t.learner == learner), None)
            if mine is not None:
                return Entry("queued", self._line().index(mine) + 1)
            if not self._waiting and sum(self._running.values()) < self.size and \
                    self._running.get(learner, 0) < self.per_learner:
                self._take(learner)
                return Entry("run")
            if len(self._waiting) >= self.max_waiting:
                return Entry("full", len(self._waiting) + 1)
            ticket = _Ticket(learner, next(self._seq))
            self._waiting.append(ticket)
        told, place = 0, 0
        try:
            while True:
                with self._cond:
                    line = self._line()
                    place = line.index(ticket) + 1
                    if self._may_start(ticket, line):
                        self._waiting.remove(ticket)
                        self._take(learner)
                        self._cond.notify_all()  # the next in line may have a free sandbox too
                        return Entry("run", place, time.monotonic() - start)
                    left = start + timeout - time.monotonic()
                    if left <= 0:
                        self._waiting.remove(ticket)
                        self._cond.notify_all()
                        return Entry("timeout", place, time.monotonic() - start)
                    if place == told:
                        self._cond.wait(min(left, 1.0))
                        continue
                if on_wait is not None:  # outside the lock: it may draw on a page
                    on_wait(place)
                told = place
        except BaseException:
            with self._cond:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
            raise

    def leave(self, learner: str) -> None:
        with self._cond:
            count = self._running.get(learner, 0) - 1
            if count > 0:
                self._running[learner] = count
            else:
                self._running.pop(learner, None)
            self._cond.notify_all()
