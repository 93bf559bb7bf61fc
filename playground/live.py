"""Live training without streamlit: a worker thread advances any run object in time slices and publishes
immutable snapshots that a page can draw at its own pace.

A run is anything `Steppable`: `step`, `diverged`, `config`, `train(steps)`, `snapshot()` and
`reconfigure(config)`. The worker never touches streamlit; it stops itself when nobody has looked at its
snapshots for `idle_timeout` seconds, so a closed tab stops costing CPU. A `Scheduler` shared by every session
of one server hands out training slices in turn, so that one session cannot starve the others.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol


class Steppable(Protocol):
    """What a live view plays. `config` is the run's settings object (a frozen dataclass of `knob` fields);
    `reconfigure(config)` takes the new settings' live fields in place and returns the names it changed (the
    restart fields it leaves alone: a changed one needs a new run)."""

    step: int
    diverged: str | None
    config: Any

    def train(self, steps: int) -> dict[str, float]: ...

    def snapshot(self) -> dict[str, Any]: ...

    def reconfigure(self, config: Any) -> list[str]: ...


SLICE_SECONDS = 0.04       # training time a run gets before it yields its turn: short enough for 25 turns a second
SNAPSHOT_INTERVAL = 0.06   # at most ~16 snapshots a second, and only when a reader asked: the view redraws at ~12/s
PAUSE_WAIT = 1.0           # seconds Pause waits for the worker's last slice (one slice is ~SLICE_SECONDS)
IDLE_TIMEOUT = 15.0        # seconds without a reader after which a playing run pauses itself
RATE_SMOOTHING = 0.3       # weight of the newest measurement in the it/s estimate
RATE_WINDOW = 0.25         # seconds a measurement spans: per slice, a paced run's short catch-up slices read 500 it/s


class Scheduler:
    """Round-robin training turns for every live run of one server process (one GIL).

    Only one run trains at a time; a run releases its turn after one slice and queues again behind the others,
    so N sessions each get about 1/N of the training time instead of fighting over the GIL.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[int] = []

    def turn(self) -> _Turn:
        return _Turn(self)

    def _acquire(self, ticket: int) -> None:
        with self._condition:
            self._queue.append(ticket)
            self._condition.wait_for(lambda: self._queue[0] == ticket)

    def _release(self, ticket: int) -> None:
        with self._condition:
            self._queue.remove(ticket)
            self._condition.notify_all()


class _Turn:
    def __init__(self, scheduler: Scheduler):
        self.scheduler = scheduler
        self.ticket = id(self)

    def __enter__(self) -> None:
        self.scheduler._acquire(self.ticket)

    def __exit__(self, *exc) -> None:
        self.scheduler._release(self.ticket)


class LiveRun:
    """A run plus the thread that trains it while playing. All access to the run goes through `lock`."""

    def __init__(self, run: Steppable, scheduler: Scheduler | None = None, *,
                 snapshot_interval: float = SNAPSHOT_INTERVAL, idle_timeout: float = IDLE_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        """`clock` (seconds) and `sleep` time everything: idle timeout, snapshot interval, slice length, it/s and
        the speed limit's pacing; tests pass a fake pair so that rates come out the same on a loaded machine."""
        self.run = run
        self.scheduler = scheduler or Scheduler()
        self.lock = threading.RLock()
        self.snapshot_interval = snapshot_interval
        self.idle_timeout = idle_timeout
        self._clock, self._sleep = clock, sleep
        self.steps_per_second = 0.0
        self.max_rate: float | None = None  # steps per second at most (slow motion for a lecture); None: all it can
        self._pace_mark: tuple[float, int] | None = None  # (time, step) the speed limit counts from
        self.error: str | None = None       # an unexpected exception in the worker, as a message
        self.stopped_idle = False           # paused itself because nobody was watching
        self._playing = threading.Event()
        self._wanted = threading.Event()    # a reader asked for a fresh snapshot since the last one
        self._closed = False
        self._thread: threading.Thread | None = None
        self._last_read = self._clock()
        self._snapshot = self._take_snapshot()
        self._snapshot_time = self._clock()

    # --- control -------------------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self._playing.is_set()

    def play(self) -> None:
        if self._closed or self.run.diverged or self.error:
            return
        self.stopped_idle = False
        self._last_read = self._clock()
        self._pace_mark = None
        self._playing.set()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="gan-playground-live", daemon=True)
            self._thread.start()

    def pause(self, wait: float = PAUSE_WAIT) -> None:
        """Stop playing, and wait (up to `wait` seconds) for the worker to finish the slice it is training and
        publish the step it stopped at: the page redrawn after Pause then shows the run's real step, and a Step
        after Pause adds exactly one (the Many-seeds page showed 257, then 262 after one Step: its last slice
        ended after the Pause redraw)."""
        self._playing.clear()
        thread = self._thread
        if wait > 0 and thread is not None and thread is not threading.current_thread():
            thread.join(wait)

    def set_max_rate(self, rate: float | None) -> None:
        """Train at most `rate` steps a second while playing (None or 0: as fast as the machine allows)."""
        rate = float(rate) if rate else None
        if rate != self.max_rate:
            self.max_rate, self._pace_mark = rate, None

    def close(self, timeout: float = 2.0) -> None:
        """Stop the worker for good (the session ended or the run was replaced)."""
        self._closed = True
        self._playing.clear()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def advance(self, steps: int = 1) -> None:
        """Train `steps` steps now, in the caller's thread (the Step button)."""
        self.apply(lambda run: run.train(steps))

    def apply(self, action: Callable[[Steppable], Any]) -> Any:
        """Run `action(run)` under the lock (a live setting, a single critic step), then refresh the snapshot."""
        with self.lock:
            try:
                result = action(self.run)
            except Exception as error:  # a bad setting must not kill the page
                self._fail(error)
                return None
            self._publish()
        return result

    # --- reading -------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The latest published snapshot; reading it tells the worker that somebody is watching and wants the
        next one (snapshots are drawn on demand: no reader, no snapshot cost)."""
        self._last_read = self._clock()
        self._wanted.set()
        return self._snapshot

    @property
    def step(self) -> int:
        return self.run.step

    @property
    def diverged(self) -> str | None:
        return self.run.diverged

    # --- the worker ----------------------------------------------------------------------------------

    def _loop(self) -> None:
        chunk = 1
        while self._playing.is_set() and not self._closed:
            if self._clock() - self._last_read > self.idle_timeout:
                self.stopped_idle = True
                self._playing.clear()
                break
            limit = self.max_rate
            if limit:
                chunk = max(1, min(chunk, int(limit * SLICE_SECONDS)))
            with self.scheduler.turn(), self.lock:
                if not self._playing.is_set() or self._closed:  # paused while it waited for its turn
                    break
                started, first = self._clock(), self.run.step
                try:
                    self.run.train(chunk)
                except Exception as error:
                    self._fail(error)
                    break
                elapsed = self._clock() - started
                done = self.run.step - first
                if self.run.diverged:
                    self._playing.clear()
                if elapsed > 0 and done > 0:
                    rate = done / elapsed
                    chunk = max(1, min(10_000, int(rate * SLICE_SECONDS)))
                due = self._clock() - self._snapshot_time >= self.snapshot_interval
                if (due and self._wanted.is_set()) or not self.playing:
                    self._wanted.clear()
                    self._publish()
            self._measure_rate()
            if limit:
                self._pace(limit)
            time.sleep(0)  # let the server thread (and other sessions) in between slices
        self._measure_rate(last=True)
        self._publish_locked()

    def _pace(self, limit: float) -> None:
        """Sleep (outside the lock and the scheduler) until the steps trained since the mark are due at `limit`
        steps a second; Pause, Close or a new limit cut the sleep short. A run that falls behind by more than a
        step (or 0.1 s) starts counting afresh instead of catching up in a burst."""
        now, step = self._clock(), self.run.step
        behind = None if self._pace_mark is None else now - self._pace_mark[0] - (step - self._pace_mark[1]) / limit
        if behind is None or behind > max(0.1, 1 / limit):
            self._pace_mark = (now, step)
            return
        due = self._pace_mark[0] + (step - self._pace_mark[1]) / limit
        while self._playing.is_set() and not self._closed and self.max_rate == limit:
            left = due - self._clock()
            if left <= 0:
                break
            self._sleep(min(left, 0.05))

    def _measure_rate(self, last: bool = False) -> None:
        """Update the smoothed it/s over windows of at least RATE_WINDOW seconds (any span for the `last` one,
        when the worker stops)."""
        now, step = self._clock(), self.run.step
        previous = getattr(self, "_rate_mark", None)
        if previous is not None and now - previous[0] < (0 if last else RATE_WINDOW):
            return
        self._rate_mark = (now, step)
        if previous is None or now - previous[0] <= 0:
            return
        rate = (step - previous[1]) / (now - previous[0])
        self.steps_per_second = rate if self.steps_per_second == 0 else (
            RATE_SMOOTHING * rate + (1 - RATE_SMOOTHING) * self.steps_per_second)

    def _take_snapshot(self) -> dict[str, Any]:
        return self.run.snapshot()

    def _publish(self) -> None:
        try:
            self._snapshot = self._take_snapshot()
        except Exception as error:
            self._fail(error)
        self._snapshot_time = self._clock()

    def _publish_locked(self) -> None:
        with self.lock:
            self._publish()
        self._rate_mark = None

    def _fail(self, error: BaseException) -> None:
        self._playing.clear()
        self.error = f"{type(error).__name__}: {error}"
