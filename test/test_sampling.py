# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Sampling modes: determinism by generator, best-of-N argmax, refine never worse."""

from __future__ import annotations

import pytest
from test_flow import CONTEXT, FLOAT64_EXACT, relative_error, trained_looking_flow
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core import sampling


@pytest.fixture
def flow():
    return trained_looking_flow('fast', torch.float32)


@pytest.fixture
def context():
    return torch.randn(3, CONTEXT, generator=torch.Generator().manual_seed(7))


def test_same_seed_same_sample_other_seed_other_sample(flow, context):
    config = SamplingConfig(mode='sample')
    a, _ = sampling.draw(flow, context, config, torch.Generator().manual_seed(1))
    b, _ = sampling.draw(flow, context, config, torch.Generator().manual_seed(1))
    c, _ = sampling.draw(flow, context, config, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.allclose(a, c)


def test_zero_latent_is_deterministic_without_generator(flow, context):
    a, lp_a = sampling.draw(flow, context, SamplingConfig(mode='zero_latent'), None)
    b, lp_b = sampling.draw(flow, context, SamplingConfig(mode='zero_latent'), None)
    assert torch.equal(a, b) and torch.equal(lp_a, lp_b)


def test_best_of_n_returns_the_most_likely_candidate(flow, context):
    n, std = 32, 0.7
    x, log_p = sampling.best_of_n(flow, context, std, n, torch.Generator().manual_seed(5))
    z = sampling.draw_latents((3, n, flow.dim), std, context, torch.Generator().manual_seed(5))
    candidates, candidate_lp = flow.sample_with_log_prob(z, context)
    best = candidate_lp.argmax(1)
    assert torch.allclose(log_p, candidate_lp.max(1).values)
    assert torch.allclose(x, candidates[torch.arange(3), best])
    assert (log_p >= candidate_lp.mean(1)).all()


@pytest.mark.parametrize('space', ['latent', 'action'])
def test_refine_never_lowers_log_p_and_usually_raises_it(space):
    """In float64: the claims are about the ascent, not about float32 rounding. The start
    is scored by the same pass refine scores it with (the sampling pass for 'latent', the
    likelihood pass for 'action'), so "never lower" is exact up to a few ulps; the two
    passes differ by the flow's conditioning (see test_flow.FLOAT64_EXACT)."""
    flow = trained_looking_flow('fast', torch.float64)
    context = torch.randn(3, CONTEXT, generator=torch.Generator().manual_seed(7),
                          dtype=torch.float64)
    config = SamplingConfig(mode='refine', refine_steps=15, refine_step_size=0.05,
                            refine_space=space, latent_std=1.0)
    start_x, start_lp = sampling.sample(flow, context, 1.0, torch.Generator().manual_seed(9))
    if space == 'action':
        start_lp = flow.log_prob(start_x, context)
    x, log_p = sampling.refine(flow, context, config, torch.Generator().manual_seed(9))
    ulps = 8 * torch.finfo(torch.float64).eps * start_lp.abs()
    assert (log_p >= start_lp - ulps).all()
    assert (log_p > start_lp + 1e-3).any()
    assert relative_error(flow.log_prob(x, context), log_p) < FLOAT64_EXACT


def test_refine_with_zero_steps_is_the_sample(flow, context):
    config = SamplingConfig(mode='refine', refine_steps=0, latent_std=1.0)
    x, _ = sampling.refine(flow, context, config, torch.Generator().manual_seed(3))
    y, _ = sampling.sample(flow, context, 1.0, torch.Generator().manual_seed(3))
    assert torch.allclose(x, y)
