"""A clock for live runs that moves only when the run trains or the worker sleeps, and never past a horizon the
test sets: rates, pacing and idle timeouts then come out the same on a loaded machine, and no test waits for
them in real time."""

from __future__ import annotations

import math
import threading
import time


class FakeClock:
    """Pass `clock=FakeClock()` and `sleep=clock.sleep` to a `LiveRun`; a fake run calls `advance(cost)` per step.

    A thread that would move the clock past `horizon` waits there (parked) until the test moves the horizon on,
    so the test reads a run's state at an exact time. Release the horizon (`run_free`) before pausing or closing
    a run whose worker may be parked, or the worker cannot finish its slice.
    """

    def __init__(self, horizon: float = math.inf):
        self.now = 0.0
        self.horizon = horizon
        self._waiting: dict[int, float] = {}  # thread id -> the advance it waits to make
        self._moved = threading.Condition()

    def __call__(self) -> float:
        return self.now

    def _fits(self, seconds: float) -> bool:
        return self.now + seconds <= self.horizon + 1e-12

    @property
    def parked(self) -> bool:
        """Whether a thread waits at the current horizon."""
        return any(not self._fits(seconds) for seconds in self._waiting.values())

    def advance(self, seconds: float) -> None:
        with self._moved:
            if not self._fits(seconds):
                self._waiting[threading.get_ident()] = seconds
                self._moved.notify_all()
                self._moved.wait_for(lambda: self._fits(seconds))
                del self._waiting[threading.get_ident()]
            self.now += seconds
        time.sleep(0)  # a real sleep lets other threads in; so does this one

    sleep = advance

    def run_until(self, horizon: float, stopped=lambda: False, timeout: float = 30.0) -> None:
        """Move the horizon to `horizon` and return once a thread is parked there (or `stopped()` is true)."""
        deadline = time.monotonic() + timeout
        with self._moved:
            self.horizon = horizon
            self._moved.notify_all()
            while not (self.parked or stopped()):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"nothing reached t = {horizon} (the clock is at {self.now})")
                self._moved.wait(0.01)

    def run_free(self) -> None:
        with self._moved:
            self.horizon = math.inf
            self._moved.notify_all()


def patch_live_runs(monkeypatch, clock: FakeClock) -> None:
    """Every `LiveRun` built from now on without a clock of its own (a page's, say) runs on `clock`."""
    from playground.live import LiveRun

    monkeypatch.setitem(LiveRun.__init__.__kwdefaults__, "clock", clock)
    monkeypatch.setitem(LiveRun.__init__.__kwdefaults__, "sleep", clock.sleep)
