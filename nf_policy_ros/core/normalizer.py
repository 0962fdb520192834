# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Per-dimension affine normalization kept as model buffers (saved with the weights).

The normalizer also remembers the range [low, high] the training data covered, so the policy
can tell when an input lies outside what was demonstrated.
"""

from __future__ import annotations

import torch
from torch import nn

MIN_STD = 1e-3


class Normalizer(nn.Module):
    """x_norm = (x - mean) / std per dimension; std floored at ``MIN_STD`` robot units.

    :param dim: feature dimension D.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer('mean', torch.zeros(dim))
        self.register_buffer('std', torch.ones(dim))
        self.register_buffer('low', torch.full((dim,), -torch.inf))
        self.register_buffer('high', torch.full((dim,), torch.inf))

    @torch.no_grad()
    def fit(self, mean: torch.Tensor, std: torch.Tensor, low: torch.Tensor | None = None,
            high: torch.Tensor | None = None) -> None:
        """Set statistics from (D,) mean, std and (optionally) the min/max seen, robot units."""
        stats = {'mean': mean, 'std': std}
        if low is not None and high is not None:
            stats.update(low=low, high=high)
        for name, value in stats.items():
            if value.shape != self.mean.shape:
                raise ValueError(f'normalizer {name} has shape {tuple(value.shape)}: expected '
                                 f'({self.mean.numel()},)')
            if not torch.isfinite(value).all():
                raise ValueError(f'normalizer {name} contains NaN or inf: expected finite')
        self.mean.copy_(mean)
        self.std.copy_(std.clamp_min(MIN_STD))
        if 'low' in stats:
            self.low.copy_(low)
            self.high.copy_(high)

    def within_range(self, x: torch.Tensor, margin: float) -> torch.Tensor:
        """(B, D) -> (B,) True where every dimension lies in [low, high] widened by
        ``margin`` times the range (at least ``margin`` times the std)."""
        span = torch.maximum(self.high - self.low, self.std)
        pad = margin * span
        return ((x >= self.low - pad) & (x <= self.high + pad)).all(dim=-1)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) robot units -> normalized."""
        return (x - self.mean) / self.std

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) normalized -> robot units."""
        return x * self.std + self.mean

    def log_abs_det(self) -> torch.Tensor:
        """log |d x_norm / d x| for one D-vector (add to convert densities to robot units)."""
        return -torch.log(self.std).sum()
