# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Joint references from timed trajectories, sampled the way ros2_control's
joint_trajectory_controller (JTC) samples a trajectory_msgs/JointTrajectory (no ROS here).

- The trajectory starts at its header stamp, or on arrival when the stamp is zero; each point
  is due at start + time_from_start.
- A new trajectory replaces the active one from the moment it arrives: the reference moves
  from where it is now to the first point not yet past (points already past are dropped; a
  point due exactly now is the reference now; a trajectory that ends in the past is
  refused, as JTC refuses it).
- Between points: cubic Hermite when the points carry velocities, linear otherwise.
- After the last point the reference holds it. Joints a message leaves out hold their
  current reference.

Times are seconds on the robot's clock (simulated time in the sim node).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class TrajectoryError(ValueError):
    """A trajectory the follower refuses (the message says which field and why)."""


class TrajectoryFollower:
    """The reference (J,) of every joint at any time, from the latest accepted trajectory."""

    def __init__(self, joint_names: Sequence[str], initial: np.ndarray) -> None:
        self.joint_names = tuple(joint_names)
        self._index = {name: i for i, name in enumerate(self.joint_names)}
        self.hold(initial)

    def hold(self, positions: np.ndarray) -> None:
        """Drop any trajectory and hold ``positions`` (J,)."""
        positions = np.asarray(positions, np.float64)
        self._times = np.zeros(1)
        self._positions = positions[None].copy()
        self._velocities = np.zeros_like(self._positions)
        self._cubic = False

    @property
    def end_time(self) -> float:
        """When the active trajectory reaches its last point [s]."""
        return float(self._times[-1])

    def sample(self, t: float) -> np.ndarray:
        """(J,) reference at time ``t`` [s]."""
        return self._evaluate(t)[0]

    def _evaluate(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        times = self._times
        if t <= times[0]:
            return self._positions[0].copy(), self._velocities[0].copy()
        if t >= times[-1]:
            return self._positions[-1].copy(), np.zeros(len(self.joint_names))
        k = int(np.searchsorted(times, t, side='right')) - 1
        h = times[k + 1] - times[k]
        s = (t - times[k]) / h
        p0, p1 = self._positions[k], self._positions[k + 1]
        if not self._cubic:
            return p0 + s * (p1 - p0), (p1 - p0) / h
        v0, v1 = self._velocities[k] * h, self._velocities[k + 1] * h
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        position = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
        d00, d10 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1
        d01, d11 = -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
        return position, (d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1) / h

    def set_trajectory(self, now: float, start: float, names: Sequence[str],
                       times: np.ndarray, positions: np.ndarray,
                       velocities: np.ndarray | None = None) -> None:
        """Replace the active trajectory at time ``now`` [s].

        :param start: absolute start time [s]; 0 = ``now``.
        :param names: joints the points give, any order, a subset of ``joint_names``.
        :param times: (P,) time_from_start of each point [s], strictly increasing, >= 0.
        :param positions: (P, len(names)) [rad or m].
        :param velocities: (P, len(names)) [rad/s or m/s], or None (linear interpolation).
        :raises TrajectoryError: naming the field, value and expectation; the active
            trajectory is then kept.
        """
        columns = self._columns(names)
        times, positions, velocities = _checked_points(times, positions, velocities,
                                                       len(columns))
        due = (start or now) + times
        if due[-1] <= now:
            raise TrajectoryError(f'points: the last one is due at {due[-1]:.3f} s, before '
                                  f'now ({now:.3f} s): expected a trajectory that ends in '
                                  'the future')
        keep = due >= now
        anchor = 0 if due[keep][0] == now else 1  # a point due right now starts the motion
        current, current_velocity = self._evaluate(now)
        full_positions = np.tile(current, (int(keep.sum()) + anchor, 1))
        full_positions[anchor:, columns] = positions[keep]
        full_velocities = np.tile(current_velocity, (len(full_positions), 1))
        full_velocities[anchor:] = 0.0
        if velocities is not None:
            full_velocities[anchor:, columns] = velocities[keep]
        self._times = np.concatenate([[now] * anchor, due[keep]])
        self._positions, self._velocities = full_positions, full_velocities
        self._cubic = velocities is not None

    def _columns(self, names: Sequence[str]) -> np.ndarray:
        unknown = [n for n in names if n not in self._index]
        if unknown or not names:
            raise TrajectoryError(f'joint_names={list(names)!r}: expected a non-empty subset '
                                  f'of {list(self.joint_names)}')
        if len(set(names)) != len(names):
            raise TrajectoryError(f'joint_names={list(names)!r}: expected unique names')
        return np.array([self._index[n] for n in names])


def _checked_points(times, positions, velocities, width: int):
    times = np.asarray(times, np.float64)
    positions = np.asarray(positions, np.float64)
    if times.ndim != 1 or len(times) == 0:
        raise TrajectoryError(f'points: {len(times)} given: expected at least one')
    if np.any(~np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise TrajectoryError(f'time_from_start={times.tolist()}: expected finite, >= 0 and '
                              'strictly increasing')
    if positions.shape != (len(times), width) or not np.all(np.isfinite(positions)):
        raise TrajectoryError(f'positions: shape {positions.shape}: expected '
                              f'{(len(times), width)} finite values (one per joint name)')
    if velocities is not None:
        velocities = np.asarray(velocities, np.float64)
        if velocities.shape != positions.shape or not np.all(np.isfinite(velocities)):
            raise TrajectoryError(f'velocities: shape {velocities.shape}: expected '
                                  f'{positions.shape} finite values or none')
    return times, positions, velocities
