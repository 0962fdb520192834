# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One interface for every policy the benchmarks compare: ``act(obs)`` -> a strided chunk.

``nf_policy_ros.sim.rollout.run_policy`` drives any ``ActionPolicy`` (defined there); NF-P
and the Diffusion Policy baseline plug in through the adapters below (same observation, same
chunk layout).
"""

from __future__ import annotations

import torch

from benchmarks.baselines.diffusion import DiffusionPolicy
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.sim.rollout import Action, ActionPolicy
from nf_policy_ros.structs import Observation


class NFPActor:
    """NF-P with one sampling configuration (zero_latent, best_of_n, refine, ...)."""

    def __init__(self, policy: NFPolicy, sampling: SamplingConfig,
                 generator: torch.Generator | None = None, name: str = '') -> None:
        self.policy, self.sampling, self.generator = policy.eval(), sampling, generator
        self.name = name or f'NF-P {sampling.mode}'
        self.stride = policy.config.actions.stride
        self.device = next(policy.parameters()).device
        self.observes_images = policy.config.encoder.num_cameras > 0
        self.obs_horizon = policy.obs_horizon  # rollout.ObservationHistory
        self.last_in_support: torch.Tensor | None = None  # (B,) bool, of the latest act

    def act(self, obs: Observation) -> Action:
        pred = self.policy.predict(obs, self.sampling, self.generator)
        self.last_in_support = pred.in_support
        return Action(pred.actions, pred.confidence)


class DiffusionActor:
    """Diffusion Policy with DDPM-100 or DDIM-10 (or any step count; DDIM steps placed
    'leading' as Diffusion Policy does, or 'trailing'; DDIM noise ``eta``, 0 by default)."""

    def __init__(self, policy: DiffusionPolicy, kind: str = 'ddim', steps: int = 10,
                 generator: torch.Generator | None = None, spacing: str = 'leading',
                 eta: float = 0.0, name: str = '') -> None:
        self.policy, self.kind, self.steps, self.generator = policy.eval(), kind, steps, generator
        self.spacing, self.eta = spacing, eta
        self.name = name or (f'DP {kind.upper()}-{steps}'
                             + (' trailing' if spacing == 'trailing' else '')
                             + (f' eta {eta:g}' if eta else ''))
        self.stride = policy.config.actions.stride
        self.device = next(policy.parameters()).device
        self.observes_images = policy.config.encoder.num_cameras > 0
        self.obs_horizon = policy.diffusion.obs_horizon  # rollout.ObservationHistory

    def act(self, obs: Observation) -> Action:
        chunk = self.policy.sample(obs, self.kind, self.steps, self.generator, self.spacing,
                                   self.eta)
        return Action(chunk, None)


class CameraOverrideActor:
    """Any camera policy evaluated with a fixed camera image, the joint state unchanged: all
    zeros ("camera off", out of distribution) or one real frame of another episode ("camera
    frozen", in distribution but blind to this episode). How much of a policy's success
    comes from what its camera sees."""

    def __init__(self, inner: ActionPolicy, frame: torch.Tensor | None = None) -> None:
        """:param frame: (N_c, 3, H, W) float in [0, 1] shown every tick; None = all zeros."""
        if not inner.observes_images:
            raise ValueError(f'policy={inner.name!r}: has no camera to override')
        self.inner, self.frame = inner, frame
        self.name = f"{inner.name}, camera {'off' if frame is None else 'frozen'}"
        self.stride, self.device, self.observes_images = inner.stride, inner.device, True
        self.obs_horizon = getattr(inner, 'obs_horizon', 1)

    def act(self, obs: Observation) -> Action:
        if self.frame is None:
            images = torch.zeros_like(obs.images)
        else:
            images = self.frame.to(obs.images)[None].expand_as(obs.images)
        return self.inner.act(obs._replace(images=images))


class HoldActor:
    """Do-nothing floor: every chunk holds the arm where it is, gripper open."""

    name = 'hold'
    observes_images = False
    device = torch.device('cpu')

    def __init__(self, arm_joints: int, open_fingers: torch.Tensor, horizon: int,
                 stride: int) -> None:
        """:param arm_joints: the state's first ``arm_joints`` values are the arm's
        positions; :param open_fingers: (G,) finger targets that open the gripper."""
        self.arm_joints, self.open_fingers = arm_joints, open_fingers
        self.horizon, self.stride = horizon, stride

    def act(self, obs: Observation) -> Action:
        arm = obs.state[:, :self.arm_joints]
        targets = torch.cat([arm, self.open_fingers.expand(len(arm), -1)], dim=1)
        return Action(targets[:, None].expand(-1, self.horizon, -1), None)


class RandomActor:
    """Chance floor: every chunk point uniform in the demonstrated range of each joint."""

    name = 'random'
    observes_images = False
    device = torch.device('cpu')

    def __init__(self, low: torch.Tensor, high: torch.Tensor, horizon: int, stride: int,
                 generator: torch.Generator) -> None:
        """:param low, high: (D,) per-joint bounds of the demonstrated actions."""
        self.low, self.high, self.horizon, self.stride = low, high, horizon, stride
        self.generator = generator

    def act(self, obs: Observation) -> Action:
        shape = (obs.state.shape[0], self.horizon, len(self.low))
        u = torch.rand(shape, generator=self.generator)
        return Action(self.low + (self.high - self.low) * u, None)
