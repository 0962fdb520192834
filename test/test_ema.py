# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The evaluation EMA: warm-up forgets the initial weights, long runs reach the set decay."""

import pytest
import torch

from nf_policy_ros.core.ema import build_ema, ema_decay_at


def _train_constant_target(decay: float, warmup: bool, updates: int) -> float:
    """A scalar weight that jumps from 0 to 1 after the copy at update 0; returns the
    averaged value after ``updates`` updates."""
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(model.weight)
    ema = build_ema(model, decay, warmup)
    ema.update_parameters(model)  # the copy of the initial weights
    with torch.no_grad():
        model.weight.fill_(1.0)
    for _ in range(updates):
        ema.update_parameters(model)
    return ema.module.weight.item()


def test_fixed_decay_keeps_the_initial_weights_in_short_runs():
    assert _train_constant_target(0.999, False, 2000) == pytest.approx(1 - 0.999 ** 2000,
                                                                       rel=1e-3)


def test_warmup_forgets_the_initial_weights():
    assert _train_constant_target(0.999, True, 2000) > 0.999


def test_warmup_schedule_ramps_to_the_set_decay():
    decays = [ema_decay_at(0.999, n, True) for n in (1, 10, 100, 10_000)]
    assert decays[0] == pytest.approx(2 / 11)
    assert decays == sorted(decays)
    assert decays[-1] == 0.999
    assert ema_decay_at(0.999, 1, False) == 0.999


def test_zero_decay_means_no_ema():
    assert build_ema(torch.nn.Linear(1, 1), 0.0, True) is None

