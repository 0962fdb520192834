# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The default flow backend: spline couplings built for one-pass batched sampling.

Differences from a generic conditional coupling flow, all for the control tick:
- The context enters each conditioner through a projection computed once per observation
  and broadcast over the N candidates of best-of-N (``z`` may be (B, N, D) with a (B, C)
  context), instead of repeating a (B*N, C) context through every first layer.
- The LU-linear mixing layers are a plain matmul in the sampling direction; the triangular
  solves are paid in the likelihood direction (training), where batches are small.
- The conditioners' output layer starts at zero and the slope parameters are offset so that
  an untrained layer is exactly the identity.
"""

from __future__ import annotations

import torch
from torch import nn

from nf_policy_ros.config import FlowConfig
from nf_policy_ros.core.spline import IDENTITY_DERIVATIVE, make_knots, rq_spline


class Conditioner(nn.Module):
    """Residual MLP: (x_id (..., D_in), context projections) -> spline parameters."""

    def __init__(self, in_dim: int, context_dim: int, out_dim: int, config: FlowConfig):
        super().__init__()
        hidden, blocks = config.hidden_units, config.hidden_blocks
        self.input = nn.Linear(in_dim, hidden)
        self.context = nn.Linear(context_dim, hidden * (blocks + 1))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                          nn.Linear(hidden, hidden)) for _ in range(blocks))
        self.output = nn.Sequential(nn.ReLU(), nn.Linear(hidden, out_dim))
        nn.init.zeros_(self.output[1].weight)
        nn.init.zeros_(self.output[1].bias)

    def project_context(self, context: torch.Tensor, batched: bool) -> torch.Tensor:
        """(B, C) -> (B, [1,] blocks+1, H): one additive term for the input and each block."""
        proj = self.context(context).view(context.shape[0], len(self.blocks) + 1, -1)
        return proj.unsqueeze(1) if batched else proj

    def forward(self, x_id: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        h = self.input(x_id) + ctx[..., 0, :]
        for i, block in enumerate(self.blocks):
            h = h + block(h + ctx[..., i + 1, :])
        return self.output(h)


class SplineCoupling(nn.Module):
    """Transforms one half of the features with a spline conditioned on the other half."""

    def __init__(self, dim: int, context_dim: int, config: FlowConfig, flip: bool) -> None:
        super().__init__()
        half = dim // 2
        self.id_slice = slice(half, dim) if flip else slice(0, half)
        self.tf_slice = slice(0, half) if flip else slice(half, dim)
        self.tf_dim = dim - half if not flip else half
        self.bins, self.bound = config.num_bins, config.tail_bound
        id_dim = dim - self.tf_dim
        out_dim = (3 * self.bins - 1) * self.tf_dim
        self.conditioner = Conditioner(id_dim, context_dim, out_dim, config)

    def _transform(self, v: torch.Tensor, context: torch.Tensor, inverse: bool,
                   conditioner_dtype: torch.dtype | None = None
                   ) -> tuple[torch.Tensor, torch.Tensor]:
        ctx = self.conditioner.project_context(context, batched=v.dim() == 3)
        if conditioner_dtype is None:
            params = self.conditioner(v[..., self.id_slice], ctx)
        else:  # reduced-precision matmuls; the spline below runs in v's dtype
            with torch.autocast(v.device.type, dtype=conditioner_dtype):
                params = self.conditioner(v[..., self.id_slice], ctx).to(v.dtype)
        params = params.view(*v.shape[:-1], 3 * self.bins - 1, self.tf_dim)
        k = self.bins
        knots = make_knots(params[..., :k, :], params[..., k:2 * k, :],
                           params[..., 2 * k:, :] + IDENTITY_DERIVATIVE, self.bound)
        out, log_det = rq_spline(v[..., self.tf_slice], knots, self.bound, inverse=inverse)
        result = v.clone()
        result[..., self.tf_slice] = out
        return result, log_det.sum(-1)

    def forward(self, z: torch.Tensor, context: torch.Tensor,
                conditioner_dtype: torch.dtype | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Sampling direction: (z, log|dx/dz|). ``conditioner_dtype`` (e.g. bfloat16) runs
        the conditioner's matrix products under autocast; everything else stays float32."""
        return self._transform(z, context, inverse=False, conditioner_dtype=conditioner_dtype)

    def inverse(self, x: torch.Tensor,
                context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Likelihood direction: (z, log|dz/dx|)."""
        return self._transform(x, context, inverse=True)


class LULinear(nn.Module):
    """x = W P z + b with W = L U (unit-lower L, upper U with positive diagonal).

    A fixed random permutation P (seeded by the layer index, saved in the state) mixes the
    halves from the start; W starts at the identity. Without autograd (inference) the
    sampling direction uses (W P)^T built once per weight version: an optimizer step,
    ``load_state_dict`` or a device move rebuilds it on the next call.
    """

    def __init__(self, dim: int, seed: int) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer('perm', torch.randperm(dim, generator=gen))
        self.register_buffer('inv_perm', torch.argsort(self.perm))
        self.lower = nn.Parameter(torch.zeros(dim, dim))
        self.upper = nn.Parameter(torch.zeros(dim, dim))
        self.log_diag = nn.Parameter(torch.zeros(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        self._cache: tuple[tuple, torch.Tensor] | None = None

    def _factors(self) -> tuple[torch.Tensor, torch.Tensor]:
        eye = torch.eye(self.log_diag.numel(), device=self.bias.device, dtype=self.bias.dtype)
        lower = torch.tril(self.lower, -1) + eye
        upper = torch.triu(self.upper, 1) + torch.diag(self.log_diag.exp())
        return lower, upper

    def _weight_version(self) -> tuple:
        return tuple((p.data_ptr(), p._version, p.dtype)
                     for p in (self.lower, self.upper, self.log_diag))

    def sampling_matrix(self) -> torch.Tensor:
        """(D, D) M with x = z M + b, i.e. M = (W P)^T; cached when autograd is off (a
        compiled graph computes it inline, and inductor's freezing folds it)."""
        if torch.is_grad_enabled() or torch.compiler.is_compiling():
            lower, upper = self._factors()
            return (lower @ upper)[:, self.inv_perm].T
        version = self._weight_version()
        if self._cache is None or self._cache[0] != version:
            lower, upper = self._factors()
            self._cache = (version, (lower @ upper)[:, self.inv_perm].T.contiguous())
        return self._cache[1]

    def forward(self, z: torch.Tensor, context: torch.Tensor | None = None):
        x = torch.matmul(z, self.sampling_matrix()) + self.bias
        return x, self.log_diag.sum().expand(z.shape[:-1])

    def inverse(self, x: torch.Tensor, context: torch.Tensor | None = None):
        lower, upper = self._factors()
        flat = (x - self.bias).reshape(-1, x.shape[-1]).T
        y = torch.linalg.solve_triangular(lower, flat, upper=False, unitriangular=True)
        y = torch.linalg.solve_triangular(upper, y, upper=True)
        z = y.T.reshape(x.shape)[..., self.inv_perm]
        return z, (-self.log_diag.sum()).expand(x.shape[:-1])


def build_coupling_layers(dim: int, context_dim: int, config: FlowConfig) -> list[nn.Module]:
    """Couplings alternating halves, an LU-linear (or reversal) layer between them."""
    layers: list[nn.Module] = []
    for i in range(config.num_layers):
        layers.append(SplineCoupling(dim, context_dim, config, flip=bool(i % 2)))
        if i + 1 < config.num_layers:
            layers.append(LULinear(dim, seed=i) if config.permutation == 'lu'
                          else Reverse())
    return layers


class Reverse(nn.Module):
    """Reverse the feature order (volume preserving)."""

    def forward(self, z: torch.Tensor, context: torch.Tensor | None = None):
        return z.flip(-1), z.new_zeros(z.shape[:-1])

    def inverse(self, x: torch.Tensor, context: torch.Tensor | None = None):
        return x.flip(-1), x.new_zeros(x.shape[:-1])
