# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""In-process (no ROS) demos and closed-loop rollouts on the simulated arm, for tests and
benchmarks. The ROS path (sim node, recorder) produces the same episodes through bags.

Policy clock = one simulator step (``JointTask.dt``). State = 7 arm joints + 2 finger slides;
action = their 9 targets (finger targets are actuator setpoints, see sim/task.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
import time

import numpy as np
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.sim.experts import run_expert
from nf_policy_ros.sim.task import JointTask
from nf_policy_ros.structs import Observation


def record_demo(task: JointTask, seed: int, lead_steps: int = 1) -> Episode | None:
    """Expert demo replayed in joint space while rendering; None unless the replay succeeds.

    Tick k holds the frame and joint state before step k and the action sent at step k.
    """
    demo = run_expert(task, seed)
    if not demo.expert_success:
        return None
    task.reset(seed, joint_control=True)
    images, states, actions = [], [], []
    for target in demo.path(lead_steps):
        images.append(task.render().transpose(2, 0, 1))
        states.append(task.joint_positions())
        actions.append(target)
        if task.step(target):
            return Episode(np.stack(images)[:, None], np.asarray(states, np.float32),
                           np.asarray(actions, np.float32), f'{task.config.task}/seed{seed}')
    return None


@dataclass
class Rollout:
    """One closed-loop episode of a policy."""

    seed: int
    success: bool = False
    steps: int = 0
    confidence: list[float] = field(default_factory=list)
    tick_ms: list[float] = field(default_factory=list)


def interpolate_chunk(chunk: np.ndarray, stride: int, count: int) -> np.ndarray:
    """(T_a, D) points at offsets 0, S, 2S, ... -> (count, D) per-step targets (linear)."""
    offsets = np.arange(len(chunk)) * stride
    steps = np.minimum(np.arange(count), offsets[-1])
    return np.stack([np.interp(steps, offsets, chunk[:, d]) for d in range(chunk.shape[1])],
                    axis=1)


def run_policy(task: JointTask, policy: NFPolicy, seed: int, sampling: SamplingConfig,
               execute_steps: int = 4, generator: torch.Generator | None = None,
               max_steps: int | None = None) -> Rollout:
    """Reset to ``seed``; every ``execute_steps`` steps observe, predict a chunk and follow
    its interpolated targets; stop at success or ``max_steps`` (default: the task's)."""
    max_steps = max_steps or task.config.max_steps
    result = Rollout(seed)
    task.reset(seed, joint_control=True)
    stride = policy.config.actions.stride
    device = next(policy.parameters()).device
    while result.steps < max_steps:
        start = time.perf_counter()
        frame = torch.from_numpy(task.render().transpose(2, 0, 1).copy())
        obs = Observation(frame[None, None].to(device).float() / 255.0,
                          torch.from_numpy(task.joint_positions()).float()[None].to(device))
        pred = policy.predict(obs, sampling, generator)
        result.tick_ms.append((time.perf_counter() - start) * 1e3)
        result.confidence.append(float(pred.confidence[0]))
        targets = interpolate_chunk(pred.actions[0].cpu().double().numpy(), stride,
                                    execute_steps)
        for target in targets:
            result.steps += 1
            if task.step(target):
                result.success = True
                return result
    return result
