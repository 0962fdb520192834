# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Tiny bags for tests, built on nf_policy_ros.data.synthetic."""

from __future__ import annotations

from nf_policy_ros.data.synthetic import TYPESTORE, image, joint_state, moving_robot, write_bag

JOINTS = ('j1', 'j2', 'j3')

__all__ = ['JOINTS', 'TYPESTORE', 'demo_messages', 'image', 'joint_state', 'write_bag']


def demo_messages(seconds: float = 3.0, camera_hz: float = 10.0, joint_hz: float = 50.0,
                  start_ns: int = 10**18, size: int = 8, phase: float = 0.0):
    """An 8x8 camera at 10 Hz and three joints at 50 Hz."""
    return moving_robot(seconds, camera_hz, joint_hz, JOINTS, (size, size), start_ns, phase)
