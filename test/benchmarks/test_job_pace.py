# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A training's pace and the decision to leave it for a later session (benchmarks.job_pace)."""

from __future__ import annotations

import pytest

from benchmarks.runs import job_pace


class FixedDeadline:
    """A deadline ``minutes`` away that never moves (the test's clock is its own)."""

    def __init__(self, minutes: float) -> None:
        self.minutes = minutes

    def is_set(self) -> bool:
        return False

    def minutes_left(self) -> float:
        return self.minutes


def watch_steps(monkeypatch, seconds_per_step: list[float], minutes_left: float,
                total_steps: int, defer: bool = True) -> job_pace.TrainingWatch:
    """A TrainingWatch fed one on_step per entry, each entry's seconds after the last."""
    clock = [0.0]
    monkeypatch.setattr(job_pace.time, 'perf_counter', lambda: clock[0])
    pace = job_pace.Pace(eval_allowance_s=0.0)
    watch = job_pace.TrainingWatch(FixedDeadline(minutes_left), pace, 'dp', total_steps,
                                   defer)
    for step, seconds in enumerate(seconds_per_step, start=1):
        clock[0] += seconds
        watch.on_step(step)
        if watch.is_set():
            break
    return watch


def test_one_slow_window_does_not_end_a_training_that_fits(monkeypatch):
    """1000 steps at 1 s, then 101 at 4 s (load beside it): projected at step 1101 from
    the mean (1403 s over 1100 steps) the last 899 steps take 21 min with the margin,
    inside the 40 left; the last window alone (4 s a step) would have said 66 min."""
    watch = watch_steps(monkeypatch, [1.0] * 1000 + [4.0] * 101, minutes_left=40.0,
                        total_steps=2000)
    assert watch._probed == 1101 and watch.deferred is None
    assert watch.pace.seconds_per_step['dp'] == pytest.approx(1403.0 / 1100)


def test_a_training_too_slow_for_the_deadline_is_deferred_at_the_first_projection(
        monkeypatch):
    watch = watch_steps(monkeypatch, [1.0] * 1000, minutes_left=10.0, total_steps=2000)
    assert watch.is_set()
    assert 'needs ~' in str(watch.deferred) and '10 left' in str(watch.deferred)
    # deferred at the first projection: PROBE_STEPS steps after the first it saw
    assert watch._probed == 1 + job_pace.PROBE_STEPS


def test_a_watch_that_does_not_defer_trains_until_the_deadline(monkeypatch):
    """--advance-unfinished: the same too-slow training measures its pace but goes on."""
    watch = watch_steps(monkeypatch, [1.0] * 1000, minutes_left=10.0, total_steps=2000,
                        defer=False)
    assert not watch.is_set() and watch._probed == 901
    assert watch.pace.seconds_per_step['dp'] == pytest.approx(1.0)
