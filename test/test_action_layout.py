# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Conversion finds a parallel gripper's mirrored finger and its two-valued command."""

from __future__ import annotations

import numpy as np

from nf_policy_ros.data.action_layout import Mirror, detect_layout
from nf_policy_ros.tools.bag_to_dataset import layout_advice


def gripper_actions(ticks: int = 200) -> np.ndarray:
    """(N, 4): a moving arm joint, a still joint, a +-0.04 m finger and its mirror."""
    rng = np.random.default_rng(0)
    arm = np.cumsum(rng.normal(0, 0.01, ticks))
    still = np.full(ticks, 0.3)
    finger = np.where(np.arange(ticks) % 50 < 25, 0.04, -0.04)
    return np.stack([arm, still, finger, -finger], 1).astype(np.float32)


def test_a_mirrored_finger_and_a_binary_command_are_found():
    layout = detect_layout(gripper_actions())
    assert layout.mirrors == [Mirror(3, 2, -1.0)]
    assert layout.discrete == [2]  # the still joint is neither; the mirror is not counted


def test_a_near_mirror_is_not_a_mirror():
    actions = gripper_actions()
    actions[::7, 3] += 0.001  # 1 % of the range off on some ticks
    layout = detect_layout(actions)
    assert layout.mirrors == []
    assert layout.discrete == [2]  # the perturbed joint takes more than 3 values


def test_the_advice_names_the_joints_and_the_settings():
    meta = {'joint_names': ['arm', 'wrist', 'finger_r', 'finger_l'],
            'action_layout': detect_layout(gripper_actions()).to_meta()}
    line = layout_advice(meta)
    assert 'finger_l = -1 * finger_r' in line
    assert 'actions.mirror_dims=[3] actions.mirror_sources=[2]' in line
    assert 'actions.discrete_dims=[2]' in line
    assert '\n' not in line
    assert layout_advice({'joint_names': ['a'], 'action_layout':
                          {'mirrors': [], 'discrete': []}}) == ''
