# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Takeover: a human teleoperates through the policy node instead of the policy (no ROS).

A takeover begins when the ``takeover`` gate closes or an operator asks for one, and ends
when the operator releases it (or the output is disarmed). While it is active the node
publishes no plan of its own and forwards the teleop source's commands to its trajectory
outputs, under the rules its own plans follow. Safe under message loss: a command is
forwarded once, on arrival, never replayed; one stamped before the takeover began or older
than ``max_age_s`` is dropped (a zero stamp, "start now", is judged by its arrival alone).

``Takeover`` holds the state (thread-safe: the inference thread and the executor both use
it); ``teleop_plan`` turns one command into a ``Plan`` (``teleop_plan_of``: from a
duck-typed JointTrajectory).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import threading

import numpy as np

from nf_policy_ros.config import require
from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.runtime.plan import Plan, clamp_positions, finite_difference_velocities


@dataclass(frozen=True)
class TakeoverState:
    """One takeover: why it began and when, on the control clock and on the ROS clock
    (header stamps are compared with the latter) [s]."""

    cause: str  # 'operator', or 'gate: <why the gate closed>'
    since_control_s: float
    since_ros_s: float


class Takeover:
    """Whether a takeover is active (``state``: None when not)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: TakeoverState | None = None

    @property
    def state(self) -> TakeoverState | None:
        with self._lock:
            return self._state

    @property
    def active(self) -> bool:
        return self.state is not None

    def begin(self, cause: str, control_s: float, ros_s: float) -> bool:
        """Start a takeover for ``cause`` at ``control_s`` / ``ros_s`` [s]; False if one is
        active already (it keeps its cause and start)."""
        with self._lock:
            if self._state is not None:
                return False
            self._state = TakeoverState(cause, control_s, ros_s)
            return True

    def end(self) -> TakeoverState | None:
        """End the takeover; returns the one that ended (None if none was active)."""
        with self._lock:
            ended, self._state = self._state, None
            return ended

    def stale_reason(self, stamp_s: float, ros_now_s: float, max_age_s: float) -> str:
        """Why a teleop command stamped ``stamp_s`` [s, ROS clock; 0 = none], arriving at
        ``ros_now_s``, must be dropped ('' to forward it): no takeover, stamped before the
        takeover began, or older than ``max_age_s``."""
        state = self.state
        if state is None:
            return 'no takeover is active'
        if stamp_s == 0.0:
            return ''
        if stamp_s < state.since_ros_s:
            return (f'header.stamp={stamp_s:.3f} is stale: expected a command stamped after '
                    f'the takeover began ({state.since_ros_s:.3f})')
        age = ros_now_s - stamp_s
        if age > max_age_s:
            return (f'header.stamp={stamp_s:.3f} is stale: expected at most '
                    f'takeover.max_teleop_age_s={max_age_s} s old, got {age:.3f} s')
        return ''


def teleop_plan(joint_names: Sequence[str], positions: Sequence[Sequence[float]],
                times: Sequence[float], robot_joint_names: Sequence[str],
                measured: np.ndarray, safety: SafetyConfig) -> Plan:
    """One teleop command as a plan in the policy's joint order, under the node's rules.

    :param joint_names: (K,) the command's joint names: each of the policy's joints (robot
        names, ``robot_joint_names``, D of them) exactly once, in any order.
    :param positions: (T, K) positions [rad or m] of its T >= 1 points.
    :param times: (T,) their ``time_from_start`` [s], >= 0 and strictly increasing.
    :param measured: (D,) the measured positions, policy order (``max_step_rad`` starts
        there).
    :return: the plan (T, D): joint limits and ``max_step_rad`` applied, velocities by
        finite differences (the command's own are not used: they would not match clamped
        positions), zero at the last point.
    :raises ConfigError: one line naming the field, its value and the expectation.
    """
    names, robot = list(joint_names), list(robot_joint_names)
    require(sorted(names) == sorted(robot), 'teleop joint_names', names,
            f'each of the policy joints {robot} once')
    require(len(times) >= 1, 'teleop points', [], 'at least one point')
    table = np.asarray([list(point) for point in positions], dtype=np.float64)
    require(table.shape == (len(times), len(names)), 'teleop points.positions',
            [len(point) for point in positions], f'{len(names)} values per point')
    require(bool(np.isfinite(table).all()), 'teleop points.positions', 'non-finite',
            'finite positions')
    stamps = np.asarray(times, dtype=np.float64)
    require(bool(stamps[0] >= 0 and np.all(np.diff(stamps) > 0)),
            'teleop points.time_from_start', stamps.round(3).tolist(),
            '>= 0 s and strictly increasing')
    ordered = table[:, [names.index(name) for name in robot]]
    clamped = clamp_positions(ordered, measured, safety)
    return Plan(clamped, finite_difference_velocities(clamped, stamps), stamps)


def stamp_seconds(stamp) -> float:
    """A builtin_interfaces/Time (duck-typed ``sec``, ``nanosec``) in seconds."""
    return stamp.sec + stamp.nanosec * 1e-9


def teleop_plan_of(msg, robot_joint_names: Sequence[str], measured: np.ndarray,
                   safety: SafetyConfig) -> Plan:
    """``teleop_plan`` of a JointTrajectory (duck-typed: ``joint_names``, ``points`` with
    ``positions`` and ``time_from_start``)."""
    return teleop_plan(list(msg.joint_names), [list(p.positions) for p in msg.points],
                       [stamp_seconds(p.time_from_start) for p in msg.points],
                       robot_joint_names, measured, safety)
