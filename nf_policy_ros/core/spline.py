# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Monotone rational-quadratic spline on [-B, B] with identity tails (Durkan et al., 2019).

Written for inference speed on a CPU: parameters arrive *bins-first*, (..., K, D), so the
softmax and cumulative sums reduce over a non-innermost axis (torch's CPU softmax over a
last axis of 8 was the top cost in a profile), no boolean indexing (inputs are clamped into
the interval and the identity tails selected with ``where``), and softplus written with
exp/log (``F.softplus`` profiled slow too); see docs/decisions.md.
``test/test_flow.py::test_spline_matches_normflows_reference`` pins it to normflows.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

MIN_BIN = 1e-3
MIN_DERIVATIVE = 1e-3
MAX_SOFTPLUS_INPUT = 20.0
# Unnormalized derivative whose softplus + MIN_DERIVATIVE is exactly 1 (identity slope).
IDENTITY_DERIVATIVE = math.log(math.expm1(1.0 - MIN_DERIVATIVE))


class Knots(NamedTuple):
    """Spline knots, each (..., K+1, D): positions xs, ys and slopes d."""

    xs: torch.Tensor
    ys: torch.Tensor
    slopes: torch.Tensor


def _softplus(u: torch.Tensor) -> torch.Tensor:
    return u.clamp(max=MAX_SOFTPLUS_INPUT).exp().add(1.0).log()


def _knot_positions(unnormalized: torch.Tensor, bound: float) -> torch.Tensor:
    """(..., K, D) logits -> (..., K+1, D) increasing knots from -bound to bound."""
    k = unnormalized.shape[-2]
    sizes = MIN_BIN + (1.0 - MIN_BIN * k) * torch.softmax(unnormalized, dim=-2)
    edges = torch.cumsum(sizes, dim=-2) * (2.0 * bound) - bound
    first = torch.full_like(edges[..., :1, :], -bound)
    edges = torch.cat([first, edges[..., :-1, :], first.neg()], dim=-2)
    return edges


def make_knots(widths: torch.Tensor, heights: torch.Tensor, derivatives: torch.Tensor,
               bound: float) -> Knots:
    """Build knots from unconstrained parameters.

    :param widths: (..., K, D) bin-width logits.
    :param heights: (..., K, D) bin-height logits.
    :param derivatives: (..., K-1, D) interior slope parameters; end slopes are 1 so the
        spline joins the identity tails smoothly.
    :param bound: half-width B of the spline interval.
    """
    ones = torch.ones_like(derivatives[..., :1, :])
    interior = MIN_DERIVATIVE + _softplus(derivatives)
    slopes = torch.cat([ones, interior, ones], dim=-2)
    return Knots(_knot_positions(widths, bound), _knot_positions(heights, bound), slopes)


def _bin_index(knots: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """(..., 1, D) index of the bin holding each value, counting interior knots below it."""
    interior = knots[..., 1:-1, :]
    return (values.unsqueeze(-2) >= interior).sum(dim=-2, keepdim=True)


def _take(t: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    return torch.gather(t, -2, idx).squeeze(-2)


def rq_spline(inputs: torch.Tensor, knots: Knots, bound: float,
              inverse: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the spline (or its inverse) elementwise.

    :param inputs: (..., D); knots (..., K+1, D) broadcastable to it.
    :returns: outputs (..., D) and log|d out / d in| (..., D); identity outside [-B, B].
    """
    inside = (inputs > -bound) & (inputs < bound)
    v = inputs.clamp(-bound, bound)
    idx = _bin_index(knots.ys if inverse else knots.xs, v)
    x_k, x_k1 = _take(knots.xs, idx), _take(knots.xs, idx + 1)
    y_k, y_k1 = _take(knots.ys, idx), _take(knots.ys, idx + 1)
    d_k, d_k1 = _take(knots.slopes, idx), _take(knots.slopes, idx + 1)
    width, height = x_k1 - x_k, y_k1 - y_k
    s = height / width
    curvature = d_k1 + d_k - 2.0 * s
    if inverse:
        dy = v - y_k
        a = height * (s - d_k) + dy * curvature
        b = height * d_k - dy * curvature
        c = -s * dy
        disc = (b.pow(2) - 4.0 * a * c).clamp_min(0.0)
        xi = (2.0 * c) / (-b - disc.sqrt())
        out = x_k + xi * width
    else:
        xi = (v - x_k) / width
    one_minus = 1.0 - xi
    denom = s + curvature * xi * one_minus
    if not inverse:
        out = y_k + height * (s * xi.pow(2) + d_k * xi * one_minus) / denom
    slope = s.pow(2) * (d_k1 * xi.pow(2) + 2.0 * s * xi * one_minus + d_k * one_minus.pow(2))
    log_det = slope.log() - 2.0 * denom.log()
    if inverse:
        log_det = -log_det
    out = torch.where(inside, out, inputs)
    log_det = torch.where(inside, log_det, torch.zeros_like(log_det))
    return out, log_det
