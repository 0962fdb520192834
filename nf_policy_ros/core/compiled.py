# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Compiled inference: the encoder and the flow's sampling pass through ``torch.compile``.

An eager tick is ~1,000 small operator calls (about 100 per coupling); each goes through
Python and, in the policy node, competes for the GIL with the subscription callbacks.
Inductor fuses them into a few kernels; with ``freezing`` it also folds the weights into
the graph (convolutions are pre-packed for oneDNN on CPU, the LU products are computed
once). Frozen graphs hold the weights they saw: compile after the checkpoint is loaded,
never during training. Eager stays the reference: ``compile_for_inference`` checks the
compiled tick against it and falls back to eager (with the reason) when they disagree or
compilation fails.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.structs import Observation

# Compiled vs eager on the same inputs, relative to max(1, |eager|): float32 kernels that
# fuse and reorder ~1,000 operations (eps 1.2e-7) drift by a few 1e-6 (measured 6e-6 on x,
# 4e-5 on a log p of ~1e2 nats); 1e-3 keeps a 25x margin and still catches a wrong graph.
AGREEMENT_RTOL = 1e-3


class CompileResult(NamedTuple):
    compiled: bool
    reason: str  # '' when compiled, else why the policy stays eager
    max_rel_error: float


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(((a - b).abs() / b.abs().clamp(min=1.0)).max())


def compile_for_inference(policy: NFPolicy, example: Observation, sampling: SamplingConfig,
                          mode: str | None = None) -> CompileResult:
    """Compile ``policy``'s encoder and flow sampling pass for ``example``'s shapes (batch,
    cameras, image size) and check the zero-latent chunk against eager.

    ``mode`` is torch.compile's (None = default; ``'reduce-overhead'`` adds CUDA graphs on a
    GPU). Refinement keeps the eager flow (it needs autograd). On failure the policy is left
    eager and the reason returned, so a robot never loses its policy to the compiler.
    """
    policy.eval()
    reference = SamplingConfig(mode='zero_latent')
    with torch.no_grad():
        expected = policy.predict(example, reference)
    args = {'mode': mode} if mode else {'options': {'freezing': True}}
    try:
        policy.compile_encoder(True, **args)
        policy.flow.compile_sampling(True, **args)
        with torch.no_grad():
            got = policy.predict(example, reference)
            policy.predict(example, sampling)  # compile the tick's own shapes too
    except Exception as exc:  # noqa: BLE001 -- any compiler failure falls back to eager
        uncompile(policy)
        return CompileResult(False, _one_line(exc), float('nan'))
    error = max(_relative_error(got.actions, expected.actions),
                _relative_error(got.log_prob, expected.log_prob))
    if error > AGREEMENT_RTOL:
        uncompile(policy)
        return CompileResult(False, f'compiled tick differs from eager by {error:.2e} '
                             f'(relative; allowed {AGREEMENT_RTOL:g})', error)
    return CompileResult(True, '', error)


def _one_line(exc: Exception, limit: int = 300) -> str:
    """The exception as one line (inductor's messages span many, the first often empty)."""
    text = ' '.join(part.strip() for part in str(exc).splitlines() if part.strip())
    return f'{type(exc).__name__}: {text}'[:limit]


def uncompile(policy: NFPolicy) -> None:
    """Back to eager for the encoder and the flow."""
    policy.compile_encoder(False)
    policy.flow.compile_sampling(False)
