# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""In-process (no ROS) demos and closed-loop rollouts on the simulated arm, for tests and
benchmarks. The ROS path (sim node, recorder) produces the same episodes through bags.

Policy clock = one simulator step (``JointTask.dt``). State = 7 arm joints + 2 finger slides;
action = their 9 targets (finger targets are actuator setpoints, see sim/task.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import time
from typing import Protocol

import numpy as np
import torch

from nf_policy_ros.core.observation import stack_observations
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.sim.experts import run_expert
from nf_policy_ros.sim.task import JointTask
from nf_policy_ros.structs import Observation


@dataclass(frozen=True)
class Action:
    """:param chunk: (B, T_a, D_a) robot units at offsets 0, S, 2S, ... policy ticks.
    :param confidence: (B,) in [0, 1], or None when the policy has no likelihood."""

    chunk: torch.Tensor
    confidence: torch.Tensor | None


class ActionPolicy(Protocol):
    """What ``run_policy`` drives: ``act(obs)`` -> a chunk of ``stride``-spaced targets;
    ``observes_images``: whether ``act`` needs the camera (else the state only). A policy
    with an optional ``obs_horizon`` T_o > 1 is given the last T_o observations, one chunk
    point (``stride`` ticks) apart (``ObservationHistory``)."""

    name: str
    stride: int
    device: torch.device
    observes_images: bool

    def act(self, obs: Observation) -> Action: ...


def task_state(task: JointTask, low_dim: bool) -> np.ndarray:
    """(9,) joint positions, or (48,) with Meta-World's low-dimensional observation after
    them (the benchmarks' state tier)."""
    joints = task.joint_positions().astype(np.float32)
    return np.concatenate([joints, task.low_dim_observation()]) if low_dim else joints


def record_demo(task: JointTask, seed: int, lead_steps: int = 1, images: bool = True,
                low_dim: bool = False) -> Episode | None:
    """Expert demo replayed in joint space; None unless the replay succeeds.

    Tick k holds the frame (if ``images``) and state before step k and the action sent at
    step k; state as ``task_state(task, low_dim)``.
    """
    demo = run_expert(task, seed)
    if not demo.expert_success:
        return None
    task.reset(seed, joint_control=True)
    frames, states, actions = [], [], []
    for target in demo.path(lead_steps):
        if images:
            frames.append(task.render().transpose(2, 0, 1))
        states.append(task_state(task, low_dim))
        actions.append(target)
        if task.step(target):
            size = (task.config.image_height, task.config.image_width)
            pixels = (np.stack(frames)[:, None] if images
                      else np.zeros((len(states), 0, 3, *size), np.uint8))
            return Episode(pixels, np.asarray(states, np.float32),
                           np.asarray(actions, np.float32), f'{task.config.task}/seed{seed}')
    return None


@dataclass
class Rollout:
    """One closed-loop episode of a policy."""

    seed: int
    success: bool = False
    steps: int = 0
    diverged: bool = False  # the physics blew up (counted as a failure)
    confidence: list[float] = field(default_factory=list)
    tick_ms: list[float] = field(default_factory=list)


def interpolate_chunk(chunk: np.ndarray, stride: int, count: int) -> np.ndarray:
    """(T_a, D) points at offsets 0, S, 2S, ... -> (count, D) per-step targets (linear)."""
    offsets = np.arange(len(chunk)) * stride
    steps = np.minimum(np.arange(count), offsets[-1])
    return np.stack([np.interp(steps, offsets, chunk[:, d]) for d in range(chunk.shape[1])],
                    axis=1)


def observe(task: JointTask, with_image: bool, low_dim: bool,
            device: torch.device) -> Observation:
    """The task's current observation for a policy, batch of one."""
    state = torch.from_numpy(task_state(task, low_dim)).float()[None].to(device)
    if not with_image:
        return Observation(None, state)
    frame = torch.from_numpy(task.render().transpose(2, 0, 1).copy())
    return Observation(frame[None, None].to(device).float() / 255.0, state)


class ObservationHistory:
    """What a policy with an observation horizon T_o sees at a re-plan tick t: the
    observations of ticks t - (T_o - 1) S, ..., t - S, t (S = ``spacing`` ticks) stacked on
    a time axis after the batch axis, oldest first; ticks before the episode's start repeat
    its first observation (as ``data.windows.WindowDataset`` does in training). With T_o = 1
    the observation of tick t as it is."""

    def __init__(self, horizon: int, spacing: int) -> None:
        self.horizon, self.spacing = horizon, spacing
        self._ticks: deque[Observation] = deque(maxlen=(horizon - 1) * spacing + 1)

    @property
    def every_tick(self) -> bool:
        """Whether the ticks between re-plans must be observed too."""
        return self.horizon > 1

    def push(self, obs: Observation) -> None:
        """The observation of the next tick (every tick when ``every_tick``)."""
        self._ticks.append(obs)

    def stacked(self) -> Observation:
        """images (B, T_o, N_c, 3, H, W) or None, state (B, T_o, D_s) at the last tick."""
        if self.horizon == 1:
            return self._ticks[-1]
        last = len(self._ticks) - 1
        return stack_observations([self._ticks[max(last - k * self.spacing, 0)]
                                   for k in range(self.horizon - 1, -1, -1)])


def run_policy(task: JointTask, actor: ActionPolicy, seed: int, execute_steps: int = 4,
               max_steps: int | None = None, low_dim: bool = False) -> Rollout:
    """Reset to ``seed``; every ``execute_steps`` steps observe, ask ``actor`` for a chunk and
    follow its interpolated targets; stop at success, at ``max_steps`` (default: the
    task's), or as a failure when the physics diverges (``Rollout.diverged``). An actor
    with ``obs_horizon`` > 1 is shown its ``ObservationHistory``."""
    max_steps = max_steps or task.config.max_steps
    result = Rollout(seed)
    task.reset(seed, joint_control=True)
    with_image = actor.observes_images
    history = ObservationHistory(getattr(actor, 'obs_horizon', 1), actor.stride)
    while result.steps < max_steps:
        start = time.perf_counter()
        history.push(observe(task, with_image, low_dim, actor.device))
        action = actor.act(history.stacked())
        result.tick_ms.append((time.perf_counter() - start) * 1e3)
        if action.confidence is not None:
            result.confidence.append(float(action.confidence[0]))
        targets = interpolate_chunk(action.chunk[0].cpu().double().numpy(), actor.stride,
                                    execute_steps)
        for i, target in enumerate(targets):
            result.steps += 1
            solved = task.step(target)
            if task.diverged:
                result.diverged = True
                return result
            if solved:
                result.success = True
                return result
            if history.every_tick and i < len(targets) - 1:  # the next re-plan observes
                history.push(observe(task, with_image, low_dim, actor.device))
    return result
