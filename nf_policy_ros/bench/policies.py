# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One interface for every policy the benchmarks compare: ``act(obs)`` -> a strided chunk.

``sim.rollout.run_policy`` drives any ``ActionPolicy``; NF-P and the Diffusion Policy
baseline plug in through the adapters below (same observation, same chunk layout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch

from nf_policy_ros.bench.diffusion import DiffusionPolicy
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.structs import Observation


@dataclass(frozen=True)
class Action:
    """:param chunk: (B, T_a, D_a) robot units at offsets 0, S, 2S, ... policy ticks.
    :param confidence: (B,) in [0, 1], or None when the policy has no likelihood."""

    chunk: torch.Tensor
    confidence: torch.Tensor | None


class ActionPolicy(Protocol):
    """``policy`` is the underlying module (its ``config`` says what it observes)."""

    name: str
    stride: int
    device: torch.device
    policy: torch.nn.Module

    def act(self, obs: Observation) -> Action: ...


class NFPActor:
    """NF-P with one sampling configuration (zero_latent, best_of_n, refine, ...)."""

    def __init__(self, policy: NFPolicy, sampling: SamplingConfig,
                 generator: torch.Generator | None = None, name: str = '') -> None:
        self.policy, self.sampling, self.generator = policy.eval(), sampling, generator
        self.name = name or f'NF-P {sampling.mode}'
        self.stride = policy.config.actions.stride
        self.device = next(policy.parameters()).device

    def act(self, obs: Observation) -> Action:
        pred = self.policy.predict(obs, self.sampling, self.generator)
        return Action(pred.actions, pred.confidence)


class DiffusionActor:
    """Diffusion Policy with DDPM-100 or DDIM-10 (or any step count)."""

    def __init__(self, policy: DiffusionPolicy, kind: str = 'ddim', steps: int = 10,
                 generator: torch.Generator | None = None) -> None:
        self.policy, self.kind, self.steps, self.generator = policy.eval(), kind, steps, generator
        self.name = f'DP {kind.upper()}-{steps}'
        self.stride = policy.config.actions.stride
        self.device = next(policy.parameters()).device

    def act(self, obs: Observation) -> Action:
        return Action(self.policy.sample(obs, self.kind, self.steps, self.generator), None)
