# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Contract of the conditional spline flow, for both backends."""

from __future__ import annotations

import normflows.utils.splines as reference
import pytest
import torch

from nf_policy_ros.config import FlowConfig
from nf_policy_ros.core.flow import build_flow
from nf_policy_ros.core.spline import make_knots, rq_spline

DIM, CONTEXT = 12, 6
BACKENDS = ['fast', 'normflows']


def trained_looking_flow(backend: str, dtype: torch.dtype, dim: int = DIM,
                         context: int = CONTEXT) -> torch.nn.Module:
    """A flow away from its identity init: conditioners strongly, mixing layers mildly
    (extreme spline bins or LU matrices are ill-conditioned in float32, for normflows too)."""
    torch.manual_seed(0)
    flow = build_flow(dim, context, FlowConfig(num_layers=4, hidden_units=32,
                                               hidden_blocks=1, tail_bound=3.0,
                                               backend=backend))
    with torch.no_grad():
        for name, p in flow.named_parameters():
            mixing = any(k in name for k in ('lower', 'upper', 'log_diag', 'linear.'))
            p.add_((0.03 if mixing else 0.1) * torch.randn_like(p))
    return flow.to(dtype)


# Tolerances follow from the dtype's machine epsilon and the conditioning of what is
# compared, never from one CPU's rounding (SIMD width, FMA contraction and the BLAS kernel
# differ between Intel and AMD, and between ATEN_CPU_CAPABILITY paths).
#
# Exactness (inverse(forward(z)) == z, the two log p paths agree) is checked in float64.
# The round trip amplifies the rounding of x by the Jacobian dz/dx; on this deliberately
# perturbed flow its largest singular value reaches ~3e4 (steep spline bins), so the error
# is about eps64 * 3e4 * |x| (|x| <= ~6) ~= 4e-11. A relative 1e-9 keeps a 25x margin and
# still fails on any real defect (a wrong bin, sign or log-det term is >= 1e-3).
FLOAT64_EXACT = 1e-9
# The float32 sampling pass (what the robot runs) against the float64 pass on the same
# weights. Forward error bound: 7 layers, each a 32-wide conditioner dot product (gamma_32 ~
# 32 eps) and ~20 spline operations, amplified by dx/dz (singular values <= ~6 here):
# 7 * 52 * 6 ~= 2200 eps. Measured: <= 170 eps (AMD EPYC, ATEN_CPU_CAPABILITY default,
# avx2 and avx512, 640 samples).
FLOAT32_SAMPLING_ULPS = 2048


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max(1, |b|), elementwise, in b's dtype."""
    return float(((a.to(b.dtype) - b).abs() / b.abs().clamp(min=1.0)).max())


@pytest.mark.parametrize('backend', BACKENDS)
def test_round_trip_and_log_prob_agree(backend, generator):
    flow = trained_looking_flow(backend, torch.float64)
    context = torch.randn(16, CONTEXT, generator=generator, dtype=torch.float64)
    z = 1.5 * torch.randn(16, DIM, generator=generator, dtype=torch.float64)
    x, log_p = flow.sample_with_log_prob(z, context)
    z_back, _ = flow.to_latent(x, context)
    assert x.dtype == torch.float64 and log_p.shape == (16,)
    assert relative_error(z_back, z) < FLOAT64_EXACT
    assert relative_error(flow.log_prob(x, context), log_p) < FLOAT64_EXACT
    assert not torch.allclose(x, z, atol=1e-2), 'the perturbed flow should not be identity'


@pytest.mark.parametrize('backend', BACKENDS)
def test_float32_sampling_matches_float64_within_roundoff(backend, generator):
    flow32 = trained_looking_flow(backend, torch.float32)
    flow64 = trained_looking_flow(backend, torch.float64)
    context = torch.randn(64, CONTEXT, generator=generator, dtype=torch.float64)
    z = 1.5 * torch.randn(64, DIM, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        x64, log_p64 = flow64.sample_with_log_prob(z, context)
        x32, log_p32 = flow32.sample_with_log_prob(z.float(), context.float())
    assert x32.dtype == torch.float32
    tolerance = FLOAT32_SAMPLING_ULPS * torch.finfo(torch.float32).eps
    assert relative_error(x32, x64) < tolerance
    assert relative_error(log_p32, log_p64) < tolerance


@pytest.mark.parametrize('backend', BACKENDS)
def test_gradients_reach_every_parameter(backend, generator):
    flow = trained_looking_flow(backend, torch.float32)
    x = torch.randn(8, DIM, generator=generator)
    context = torch.randn(8, CONTEXT, generator=generator)
    flow.log_prob(x, context).mean().backward()
    missing = [n for n, p in flow.named_parameters()
               if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)]
    assert missing == []


@pytest.mark.parametrize('backend', BACKENDS)
def test_candidates_share_context_like_repeated_rows(backend, generator):
    flow = trained_looking_flow(backend, torch.float64)
    context = torch.randn(3, CONTEXT, generator=generator, dtype=torch.float64)
    z = torch.randn(3, 5, DIM, generator=generator, dtype=torch.float64)
    x, log_p = flow.sample_with_log_prob(z, context)
    x_rows, log_p_rows = flow.sample_with_log_prob(
        z.reshape(15, DIM), context.repeat_interleave(5, dim=0))
    assert x.shape == (3, 5, DIM) and log_p.shape == (3, 5)
    assert torch.allclose(x.reshape(15, DIM), x_rows, atol=1e-10)
    assert torch.allclose(log_p.reshape(15), log_p_rows, atol=1e-10)


@pytest.mark.parametrize('backend', BACKENDS)
def test_log_prob_integrates_to_one_in_2d(backend):
    """A density must integrate to 1: check on a grid for a 2-D flow."""
    flow = trained_looking_flow(backend, torch.float64, dim=2, context=1)
    axis = torch.linspace(-9, 9, 601, dtype=torch.float64)
    grid = torch.cartesian_prod(axis, axis)
    with torch.no_grad():
        density = flow.log_prob(grid, torch.ones(len(grid), 1, dtype=torch.float64)).exp()
    cell = (axis[1] - axis[0]) ** 2
    assert float(density.sum() * cell) == pytest.approx(1.0, abs=2e-3)


def test_untrained_fast_coupling_is_identity(generator):
    flow = build_flow(DIM, CONTEXT, FlowConfig(num_layers=3, permutation='reverse'))
    z = torch.randn(4, DIM, generator=generator)
    x, log_det = flow.from_latent(z, torch.randn(4, CONTEXT, generator=generator))
    assert torch.allclose(x, z.flip(-1).flip(-1), atol=1e-5)
    assert torch.allclose(log_det, torch.zeros(4), atol=1e-5)


@pytest.mark.parametrize('inverse', [False, True])
def test_spline_matches_normflows_reference(inverse, generator):
    n, d, k, bound = 64, 5, 8, 3.0
    widths = torch.randn(n, k, d, generator=generator, dtype=torch.float64)
    heights = torch.randn(n, k, d, generator=generator, dtype=torch.float64)
    derivs = torch.randn(n, k - 1, d, generator=generator, dtype=torch.float64)
    inputs = 4.0 * torch.randn(n, d, generator=generator, dtype=torch.float64)
    ours, ours_ld = rq_spline(inputs, make_knots(widths, heights, derivs, bound), bound,
                              inverse=inverse)
    theirs, theirs_ld = reference.unconstrained_rational_quadratic_spline(
        inputs, widths.transpose(1, 2), heights.transpose(1, 2), derivs.transpose(1, 2),
        inverse=inverse, tails='linear', tail_bound=bound)
    assert (inputs.abs() > bound).any() and (inputs.abs() < bound).any()
    assert torch.allclose(ours, theirs, atol=1e-9)
    assert torch.allclose(ours_ld, theirs_ld, atol=1e-9)
