# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The simulated robot (ROS-free): seeded starts, experts, joint-space replay, rendering."""

from __future__ import annotations

import numpy as np
import pytest

from nf_policy_ros.sim.experts import replay, run_expert
from nf_policy_ros.sim.task import JointTask, TaskConfig, make_env

SEEDS = range(5)


@pytest.fixture(scope='module')
def pick_place():
    task = JointTask(TaskConfig(task='pick-place', image_height=84, image_width=84))
    yield task
    task.close()


def test_same_seed_same_start_other_seed_other_start(pick_place):
    pick_place.reset(3)
    first = pick_place.env._get_obs().copy()
    pick_place.reset(3)
    again = pick_place.env._get_obs().copy()
    pick_place.reset(4)
    other = pick_place.env._get_obs().copy()
    assert np.array_equal(first, again)
    assert np.abs(first - other).max() > 0.01


def test_expert_demos_succeed(pick_place):
    demos = [run_expert(pick_place, seed) for seed in SEEDS]
    assert all(d.expert_success for d in demos)
    assert all(d.arm.shape == (len(d.gripper) + 1, 7) for d in demos)


def test_joint_position_replay_of_expert_demos_succeeds(pick_place):
    """The arm driven only by joint targets (weld off) solves the task like the expert."""
    successes = sum(replay(pick_place, run_expert(pick_place, seed)) for seed in SEEDS)
    assert successes >= 4, f'{successes}/5 replays succeeded'


def test_holding_the_start_pose_does_not_solve_the_task(pick_place):
    """A do-nothing policy is the baseline any trained policy must beat."""
    pick_place.reset(0)
    start = pick_place.joint_positions()[:7].copy()
    solved = any(pick_place.step(start, -1.0) for _ in range(60))
    assert not solved
    assert np.abs(pick_place.joint_positions()[:7] - start).max() < 0.02


def test_render_has_the_configured_size_and_shows_the_scene(pick_place):
    pick_place.reset(0)
    image = pick_place.render()
    assert image.shape == (84, 84, 3) and image.dtype == np.uint8
    assert image.std() > 10, 'a blank frame means the renderer is not working'


def test_unknown_task_is_named():
    with pytest.raises(ValueError, match="task='fly' is not a Meta-World v3 task"):
        make_env('fly')
