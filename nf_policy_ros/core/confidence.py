# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Confidence in [0, 1]: where a plan's log-likelihood falls among reference plans.

After training, the policy plans for every held-out (validation) observation with the
checkpoint's sampling configuration, and the log p per dimension of those plans is stored,
sorted. The confidence of a new plan is the empirical CDF at its log p per dimension: 0.5 =
as likely as the plan for a typical held-out observation, 0.0 = less likely than every one.
(Calibrating on demonstrated chunks instead put almost every plan at 1.0: the sampler picks
the most likely of N samples, far likelier than a real chunk; see core/training.py.)
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
