# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Meta-World's scripted experts turned into joint-space demonstrations.

The expert drives the end effector (weld on); the arm joint positions it passes through
become the demonstration. A demonstration counts only if the expert succeeded *and* the
joint servos, replaying its joint path from the same start, succeed too.
"""

from __future__ import annotations

from dataclasses import dataclass
import warnings

import numpy as np

from nf_policy_ros.sim.task import JointTask, finger_setpoints

SETTLE_STEPS = 30


@dataclass(frozen=True)
class JointDemo:
    """One expert episode in joint space.

    :param seed: reset seed (start state).
    :param arm: (T+1, 7) arm joint positions visited [rad], start included.
    :param gripper: (T,) gripper effort per step in [-1, 1].
    :param expert_success: whether the end-effector expert solved the task.
    """

    seed: int
    arm: np.ndarray
    gripper: np.ndarray
    expert_success: bool

    def targets(self, step: int, lead_steps: int = 1) -> np.ndarray:
        """(9,) joint targets of ``step``: the arm position ``lead_steps`` ahead, finger
        setpoints of the gripper effort (both held after the end)."""
        arm = self.arm[min(step + lead_steps, len(self.arm) - 1)]
        gripper = self.gripper[min(step, len(self.gripper) - 1)]
        return np.concatenate([arm, finger_setpoints(gripper)])

    def path(self, lead_steps: int = 1) -> np.ndarray:
        """(T + SETTLE_STEPS, 9) targets of every step, settling steps included."""
        return np.stack([self.targets(k, lead_steps)
                         for k in range(len(self.gripper) + SETTLE_STEPS)])


def run_expert(task: JointTask, seed: int) -> JointDemo:
    """Run the scripted expert from ``seed`` until success or ``max_steps``."""
    from metaworld.policies import ENV_POLICY_MAP

    policy = ENV_POLICY_MAP[f'{task.config.task}-v3']()
    task.reset(seed, joint_control=False)
    env = task.env
    obs = env._get_obs()
    arm, gripper, success = [task.joint_positions()[:7]], [], False
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for _ in range(task.config.max_steps):
            action = np.clip(policy.get_action(obs), -1.0, 1.0)
            obs, _, _, _, info = env.step(action)
            arm.append(task.joint_positions()[:7])
            gripper.append(float(action[3]))
            if info['success']:
                success = True
                break
    return JointDemo(seed, np.asarray(arm), np.asarray(gripper), success)


def replay(task: JointTask, demo: JointDemo, lead_steps: int = 1) -> bool:
    """Follow the demo's joint path with the servos (target = the position ``lead_steps``
    ahead); hold the last target a little longer; True if the task is solved."""
    task.reset(demo.seed, joint_control=True)
    return any(task.step(target) for target in demo.path(lead_steps))
