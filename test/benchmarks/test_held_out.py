# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Held-out demos in the tiers' NF-P trainings (benchmarks.runs.held_out): their NLL is
logged and read back, and the confidence is calibrated on them."""

from __future__ import annotations

import math

from conftest import sine_episode, small_config

from benchmarks.protocol.networks import train_actor
from benchmarks.runs.held_out import held_out_fields, val_curve, val_nll_at
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.data.windows import WindowDataset


def test_an_nfp_training_logs_the_held_out_nll_and_calibrates_on_the_held_out_demos(
        tmp_path):
    config = small_config(steps=(4,), val_every=2, checkpoint_every=4)
    data = WindowDataset([sine_episode()], config.actions)
    val = WindowDataset([sine_episode(phase=1.0)], config.actions)
    train_actor('nfp', config, data, tmp_path, val=val)
    curve = val_curve(tmp_path / 'nfp')
    assert [step for step, _ in curve] == [2, 4]
    assert all(math.isfinite(nll) for _, nll in curve)
    assert val_nll_at(curve, 4) == curve[1][1] and val_nll_at(curve, 3) is None
    _, provenance = load_policy(tmp_path / 'nfp' / 'policy.pt')
    assert provenance['training']['calibration_source'] == 'validation'
    assert held_out_fields(tmp_path, 'nfp', 1) == {'val_curve': curve, 'val_demos': 1}
    assert held_out_fields(tmp_path, 'hold', 1) == {}  # a floor trains nothing
    assert held_out_fields(None, 'nfp', 1) == {}


def test_without_held_out_demos_nothing_is_logged_and_training_windows_calibrate(tmp_path):
    config = small_config(steps=(2,), val_every=1, checkpoint_every=2)
    train_actor('nfp', config, WindowDataset([sine_episode()], config.actions), tmp_path)
    assert val_curve(tmp_path / 'nfp') == []
    _, provenance = load_policy(tmp_path / 'nfp' / 'policy.pt')
    assert provenance['training']['calibration_source'] == 'training'
    assert held_out_fields(tmp_path, 'nfp', 0) == {}
