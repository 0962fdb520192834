# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Compiled inference (torch.compile, inductor on this CPU) gives eager's ticks.

One compile (~40 s on one core) serves every check: the policy node's configure step
compiles a checkpoint, and its ticks are compared with the same checkpoint run eager.
"""

from __future__ import annotations

from policy_fixtures import make_checkpoint
from test_flow import relative_error, trained_looking_flow
from test_sampling import assert_within_bf16_rounding, candidate_inputs
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.compiled import AGREEMENT_RTOL, uncompile
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.runtime.configure import configure_policy


class FailOnWarning:
    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        raise AssertionError(msg)


def test_compiled_ticks_match_eager_and_leave_the_checkpoint_alone(tmp_path):
    path = make_checkpoint(tmp_path)
    setup = configure_policy(PolicyNodeConfig(checkpoint=str(path), compile='inductor',
                                              device='cpu'), FailOnWarning())
    assert setup.inference_path == 'inductor'
    compiled = setup.runner.policy
    eager, _ = load_policy(path)
    assert list(compiled.state_dict()) == list(eager.state_dict())  # nothing registered
    obs = setup.runner.blank_observation()
    obs = obs._replace(images=torch.rand(obs.images.shape,
                                         generator=torch.Generator().manual_seed(1)))
    best = SamplingConfig(mode='best_of_n', num_candidates=setup.runner.governor.current,
                          latent_std=0.5)
    with torch.no_grad():
        got = compiled.predict(obs, best, torch.Generator().manual_seed(2))
        want = eager.predict(obs, best, torch.Generator().manual_seed(2))
    assert relative_error(got.actions, want.actions) < AGREEMENT_RTOL
    assert relative_error(got.log_prob, want.log_prob) < AGREEMENT_RTOL
    # refinement needs autograd: its flow passes stay eager and still work
    refine = SamplingConfig(mode='refine', refine_steps=3, latent_std=1.0)
    assert torch.isfinite(compiled.predict(obs, refine, torch.Generator()).log_prob).all()
    uncompile(compiled)
    assert compiled._compiled_encoder is None and compiled.flow._compiled_sampling is None


def test_compiled_bf16_candidates_stay_within_bf16_rounding():
    """The compiled sampling pass with bf16 conditioners (what the node runs with
    ``sampling.candidate_precision: auto`` on a CPU with native bf16) keeps eager's error
    bound: inductor may keep some fused intermediates in float32, never fewer bits."""
    flow = trained_looking_flow('fast', torch.float32).eval()
    context, z = candidate_inputs(flow)
    flow.compile_sampling(True, options={'freezing': True})
    with torch.no_grad():
        x, log_p = flow.sample_with_log_prob(z, context, torch.bfloat16)
    flow.compile_sampling(False)
    assert (x.dtype, log_p.dtype) == (torch.float32, torch.float32)
    assert_within_bf16_rounding(flow, context, z, x, log_p)
