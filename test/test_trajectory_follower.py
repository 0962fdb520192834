# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The sim robot's trajectory execution follows joint_trajectory_controller's rules."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.sim.trajectory import TrajectoryError, TrajectoryFollower

NAMES = ('a', 'b')


def follower() -> TrajectoryFollower:
    return TrajectoryFollower(NAMES, np.array([0.0, 1.0]))


def test_holds_the_initial_position_without_a_trajectory():
    assert follower().sample(5.0).tolist() == [0.0, 1.0]


def test_interpolates_linearly_from_now_to_the_points_then_holds_the_last():
    f = follower()
    f.set_trajectory(now=10.0, start=0.0, names=NAMES, times=np.array([1.0, 2.0]),
                     positions=np.array([[1.0, 1.0], [3.0, 0.0]]))
    assert f.sample(10.5) == pytest.approx([0.5, 1.0])
    assert f.sample(11.0) == pytest.approx([1.0, 1.0])
    assert f.sample(11.5) == pytest.approx([2.0, 0.5])
    assert f.sample(99.0) == pytest.approx([3.0, 0.0])
    assert f.end_time == pytest.approx(12.0)


def test_uses_the_header_stamp_as_start_and_drops_points_already_past():
    f = follower()
    f.set_trajectory(now=10.0, start=9.0, names=NAMES, times=np.array([0.5, 2.0]),
                     positions=np.array([[5.0, 5.0], [2.0, 3.0]]))
    # the point due at 9.5 s is past: the reference goes from (0, 1) now to the one at 11 s
    assert f.sample(10.5) == pytest.approx([1.0, 2.0])


def test_cubic_with_velocities_passes_through_points_with_their_velocity():
    f = follower()
    f.set_trajectory(now=0.0, start=0.0, names=('a',), times=np.array([1.0, 2.0]),
                     positions=np.array([[1.0], [2.0]]), velocities=np.array([[1.0], [0.0]]))
    assert f.sample(1.0)[0] == pytest.approx(1.0)
    eps = 1e-5
    slope = (f.sample(1.0 + eps)[0] - f.sample(1.0 - eps)[0]) / (2 * eps)
    assert slope == pytest.approx(1.0, abs=1e-3)
    assert 1.0 < f.sample(1.5)[0] < 2.0


def test_a_new_trajectory_replaces_the_active_one_from_the_current_reference():
    f = follower()
    f.set_trajectory(now=0.0, start=0.0, names=NAMES, times=np.array([2.0]),
                     positions=np.array([[2.0, 1.0]]))
    f.set_trajectory(now=1.0, start=0.0, names=('b',), times=np.array([1.0]),
                     positions=np.array([[3.0]]))
    # 'a' froze at its reference of t=1 (1.0); 'b' moves from 1.0 to 3.0 over [1, 2]
    assert f.sample(1.5) == pytest.approx([1.0, 2.0])
    assert f.sample(5.0) == pytest.approx([1.0, 3.0])


@pytest.mark.parametrize('kwargs, field', [
    ({'names': ('a', 'zz')}, 'joint_names'),
    ({'names': ('a', 'a')}, 'joint_names'),
    ({'times': np.array([1.0, 1.0])}, 'time_from_start'),
    ({'positions': np.array([[1.0, np.nan], [1.0, 1.0]])}, 'positions'),
    ({'positions': np.zeros((2, 3))}, 'positions'),
    ({'velocities': np.zeros((1, 2))}, 'velocities'),
    ({'start': 1.0}, 'before now'),
])
def test_refuses_bad_trajectories_naming_the_field_and_keeps_the_active_one(kwargs, field):
    f = follower()
    args = dict(now=10.0, start=0.0, names=NAMES, times=np.array([1.0, 2.0]),
                positions=np.ones((2, 2)))
    with pytest.raises(TrajectoryError, match=field):
        f.set_trajectory(**{**args, **kwargs})
    assert f.sample(20.0).tolist() == [0.0, 1.0]


def test_a_point_due_exactly_now_is_the_reference_now():
    """What a recorded path streamed with a zero stamp relies on: point 0 applies at once."""
    f = follower()
    f.set_trajectory(now=3.0, start=0.0, names=NAMES, times=np.array([0.0, 1.0]),
                     positions=np.array([[7.0, 7.0], [8.0, 8.0]]))
    assert f.sample(3.0) == pytest.approx([7.0, 7.0])
    assert f.sample(3.5) == pytest.approx([7.5, 7.5])
