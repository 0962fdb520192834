# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""From a predicted chunk to what the robot is told (nodes/policy/plan.py, no ROS)."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.runtime.plan import (
    ConfidenceGate,
    ReplanSchedule,
    hold_plan,
    make_plan,
    replan_period_s,
    sample_plan,
)

TIMES = np.array([0.1, 0.5, 0.9])
CHUNK = np.array([[1.0, 0.0], [2.0, -1.0], [4.0, -1.0]])
START = np.array([0.0, 0.0])


@pytest.mark.parametrize('t, expected', [
    (-1.0, [0.0, 0.0]),    # before the plan: where it started
    (0.0, [0.0, 0.0]),
    (0.05, [0.5, 0.0]),    # halfway from the measured start to the first point
    (0.1, [1.0, 0.0]),
    (0.3, [1.5, -0.5]),
    (0.7, [3.0, -1.0]),
    (5.0, [4.0, -1.0]),    # after the end: the last point held
])
def test_a_plan_is_sampled_linearly_from_its_start(t, expected):
    plan = make_plan(CHUNK, START, TIMES, SafetyConfig())
    assert np.allclose(sample_plan(plan, START, t), expected)


def test_a_hold_samples_to_the_measured_position_at_all_times():
    measured = np.array([0.3, -0.2])
    for t in (0.0, 0.05, 10.0):
        assert np.array_equal(sample_plan(hold_plan(measured, 0.1), measured, t), measured)


def test_non_finite_chunks_make_no_plan_and_steps_are_clamped():
    assert make_plan(np.full((3, 2), np.nan), START, TIMES, SafetyConfig()) is None
    plan = make_plan(CHUNK, START, TIMES, SafetyConfig(max_step_rad=0.5))
    assert np.allclose(plan.positions, [[0.5, 0.0], [1.0, -0.5], [1.5, -1.0]])
    assert np.all(plan.velocities[-1] == 0)


def test_gate_closes_below_threshold_and_reopens_only_above_the_hysteresis():
    gate = ConfidenceGate(threshold=0.1, hysteresis=0.05)
    assert [gate.update(c) for c in (0.5, 0.05, 0.12, 0.16, float('nan'))] == [
        True, False, False, True, False]


def test_a_debounced_gate_closes_only_after_enough_low_plans_in_a_row():
    gate = ConfidenceGate(threshold=0.1, hysteresis=0.05, debounce_plans=2)
    # one low plan (an episode's first, say) alone passes; a normal plan resets the count
    assert [gate.update(c) for c in (0.01, 0.5, 0.02, 0.03, 0.12, 0.2)] == [
        True, True, True, False, False, True]
    # a non-finite confidence does not wait for the debounce
    assert gate.update(float('nan')) is False


def test_a_plan_outside_the_training_support_closes_the_gate_at_once():
    gate = ConfidenceGate(threshold=0.1, hysteresis=0.05, debounce_plans=3)
    assert gate.update(0.0, in_support=False) is False
    # a likely plan from outside the support does not reopen it; one from inside does
    assert gate.update(0.9, in_support=False) is False
    assert gate.update(0.9, in_support=True) is True
    gate.update(0.01)
    gate.reset()
    assert gate.open and gate.low_run == 0


def test_the_gate_debounce_must_be_at_least_one_plan():
    with pytest.raises(ValueError, match='safety.gate_debounce_plans'):
        SafetyConfig(gate_debounce_plans=0)


def test_a_plan_is_published_once_its_points_have_been_followed():
    """Four points of stride 4 at 80 Hz: 0.2 s between plans; 10 Hz ticks with 0.05 s slack
    (jitter) publish at 0.0, 0.2 and 0.4; a clock jumping back or a reset plans at once."""
    period = replan_period_s(4, 4, 80.0)
    assert period == pytest.approx(0.2)
    schedule = ReplanSchedule()
    published = []
    for tick in range(6):
        now = 0.1 * tick
        if schedule.due(now, period, 0.05):
            schedule.published(now)
            published.append(round(now, 3))
    assert published == [0.0, 0.2, 0.4]
    assert not schedule.due(0.46, period, 0.05)
    assert schedule.due(0.3, period, 0.05)  # before the plan followed: another timeline
    schedule.reset()
    assert schedule.due(0.41, period, 0.05)
