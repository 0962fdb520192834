# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The simulated robot (ROS-free): seeded starts, experts, joint-space replay, rendering."""

from __future__ import annotations

import numpy as np
import pytest
import torch

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


def test_object_offset_moves_object_and_goal_together_and_keeps_the_arm(pick_place):
    """pick-place randomizes object and goal: both move by the offset, so the object-goal
    spacing its reset enforces is kept; the arm's start does not change."""
    pick_place.reset(3)
    normal, arm = pick_place.low_dim_observation(), pick_place.joint_positions()
    pick_place.reset(3, object_offset=[0.2, 0.0, 0.0])
    moved = pick_place.low_dim_observation()
    obj, goal = slice(4, 7), slice(36, 39)  # Meta-World's observation layout
    np.testing.assert_allclose(moved[obj] - normal[obj], [0.2, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(moved[goal] - normal[goal], [0.2, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(pick_place.joint_positions(), arm, atol=1e-3)
    pick_place.reset(3)
    np.testing.assert_allclose(pick_place.low_dim_observation(), normal, atol=1e-6)
    with pytest.raises(ValueError, match='object_offset'):
        pick_place.reset(3, object_offset=[0.2, 0.0])


def test_expert_demos_succeed(pick_place):
    demos = [run_expert(pick_place, seed) for seed in SEEDS]
    assert all(d.expert_success for d in demos)
    assert all(d.arm.shape == (len(d.gripper) + 1, 7) for d in demos)


def test_joint_position_replay_of_expert_demos_succeeds(pick_place):
    """The arm driven only by joint targets (weld off) solves the task like the expert."""
    successes = sum(replay(pick_place, run_expert(pick_place, seed)) for seed in SEEDS)
    assert successes >= 4, f'{successes}/5 replays succeeded'


@pytest.mark.parametrize('name,least', [('lever-pull', 1), ('basketball', 3), ('assembly', 3),
                                        ('peg-insert-side', 3), ('bin-picking', 3)])
def test_contact_rich_tasks_replay_with_their_servo_bandwidth(name, least):
    """The benchmark tasks that push against objects need the stiffer servos of TASK_OMEGA;
    at the default bandwidth every one of these replays failed."""
    task = JointTask(TaskConfig(task=name))
    successes = sum(replay(task, run_expert(task, seed)) for seed in range(4))
    task.close()
    assert successes >= least, f'{name}: {successes}/4 replays succeeded'


def test_a_physics_blow_up_is_reported_until_the_next_reset():
    """A 3 rad jump of every joint target at the stiffest servo makes MuJoCo reset its state
    mid-step; the task says so (rollouts count the episode as a failure)."""
    task = JointTask(TaskConfig(task='peg-insert-side'))
    task.reset(0)
    for _ in range(5):
        task.step(task.start_targets())
    assert not task.diverged
    far = task.start_targets()
    far[:7] += 3.0
    task.step(far)
    assert task.diverged
    task.reset(0)
    assert not task.diverged
    task.close()


def test_holding_the_start_pose_does_not_solve_the_task(pick_place):
    """A do-nothing policy is the baseline any trained policy must beat."""
    pick_place.reset(0)
    start = pick_place.joint_positions()[:7].copy()
    solved = any(pick_place.step(pick_place.start_targets()) for _ in range(60))
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


def test_recorded_demo_episode_and_a_closed_loop_rollout(tmp_path):
    """Demos recorded in joint space train a (tiny) NF-P that then drives the arm in the
    loop: an end-to-end smoke run of the in-process path, not a success-rate claim."""

    task = JointTask(TaskConfig(task='pick-place', image_height=32, image_width=32))
    try:
        _train_and_roll_out(task, tmp_path)
    finally:
        task.close()


def _train_and_roll_out(task, tmp_path):
    from benchmarks.protocol.actors import NFPActor
    from nf_policy_ros.config import (
        ActionConfig,
        EncoderConfig,
        FlowConfig,
        NFPConfig,
        SamplingConfig,
        TrainConfig,
    )
    from nf_policy_ros.core.checkpoint import load_policy
    from nf_policy_ros.core.training import run_training
    from nf_policy_ros.data.windows import WindowDataset
    from nf_policy_ros.sim.rollout import interpolate_chunk, record_demo, run_policy

    episode = record_demo(task, seed=1)
    assert episode is not None
    assert episode.images.shape[1:] == (1, 3, 32, 32)
    assert episode.state.shape[1] == 9 and episode.actions.shape[1] == 9
    config = NFPConfig(encoder=EncoderConfig(image_height=32, image_width=32, state_dim=9,
                                             num_keypoints=8, context_dim=32),
                       actions=ActionConfig(action_dim=9, horizon=4, stride=4),
                       flow=FlowConfig(num_layers=2, hidden_units=32, hidden_blocks=1),
                       train=TrainConfig(stage_steps=(5,), stage_lr=(1e-3,),
                                         stage_batch_size=(8,), warmup_steps=1))
    data = WindowDataset([episode], config.actions)
    result = run_training(config, data, data, tmp_path, {}, progress=False)
    policy, _ = load_policy(result.policy_path)
    actor = NFPActor(policy, SamplingConfig(num_candidates=8), torch.Generator().manual_seed(0))
    rollout = run_policy(task, actor, seed=7, max_steps=12)
    assert rollout.steps == 12 and len(rollout.confidence) == 3
    assert all(0.0 <= c <= 1.0 for c in rollout.confidence)
    chunk = np.array([[0.0], [4.0], [8.0]])
    assert interpolate_chunk(chunk, 4, 6)[:, 0].tolist() == [0, 1, 2, 3, 4, 5]
