# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Compiled inference (torch.compile, inductor on this CPU) gives eager's ticks."""

from __future__ import annotations

from conftest import small_config
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.compiled import AGREEMENT_RTOL, compile_for_inference, uncompile
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.structs import Observation


def perturbed_camera_policy() -> NFPolicy:
    torch.manual_seed(0)
    policy = NFPolicy(small_config(num_cameras=1))
    with torch.no_grad():
        for p in policy.flow.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return policy.eval()


def test_compiled_ticks_match_eager_and_leave_the_checkpoint_alone():
    policy = perturbed_camera_policy()
    keys = list(policy.state_dict())
    obs = Observation(torch.rand(1, 1, 3, 32, 32, generator=torch.Generator().manual_seed(1)),
                      torch.zeros(1, 3))
    best = SamplingConfig(mode='best_of_n', num_candidates=16, latent_std=0.5)
    with torch.no_grad():
        eager = policy.predict(obs, best, torch.Generator().manual_seed(2))
    result = compile_for_inference(policy, obs, best)
    assert result.compiled, result.reason
    assert result.max_rel_error <= AGREEMENT_RTOL
    with torch.no_grad():
        compiled = policy.predict(obs, best, torch.Generator().manual_seed(2))
    scale = eager.actions.abs().clamp(min=1.0)
    assert float(((compiled.actions - eager.actions).abs() / scale).max()) < AGREEMENT_RTOL
    assert list(policy.state_dict()) == keys  # nothing registered: checkpoints unchanged
    # refinement needs autograd: its flow passes stay eager and still work
    refine = SamplingConfig(mode='refine', refine_steps=3, latent_std=1.0)
    assert torch.isfinite(policy.predict(obs, refine, torch.Generator()).log_prob).all()
    uncompile(policy)
    assert policy._compiled_encoder is None and policy.flow._compiled_sampling is None
