# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Drawing one action chunk per observation from the flow (pure functions).

All modes take the context (B, C) computed once per tick and return normalized chunks
x (B, D) with log p(x | c) (B,). Randomness comes only from the injected generator.
"""

from __future__ import annotations

import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.flow import ConditionalSplineFlow
from nf_policy_ros.core.precision import reduced_dtype


def draw_latents(shape: tuple[int, ...], std: float, like: torch.Tensor,
                 generator: torch.Generator | None) -> torch.Tensor:
    """Latents ~ N(0, std^2 I) with the device and dtype of ``like``."""
    noise = torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)
    return noise * std


def zero_latent(flow: ConditionalSplineFlow,
                context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The flow's image of z = 0: deterministic, the mode of the latent."""
    z = context.new_zeros(context.shape[0], flow.dim)
    return flow.sample_with_log_prob(z, context)


def sample(flow: ConditionalSplineFlow, context: torch.Tensor, std: float,
           generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """One draw with z ~ N(0, std^2 I)."""
    z = draw_latents((context.shape[0], flow.dim), std, context, generator)
    return flow.sample_with_log_prob(z, context)


def best_of_n(flow: ConditionalSplineFlow, context: torch.Tensor, std: float, n: int,
              generator: torch.Generator | None,
              conditioner_dtype: torch.dtype | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw N candidates per observation in one batched pass; keep the most likely.

    The score is log p(x | c) of the flattened normalized chunk of the *modelled* action
    dimensions (declared mirrors are not modelled: they follow their source), in nats. Its
    meaning depends on how the density was trained: with the action representation of
    issue 32 (a noise floor on every dimension, dequantized discrete commands) it is the
    log density of the demonstrations smoothed by that noise, bounded above, so no
    dimension can outvote the others by being nearly constant (docs/decisions.md,
    "Action representation").

    Latents are (B, N, D) against the (B, C) context of the tick: nothing is re-encoded.
    ``conditioner_dtype`` (bfloat16 or None) is the precision of the candidates'
    conditioner matmuls: the chosen chunk and its log p come from that same pass.
    """
    b = context.shape[0]
    z = draw_latents((b, n, flow.dim), std, context, generator)
    x, log_p = flow.sample_with_log_prob(z, context, conditioner_dtype)
    best = log_p.argmax(dim=1)
    rows = torch.arange(b, device=context.device)
    return x[rows, best], log_p[rows, best]


def refine(flow: ConditionalSplineFlow, context: torch.Tensor, config: SamplingConfig,
           generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradient ascent on log p(x | c) from one sample; keeps the best iterate per row.

    ``config.refine_space='latent'`` ascends over z with x = f(z) (the sample stays on the
    flow's image, each step is one sampling pass); ``'action'`` ascends over x directly
    (each step is one likelihood pass). Either way log p never decreases.
    """
    context = context.detach()
    if config.refine_space == 'latent':
        start = draw_latents((context.shape[0], flow.dim), config.latent_std, context,
                             generator)

        def objective(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return flow.sample_with_log_prob(v, context)
    else:
        start, _ = sample(flow, context, config.latent_std, generator)

        def objective(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return v, flow.log_prob(v, context)
    return _ascend(objective, start, config)


def _ascend(objective, start: torch.Tensor,
            config: SamplingConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Adam ascent on ``objective(v) -> (x, log p)`` from ``start`` (the first iterate).

    Returns the best (x (B, D), log p (B,)) seen per row, so the result is never less likely
    than the starting sample. ``refine_steps`` updates cost ``refine_steps + 1`` passes.
    """
    variable = start.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([variable], lr=config.refine_step_size)
    best_x, best_lp = None, None
    with torch.enable_grad():
        for step in range(config.refine_steps + 1):
            x, lp = objective(variable)
            if best_lp is None:
                best_x, best_lp = x.detach().clone(), lp.detach()
            else:
                better = lp.detach() > best_lp
                best_x = torch.where(better.unsqueeze(1), x.detach(), best_x)
                best_lp = torch.where(better, lp.detach(), best_lp)
            if step == config.refine_steps:
                break
            optimizer.zero_grad(set_to_none=True)
            # inputs= keeps the model's parameter gradients untouched.
            torch.autograd.backward(-lp.sum(), inputs=[variable])
            optimizer.step()
    return best_x, best_lp


def candidate_dtype(config: SamplingConfig, device: torch.device) -> torch.dtype | None:
    """The conditioner dtype ``config`` draws with on ``device``: reduced precision only for
    best-of-N with N > 1 (one candidate's tick is bound by reading the weights and by
    per-operation overhead, not by arithmetic, so bf16 would not pay there)."""
    if config.mode != 'best_of_n' or config.num_candidates < 2:
        return None
    return reduced_dtype(config.candidate_precision, device)


def draw(flow: ConditionalSplineFlow, context: torch.Tensor, config: SamplingConfig,
         generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Dispatch on ``config.mode``: normalized chunks (B, D) and log p (B,)."""
    if config.mode == 'zero_latent':
        return zero_latent(flow, context)
    if config.mode == 'sample':
        return sample(flow, context, config.latent_std, generator)
    if config.mode == 'best_of_n':
        return best_of_n(flow, context, config.latent_std, config.num_candidates, generator,
                         candidate_dtype(config, context.device))
    return refine(flow, context, config, generator)
