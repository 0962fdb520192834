# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Plain records passed between layers (no torch import: fields hold tensors or arrays).

Shape letters: B batch, K candidates, N_c cameras, T_a predicted steps, D_a action dim,
D_s state dim, H/W image size.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Observation(NamedTuple):
    """One batch of observations, already on the model's device.

    :param images: (B, N_c, 3, H, W) float in [0, 1], RGB; N_c may be 0.
    :param state: (B, D_s) joint positions in robot units (rad or m).
    :param last_action: (B, D_a) last executed action, or None when unused.
    """

    images: Any
    state: Any
    last_action: Any = None


class Prediction(NamedTuple):
    """A sampled action chunk and what the flow says about it.

    :param actions: (B, T_a, D_a) joint positions in robot units.
    :param log_prob: (B,) log p(a|o) of the normalized chunk [nats].
    :param log_prob_per_dim: (B,) ``log_prob / (T_a * D_a)`` [nats per dimension].
    :param confidence: (B,) in [0, 1]; 0.5 = as typical as a held-out observation's (its
        plan's log p, its context's distance or both: ``sampling.confidence``); 0 when the
        observation is out of support (``in_support`` False).
    :param in_support: (B,) bool, the joint state lies within the range the demos covered
        and the observation's context within the training ones' (core/confidence.py,
        ContextSupport).
    """

    actions: Any
    log_prob: Any
    log_prob_per_dim: Any
    confidence: Any
    in_support: Any
