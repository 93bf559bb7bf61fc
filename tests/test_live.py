"""The live runner: a worker thread that trains while playing, publishes snapshots on demand, stops itself
when nobody watches or the run diverges, and shares the CPU fairly between sessions. Rates, pacing and idle
timeouts run on a fake clock (tests/fake_clock.py): exact on a loaded machine, and no real waiting."""

from __future__ import annotations

import math
import threading
import time

import pytest
from fake_clock import FakeClock

from playground.live import SLICE_SECONDS, LiveRun, Scheduler

STEP_COST = 0.0005  # seconds a Counter step takes


class Counter:
    """A run whose step costs 0.5 ms (of `clock`'s time when given one, else of real time); it can be told to
    diverge or to fail."""

    def __init__(self, clock: FakeClock | None = None, diverge_at: int | None = None, fail_at: int | None = None):
        self.step, self.diverged, self.snapshots = 0, None, 0
        self.diverge_at, self.fail_at = diverge_at, fail_at
        self._spend = clock.advance if clock is not None else time.sleep

    def train(self, steps: int) -> dict[str, float]:
        for _ in range(steps):
            if self.diverged:
                break
            if self.fail_at is not None and self.step >= self.fail_at:
                raise RuntimeError("boom")
            self._spend(STEP_COST)
            self.step += 1
            if self.diverge_at is not None and self.step >= self.diverge_at:
                self.diverged = "NaN"
        return {"step": float(self.step)}

    def snapshot(self) -> dict:
        self.snapshots += 1
        return {"step": self.step}


def on_fake_clock(run_options: dict | None = None, horizon: float = 0.0, **options) -> tuple[LiveRun, FakeClock]:
    """A LiveRun of a Counter on a fake clock that stands still at `horizon` until the test moves it on."""
    clock = FakeClock(horizon)
    live = LiveRun(Counter(clock, **(run_options or {})), clock=clock, sleep=clock.sleep, **options)
    return live, clock


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_play_trains_in_the_background_and_pause_stops_it():
    live, clock = on_fake_clock()
    live.play()
    clock.run_until(0.1)
    assert live.step > 100
    live.snapshot()
    clock.run_free()
    live.pause()
    stopped = live.step
    assert not live._thread.is_alive(), "the worker trains on after Pause"
    assert live.step == stopped
    assert live.steps_per_second == pytest.approx(1 / STEP_COST)
    live.close()


def test_pause_returns_once_the_last_slice_is_published_so_step_adds_exactly_one():
    """The page redrawn right after Pause must show the step the run stopped at. A slow run (20 ms a step,
    slices of two steps) makes the race visible: without the wait the worker was still inside its slice."""

    class SlowCounter(Counter):
        def train(self, steps: int) -> dict[str, float]:
            for _ in range(steps):
                time.sleep(0.02)
                self.step += 1
            return {"step": float(self.step)}

    for _ in range(5):
        live = LiveRun(SlowCounter())
        live.play()
        assert wait_until(lambda live=live: live.step >= 3)
        live.snapshot()
        live.pause()
        shown = live.snapshot()["step"]
        assert shown == live.step
        assert not live._thread.is_alive() and live.step == shown, "the worker trained on after Pause returned"
        live.advance(1)
        assert live.snapshot()["step"] == shown + 1
        live.close()


def test_snapshots_follow_the_reader():
    live, clock = on_fake_clock(snapshot_interval=0.0)
    run = live.run
    live.play()
    clock.run_until(0.15)
    assert run.step > 200
    unread = run.snapshots
    clock.run_until(0.35)
    assert run.snapshots == unread, "no reader, no snapshots while playing"
    live.snapshot()
    clock.run_free()
    assert wait_until(lambda: live.snapshot()["step"] > 200)
    live.close()


def test_a_run_nobody_watches_pauses_itself():
    live, clock = on_fake_clock(idle_timeout=0.3)
    live.play()
    clock.run_until(0.29)
    assert live.playing and not live.stopped_idle
    clock.run_until(1.0, stopped=lambda: not live.playing)
    assert wait_until(lambda: not live.playing, timeout=3)
    assert live.stopped_idle
    assert 0.3 < clock() <= 0.3 + SLICE_SECONDS + STEP_COST, "stops within a slice of the idle timeout"


def test_divergence_and_errors_stop_the_worker_with_a_message():
    diverging, _ = on_fake_clock({"diverge_at": 50}, horizon=math.inf)
    diverging.play()
    assert wait_until(lambda: not diverging.playing)
    assert diverging.diverged == "NaN" and diverging.step == 50
    diverging.play()  # refused: a diverged run does not restart
    assert not diverging.playing

    failing, _ = on_fake_clock({"fail_at": 30}, horizon=math.inf)
    failing.play()
    assert wait_until(lambda: failing.error is not None)
    assert "boom" in failing.error and not failing.playing
    assert failing.snapshot()["step"] >= 0, "the last snapshot stays readable"


def test_apply_and_advance_run_under_the_lock():
    live = LiveRun(Counter())
    live.advance(7)
    assert live.step == 7 and live.snapshot()["step"] == 7
    assert live.apply(lambda run: run.train(3)) == {"step": 10.0}
    assert live.apply(lambda run: 1 / 0) is None and "ZeroDivisionError" in live.error


def test_the_scheduler_shares_training_time_between_runs():
    scheduler, clock = Scheduler(), FakeClock(horizon=0.0)
    runs = [LiveRun(Counter(clock), scheduler, clock=clock, sleep=clock.sleep) for _ in range(3)]
    for live in runs:
        live.play()
    stop = threading.Event()

    def keep_watching():
        while not stop.is_set():
            for live in runs:
                live.snapshot()
            time.sleep(0.005)

    watcher = threading.Thread(target=keep_watching)
    watcher.start()
    clock.run_until(1.5)  # ~3,000 steps in all on one shared clock
    steps = [live.step for live in runs]
    stop.set()
    watcher.join()
    clock.run_free()
    for live in runs:
        live.close()
    assert min(steps) > 0.5 * max(steps), f"unfair shares: {steps}"


def test_a_speed_limit_paces_training_and_lifting_it_runs_free():
    """Slow motion for a lecture: at most `max_rate` steps a second while playing, as fast as it goes without."""
    live, clock = on_fake_clock()
    live.set_max_rate(50)
    live.play()
    clock.run_until(0.3)
    first, started = live.step, clock()
    clock.run_until(1.3)
    live.snapshot()
    paced = (live.step - first) / (clock() - started)
    assert 35 <= paced <= 60, paced  # a free-running Counter does 2,000 steps a second
    assert 35 <= live.steps_per_second <= 65, live.steps_per_second  # the it/s shown, not its catch-up slices
    live.set_max_rate(None)
    clock.run_until(1.5)
    first, started = live.step, clock()
    clock.run_until(2.0)
    free = (live.step - first) / (clock() - started)
    assert free > 5 * paced, (free, paced)
    live.set_max_rate(1)  # one step a second: Pause ends the worker's paced sleep at once
    clock.run_until(2.4)
    live.pause(wait=0)
    clock.run_until(2.45, stopped=lambda: not live._thread.is_alive())  # room for one more 0.05 s nap, no more
    live._thread.join(1.0)
    assert not live._thread.is_alive()
    live.close()


def test_gradient_norm_panel_has_at_least_two_readable_ticks_whatever_the_span():
    """Norms between 0.8 and 1.3 (or 0.15 and 6) showed a single tick ("1") on the log panel; between 0.2 and 5
    plotly's own 1-2-5 ticks read "5 2 1 5 2", 5 and 0.5 alike. Every tick is now labelled in full, and there are
    at least two."""
    import numpy as np

    from playground.figures.training import training_curves
    from playground.training import Trainer, TrainingConfig

    trainer = Trainer(TrainingConfig(batch_size=32))
    trainer.train(30)
    snapshot = trainer.snapshot()
    steps = len(snapshot["history"]["step"])
    # (the curves are decimated for drawing, so the span's ends may fall just inside low and high)
    for low, high, must_have in ((0.8, 1.3, {1.0}), (0.3, 2.0, {0.5, 1.0}), (0.2, 5.0, {0.5, 1.0, 2.0}),
                                (0.15, 6.0, {0.2, 0.5, 1.0, 2.0, 5.0})):  # 1.6 decades: one decade label
        snapshot["history"]["critic_grad_norm"] = np.linspace(low, high, steps)
        snapshot["history"]["generator_grad_norm"] = np.linspace(high, low, steps)
        axis = training_curves(snapshot)["layout"]["yaxis3"]
        ticks = axis["tickvals"]
        assert axis["type"] == "log" and must_have <= set(ticks) and all(low <= t <= high for t in ticks), ticks
        assert axis["ticktext"] == [f"{tick:g}" for tick in ticks]   # "0.5", not a bare "5"
        assert len(set(axis["ticktext"])) == len(ticks) >= 2
    snapshot["history"]["critic_grad_norm"] = np.linspace(1e-4, 10.0, steps)   # many decades: one label each
    axis = training_curves(snapshot)["layout"]["yaxis3"]
    assert "tickvals" not in axis and axis["dtick"] == 1
