# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Reduced precision where the hardware has it: the one place that decides bf16 or float32.

Used by the encoder warm-up (``train.warmup_precision``) and by best-of-N's candidate pass
(``sampling.candidate_precision``). Both take 'fp32' | 'bf16' | 'auto'; 'auto' means bf16
only where it is computed natively, because emulated bf16 is slower than float32.
"""

from __future__ import annotations

from functools import cache

import torch

# bfloat16 keeps 8 significand bits: unit roundoff u = 2^-9 (round to nearest).
BF16_UNIT_ROUNDOFF = 2.0 ** -9


@cache  # asked on every best-of-N tick with 'auto'; the hardware does not change
def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 in hardware (not emulated, which is slower than
    float32): a CUDA GPU that supports it, a CPU with AVX512-BF16 or AMX tiles."""
    if device.type == 'cuda':
        return torch.cuda.is_bf16_supported()
    checks = ('_is_avx512_bf16_supported', '_is_amx_tile_supported')  # private: guarded
    return device.type == 'cpu' and any(getattr(torch.cpu, name, lambda: False)()
                                        for name in checks)


def reduced_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """'fp32' | 'bf16' | 'auto' on ``device`` -> the autocast dtype (None: float32)."""
    if precision == 'bf16' or (precision == 'auto' and native_bf16(device)):
        return torch.bfloat16
    return None
