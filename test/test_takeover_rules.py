# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Takeover state and teleop rules, without ROS (runtime/takeover.py)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from nf_policy_ros.config import ConfigError
from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.runtime.takeover import Takeover, teleop_plan, teleop_plan_of

ROBOT = ('shoulder', 'elbow', 'finger')


def test_one_takeover_at_a_time_keeps_its_cause_and_start():
    takeover = Takeover()
    assert not takeover.active and takeover.end() is None
    assert takeover.begin('gate: confidence 0.010', 5.0, 100.0)
    assert not takeover.begin('operator', 6.0, 101.0), 'already active'
    ended = takeover.end()
    assert (ended.cause, ended.since_control_s, ended.since_ros_s) == \
        ('gate: confidence 0.010', 5.0, 100.0)
    assert not takeover.active


def test_a_teleop_command_from_before_the_takeover_or_too_old_is_dropped():
    takeover = Takeover()
    assert takeover.stale_reason(100.0, 100.0, 0.25) == 'no takeover is active'
    takeover.begin('operator', 0.0, 100.0)
    assert takeover.stale_reason(100.1, 100.2, 0.25) == ''
    assert takeover.stale_reason(0.0, 500.0, 0.25) == '', 'zero stamp: judged by arrival'
    before = takeover.stale_reason(99.9, 100.0, 0.25)
    assert before.startswith('header.stamp=99.900 is stale: expected a command stamped after '
                             'the takeover began (100.000)'), before
    old = takeover.stale_reason(100.5, 101.0, 0.25)
    assert old == ('header.stamp=100.500 is stale: expected at most '
                   'takeover.max_teleop_age_s=0.25 s old, got 0.500 s'), old


def test_teleop_commands_follow_the_output_rules():
    safety = SafetyConfig(joint_lower=(-1.0, -1.0, 0.0), joint_upper=(1.0, 1.0, 0.04),
                          max_step_rad=0.2)
    measured = np.array([0.0, 0.5, 0.02])
    plan = teleop_plan(['finger', 'shoulder', 'elbow'],
                       [[0.5, 2.0, 0.5], [0.0, 0.1, 0.45]], [0.1, 0.3], ROBOT, measured,
                       safety)
    # policy order; shoulder limited to 1.0 then stepped 0.2 at most from the measured 0.0
    assert np.allclose(plan.positions, [[0.2, 0.5, 0.04], [0.1, 0.45, 0.0]])
    assert np.allclose(plan.times, [0.1, 0.3])
    assert np.allclose(plan.velocities[0], (plan.positions[1] - plan.positions[0]) / 0.2)
    assert np.allclose(plan.velocities[-1], 0.0), 'comes to rest at the end'


@pytest.mark.parametrize('names, positions, times, expected', [
    (['shoulder', 'elbow'], [[0.0, 0.0]], [0.1],
     "teleop joint_names=['shoulder', 'elbow'] is invalid: expected each of the policy "
     "joints ['shoulder', 'elbow', 'finger'] once"),
    (['shoulder', 'elbow', 'elbow'], [[0.0, 0.0, 0.0]], [0.1], 'teleop joint_names='),
    (list(ROBOT), [], [], 'teleop points=[] is invalid: expected at least one point'),
    (list(ROBOT), [[0.0, 0.0]], [0.1], 'teleop points.positions=[2] is invalid: expected 3 '
                                       'values per point'),
    (list(ROBOT), [[0.0, float('nan'), 0.0]], [0.1], 'expected finite positions'),
    (list(ROBOT), [[0.0] * 3, [0.0] * 3], [0.2, 0.2],
     'teleop points.time_from_start=[0.2, 0.2] is invalid: expected >= 0 s and strictly '
     'increasing'),
])
def test_a_teleop_command_breaking_a_rule_is_one_line_naming_it(names, positions, times,
                                                                expected):
    with pytest.raises(ConfigError) as refused:
        teleop_plan(names, positions, times, ROBOT, np.zeros(3), SafetyConfig())
    assert expected in str(refused.value) and '\n' not in str(refused.value)


def test_a_joint_trajectory_is_read_by_its_fields():
    point = SimpleNamespace(positions=[0.3, 0.1, 0.2],
                            time_from_start=SimpleNamespace(sec=0, nanosec=250_000_000))
    msg = SimpleNamespace(joint_names=['elbow', 'shoulder', 'finger'], points=[point])
    plan = teleop_plan_of(msg, ROBOT, np.zeros(3), SafetyConfig())
    assert np.allclose(plan.positions, [[0.1, 0.3, 0.2]]) and np.allclose(plan.times, [0.25])
