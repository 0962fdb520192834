# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Conditional rational-quadratic spline coupling flow: the container and its two backends.

``flow.backend='fast'`` (default) uses our couplings (core/coupling.py); ``'normflows'`` builds
the same architecture from normflows' CoupledRationalQuadraticSpline and LULinearPermute
(this is the only module importing normflows). Both have identical interfaces; the benchmark
reports both (docs/benchmarks/core.md).

Direction convention: ``from_latent`` maps a latent z ~ N(0, I) to a normalized action chunk
x (the sampling pass); ``to_latent`` maps x back to z (the likelihood pass). Both are one
pass through every layer for the whole batch: coupling layers, never autoregressive ones.
"""

from __future__ import annotations

import math

import normflows as nf
import torch
from torch import nn

from nf_policy_ros.config import FlowConfig
from nf_policy_ros.core.coupling import SplineCoupling, build_coupling_layers

LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last dimension: (B, D) -> (B,)."""
    return -0.5 * (z.pow(2).sum(-1) + z.shape[-1] * LOG_2PI)


def _mixing_layer(dim: int, config: FlowConfig) -> nn.Module:
    if config.permutation == 'lu':
        return nf.flows.LULinearPermute(dim, identity_init=True)
    return nf.flows.Permute(dim, mode='swap')


def build_normflows_layers(dim: int, context_dim: int, config: FlowConfig) -> list[nn.Module]:
    """normflows couplings alternating their mask, a mixing layer between consecutive ones.

    The conditioners' last layer starts at zero: every spline starts with equal bins, so an
    untrained flow is close to the identity and training starts from a near-standard normal
    over normalized actions.
    """
    layers: list[nn.Module] = []
    for i in range(config.num_layers):
        coupling = nf.flows.CoupledRationalQuadraticSpline(
            num_input_channels=dim, num_blocks=config.hidden_blocks,
            num_hidden_channels=config.hidden_units, num_context_channels=context_dim,
            num_bins=config.num_bins, tails='linear', tail_bound=config.tail_bound,
            reverse_mask=bool(i % 2))
        _zero_last_layer(coupling)
        layers.append(coupling)
        if i + 1 < config.num_layers:
            layers.append(_mixing_layer(dim, config))
    return layers


def _zero_last_layer(coupling: nn.Module) -> None:
    final = coupling.prqct.transform_net.final_layer
    nn.init.zeros_(final.weight)
    nn.init.zeros_(final.bias)


class ConditionalSplineFlow(nn.Module):
    """p(x | c) over flattened normalized chunks x (B, D) given context c (B, C).

    Latents and chunks may also be (B, N, D) with a (B, C) context: N candidates per
    observation. Layers that cannot broadcast the context (normflows) get it repeated.
    """

    def __init__(self, dim: int, layers: list[nn.Module], broadcasts_context: bool) -> None:
        super().__init__()
        self.dim = dim
        self.layers = nn.ModuleList(layers)
        self.broadcasts_context = broadcasts_context
        self._compiled_sampling = None

    def compile_sampling(self, enabled: bool, **compile_args) -> None:
        """Use a ``torch.compile`` of the sampling pass wherever autograd is off
        (``enabled=False``: back to eager). See core/compiled.py."""
        self._compiled_sampling = (torch.compile(self._sample_eager, dynamic=False,
                                                 **compile_args) if enabled else None)

    def _run(self, v: torch.Tensor, context: torch.Tensor, inverse: bool,
             conditioner_dtype: torch.dtype | None = None
             ) -> tuple[torch.Tensor, torch.Tensor]:
        shape = v.shape
        if v.dim() == 3 and not self.broadcasts_context:
            context = context.repeat_interleave(shape[1], dim=0)
            v = v.reshape(-1, shape[-1])
        log_det = v.new_zeros(v.shape[:-1])
        layers = reversed(self.layers) if inverse else self.layers
        for layer in layers:
            if inverse:
                v, ld = layer.inverse(v, context)
            elif conditioner_dtype is not None and isinstance(layer, SplineCoupling):
                v, ld = layer(v, context, conditioner_dtype)
            else:
                v, ld = layer(v, context)
            log_det = log_det + ld
        return v.reshape(shape), log_det.reshape(shape[:-1])

    def from_latent(self, z: torch.Tensor, context: torch.Tensor,
                    conditioner_dtype: torch.dtype | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """z (..., D) -> x (..., D) and log|det dx/dz| (...); ``conditioner_dtype`` (fast
        backend only) runs the couplings' conditioner matmuls in that dtype."""
        return self._run(z, context, inverse=False, conditioner_dtype=conditioner_dtype)

    def to_latent(self, x: torch.Tensor,
                  context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (..., D) -> z (..., D) and log|det dz/dx| (...)."""
        return self._run(x, context, inverse=True)

    def log_prob(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """log p(x | c) (...) [nats] by the change of variables."""
        z, log_det = self.to_latent(x, context)
        return standard_normal_log_prob(z) + log_det

    def sample_with_log_prob(self, z: torch.Tensor, context: torch.Tensor,
                             conditioner_dtype: torch.dtype | None = None
                             ) -> tuple[torch.Tensor, torch.Tensor]:
        """Push latents z (..., D) through the flow: x (..., D) and log p(x | c) (...).
        ``conditioner_dtype``: see ``from_latent`` (None: z's dtype throughout)."""
        if self._compiled_sampling is not None and not torch.is_grad_enabled():
            return self._compiled_sampling(z, context, conditioner_dtype)
        return self._sample_eager(z, context, conditioner_dtype)

    def _sample_eager(self, z: torch.Tensor, context: torch.Tensor,
                      conditioner_dtype: torch.dtype | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        x, log_det = self.from_latent(z, context, conditioner_dtype)
        return x, standard_normal_log_prob(z) - log_det


def build_flow(dim: int, context_dim: int, config: FlowConfig) -> ConditionalSplineFlow:
    """The flow of ``config.backend`` over D=``dim`` features with a C=``context_dim`` context."""
    if config.backend == 'normflows':
        return ConditionalSplineFlow(dim, build_normflows_layers(dim, context_dim, config),
                                     broadcasts_context=False)
    return ConditionalSplineFlow(dim, build_coupling_layers(dim, context_dim, config),
                                 broadcasts_context=True)
