# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Start only what can finish: a long grid's trainings against a session's deadline.

A session's checkout need not survive into the next one, so a training still under way
when the session ends may be lost. The pace of each network (seconds per training step)
is measured on this machine by the training itself, as the mean over every step it has
trained in this process (a minute of load beside it, one slow window, moves the mean
little; a pace from the last window alone once ended an hour-old training); after every
``PROBE_STEPS`` steps the rest of the training and its evaluation are projected at that
pace, and a training that cannot finish before the deadline stops (its checkpoint saved)
so the time goes to jobs that can. Once a
network's pace is known, a job of it that cannot finish is not started at all. Machines
differ (one session's CPU trained Diffusion Policy 2x slower than another's), so a pace
is never taken from the records of another machine.
"""

from __future__ import annotations

import time

from benchmarks.pages import report

PROBE_STEPS = 100  # [steps] between projections (the first one after this many)
TIME_MARGIN = 1.1  # on the projected training time
EVAL_ALLOWANCE_S = 600.0  # [s] default: one evaluation of 50 start states on a slow core


class OutOfTimeError(Exception):
    """A job that cannot finish before the deadline, left for a later session."""

    def __init__(self, minutes_needed: float, minutes_left: float) -> None:
        super().__init__(f'needs ~{minutes_needed:.0f} min, {minutes_left:.0f} left')


class Pace:
    """Seconds per training step of each network (by run name), measured in this
    process, and the seconds one evaluation is allowed after a training."""

    def __init__(self, eval_allowance_s: float | None = None) -> None:
        self.seconds_per_step: dict[str, float] = {}
        self.eval_allowance_s = EVAL_ALLOWANCE_S if eval_allowance_s is None \
            else eval_allowance_s

    def minutes_needed(self, network: str, steps_left: int) -> float | None:
        """[min] to train ``steps_left`` more steps of ``network`` and evaluate it; None
        before its pace is measured."""
        rate = self.seconds_per_step.get(network)
        if rate is None:
            return None
        return (steps_left * rate * TIME_MARGIN + self.eval_allowance_s) / 60.0


class TrainingWatch:
    """What one job's training watches: ``is_set()`` (the trainer's stop) is true once
    the session's ``deadline`` passes or the training was ``deferred``; ``on_step(n)``
    (the trainer's callback after its n-th step) measures the pace (the mean since the
    first step it saw) and, every PROBE_STEPS steps, defers the training when the
    projection says it and its evaluation cannot finish before the deadline (unless
    ``defer`` is False: then it trains until the deadline, its checkpoint kept for a
    later session)."""

    def __init__(self, deadline: report.Deadline, pace: Pace, network: str,
                 total_steps: int, defer: bool = True) -> None:
        self.deadline, self.pace, self.network = deadline, pace, network
        self.total_steps, self.defer = total_steps, defer
        self.deferred: OutOfTimeError | None = None
        self._start: tuple[int, float] | None = None  # (step, perf_counter) of the first step
        self._probed = 0  # the step of the last projection

    def is_set(self) -> bool:
        return self.deferred is not None or self.deadline.is_set()

    def on_step(self, step: int) -> None:
        now = time.perf_counter()
        if self._start is None:
            self._start, self._probed = (step, now), step
            return
        first, then = self._start
        if step - self._probed < PROBE_STEPS:
            return
        self.pace.seconds_per_step[self.network] = (now - then) / (step - first)
        self._probed = step
        needed = self.pace.minutes_needed(self.network, self.total_steps - step)
        if self.defer and needed is not None and needed > self.deadline.minutes_left():
            self.deferred = OutOfTimeError(needed, self.deadline.minutes_left())
