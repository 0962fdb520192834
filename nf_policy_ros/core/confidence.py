# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Confidence in [0, 1]: where a plan's log-likelihood falls among reference plans.

After training, the policy plans for every held-out (validation) observation with the
checkpoint's sampling configuration, and the log p per dimension of those plans is stored,
sorted. The confidence of a new plan is the empirical CDF at its log p per dimension: 0.5 =
as likely as the plan for a typical held-out observation, 0.0 = less likely than every one.
(Calibrating on demonstrated chunks instead put almost every plan at 1.0: the sampler picks
the most likely of N samples, far likelier than a real chunk; see core/training.py.)

``sampling.confidence`` chooses what is read: that plan percentile ('plan'), the context's
distance percentile among held-out contexts ('context', ContextSupport.percentile) or their
product ('both'); see ``confidence_of``.
"""

from __future__ import annotations

import torch
from torch import nn

MAX_CALIBRATION_POINTS = 4096


class Calibration(nn.Module):
    """Sorted held-out log p per dimension (M,), saved with the model (M may be 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer('sorted_log_prob', torch.zeros(0))

    @property
    def is_calibrated(self) -> bool:
        return self.sorted_log_prob.numel() > 0

    @torch.no_grad()
    def fit(self, log_prob_per_dim: torch.Tensor) -> None:
        """Store (M,) held-out values [nats/dim]; more than 4096 are reduced to quantiles."""
        values = log_prob_per_dim.detach().flatten().float()
        finite = bool(torch.isfinite(values).all())
        if values.numel() == 0 or not finite:
            raise ValueError(f'calibration needs finite held-out log-likelihoods: got '
                             f'{values.numel()} values, all finite={finite}')
        values = values.sort().values
        if values.numel() > MAX_CALIBRATION_POINTS:
            q = torch.linspace(0, 1, MAX_CALIBRATION_POINTS, dtype=values.dtype)
            values = torch.quantile(values, q)
        self.sorted_log_prob = values.to(self.sorted_log_prob.device)

    def confidence(self, log_prob_per_dim: torch.Tensor) -> torch.Tensor:
        """(B,) log p per dimension -> (B,) empirical CDF in [0, 1]; NaN if uncalibrated."""
        if not self.is_calibrated:
            return torch.full_like(log_prob_per_dim, float('nan'))
        ref = self.sorted_log_prob.to(log_prob_per_dim.dtype)
        below = torch.searchsorted(ref, log_prob_per_dim.contiguous(), right=True)
        return below.to(log_prob_per_dim.dtype) / ref.numel()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'sorted_log_prob'
        if key in state_dict:
            self.sorted_log_prob = torch.empty_like(state_dict[key])
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class ContextSupport(nn.Module):
    """Which observations look like the held-out ones, judged on the flow's condition.

    A flow's likelihood can rise on an observation it never saw (a blacked-out camera gave
    the same confidence as a normal one: docs/benchmarks/confidence_auroc.md), so the
    likelihood alone cannot flag it. This fits a Gaussian to the training observations'
    contexts (the encoder output the flow is conditioned on) and keeps the largest squared
    Mahalanobis distance among held-out ones: an observation farther out than every
    held-out one is outside the support, as a joint state outside the demonstrated range
    is. (Fitted on the few held-out episodes alone, the covariance missed directions other
    episodes vary in and rejected ~40 % of normal ticks.) The held-out distances are kept,
    sorted, so the distance also grades inside the support (``percentile``): a start state
    with its object moved out of the demonstrated range stays inside but ranks far out,
    where the zero-latent plan's log p may not move (issue 32; confidence_auroc.md,
    "Readings compared"). Saved with the model; unfitted (empty buffers, e.g. a checkpoint
    from before it) it accepts everything; fitted before the sorted distances, it has no
    percentile.
    """

    def __init__(self) -> None:
        super().__init__()
        for name in BUFFERS:
            self.register_buffer(name, torch.zeros(0))

    @property
    def is_fitted(self) -> bool:
        return self.limit.numel() > 0

    @torch.no_grad()
    def fit(self, contexts: torch.Tensor, held_out: torch.Tensor | None = None) -> None:
        """Gaussian of (M, W) training contexts, M >= 2; the limit from (K, W) held-out
        contexts (the training ones if None). The covariance is shrunk towards its mean
        variance by ``SHRINKAGE`` so that a context direction the training set barely
        varies in still has a finite, if strict, scale."""
        x = contexts.detach().double()
        if x.ndim != 2 or x.shape[0] < 2 or not bool(torch.isfinite(x).all()):
            raise ValueError(f'context support needs (M >= 2, W) finite contexts: got shape '
                             f'{tuple(x.shape)}, all finite={bool(torch.isfinite(x).all())}')
        mean = x.mean(dim=0)
        cov = torch.cov(x.T).reshape(x.shape[1], x.shape[1])
        scale = cov.diagonal().mean().clamp(min=1e-12)
        eye = torch.eye(x.shape[1], dtype=x.dtype)
        cov = (1 - SHRINKAGE) * cov + SHRINKAGE * scale * eye
        self.mean = mean.float()
        self.precision = torch.linalg.inv(cov).float()
        reference = contexts if held_out is None else held_out
        distances = self.squared_distance(reference.detach().float()).sort().values
        if distances.numel() > MAX_CALIBRATION_POINTS:
            q = torch.linspace(0, 1, MAX_CALIBRATION_POINTS, dtype=distances.dtype)
            distances = torch.quantile(distances, q)
        self.sorted_distance = distances
        self.limit = distances[-1:].clone()

    @property
    def has_percentile(self) -> bool:
        """Whether the held-out distances were stored (checkpoints since issue 32)."""
        return self.sorted_distance.numel() > 0

    def squared_distance(self, context: torch.Tensor) -> torch.Tensor:
        """(B, W) -> (B,) squared Mahalanobis distance from the held-out mean."""
        d = context - self.mean.to(context.dtype)
        return torch.einsum('bi,ij,bj->b', d, self.precision.to(context.dtype), d)

    def contains(self, context: torch.Tensor) -> torch.Tensor:
        """(B, W) -> (B,) bool: no farther out than the farthest held-out context (all True
        when unfitted)."""
        if not self.is_fitted:
            return torch.ones(context.shape[0], dtype=torch.bool, device=context.device)
        return self.squared_distance(context) <= self.limit.to(context.dtype)

    def percentile(self, context: torch.Tensor) -> torch.Tensor:
        """(B, W) -> (B,) the fraction of held-out contexts at least as far out, in [0, 1]:
        1 = nearer than every one, about 0.5 = a typical one, 0 = farther than all (outside
        the support). NaN without stored distances (unfitted, or fitted before them)."""
        distance = self.squared_distance(context) if self.is_fitted else None
        if distance is None or not self.has_percentile:
            return torch.full(context.shape[:1], float('nan'), dtype=context.dtype,
                              device=context.device)
        ref = self.sorted_distance.to(distance.dtype)
        nearer = torch.searchsorted(ref, distance.contiguous(), right=False)
        return 1.0 - nearer.to(distance.dtype) / ref.numel()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in BUFFERS:
            key = prefix + name
            if key not in state_dict:  # a checkpoint from before the support: unfitted
                state_dict[key] = torch.zeros(0)
            setattr(self, name, torch.empty_like(state_dict[key]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


SHRINKAGE = 0.01  # weight of the isotropic part of the context covariance
BUFFERS = ('mean', 'precision', 'limit', 'sorted_distance')


def confidence_of(source: str, plan: torch.Tensor,
                  context: torch.Tensor | None) -> torch.Tensor:
    """(B,) confidence in [0, 1] from (B,) ``plan`` percentiles (Calibration.confidence)
    and (B,) ``context`` percentiles (ContextSupport.percentile; None for 'plan', which does
    not read them), by ``source`` (config.CONFIDENCE_SOURCES); NaN where a part it needs is
    missing."""
    if source == 'plan':
        return plan
    if source == 'context':
        return context
    return plan * context
