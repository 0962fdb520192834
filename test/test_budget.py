# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The candidate governor degrades N under a slow model and recovers it with hysteresis;
best-of-N never draws more candidates than the confidence was calibrated with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from nf_policy_ros.config import ConfigError, NFPConfig, SamplingConfig
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.runtime.budget import (
    LEVEL_HISTORY,
    RECOVER_AFTER_TICKS,
    SPIKE_WINDOW_TICKS,
    CandidateGovernor,
    governor_for,
)
from nf_policy_ros.runtime.configure import (
    calibrated_candidates,
    check_candidates,
    check_confidence_source,
)


def test_halves_on_a_late_tick_down_to_the_floor():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0)
    assert gov.levels() == [128, 64, 32, 16, 8]
    assert [gov.update(120.0) for _ in range(6)] == [64, 32, 16, 8, 8, 8]
    assert gov.degraded


def test_recovers_only_after_a_run_of_fast_ticks():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0)
    gov.update(120.0)
    for _ in range(RECOVER_AFTER_TICKS - 1):
        assert gov.update(30.0) == 64
    gov.update(60.0)  # within budget but not fast: the run starts over
    for _ in range(RECOVER_AFTER_TICKS - 1):
        assert gov.update(30.0) == 64
    assert gov.update(30.0) == 128 and not gov.degraded


def test_a_model_within_budget_keeps_n():
    gov = CandidateGovernor(max_candidates=32, min_candidates=1, budget_ms=80.0)
    assert {gov.update(79.0) for _ in range(50)} == {32}


def test_a_lone_spike_within_the_deadline_keeps_n_and_a_second_one_halves():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0,
                            deadline_ms=100.0)
    assert gov.update(90.0) == 128, 'one tick over the budget, within the period'
    assert {gov.update(57.0) for _ in range(SPIKE_WINDOW_TICKS)} == {128}
    assert gov.update(90.0) == 128, 'the first spike is out of the window'
    assert gov.update(57.0) == 128
    assert gov.update(85.0) == 64, 'a second spike within the window'
    assert gov.update(101.0) == 32, 'past the period: at once'


def test_recovers_when_the_fixed_cost_passes_half_the_budget():
    """The image encoder's share does not halve with N: at 64 candidates a tick takes 50 ms,
    more than half of 80, yet 128 took 57 ms. The governor learns the step between the
    levels and goes back to 128 (a proportional rule stays at 64 for good)."""
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0,
                            deadline_ms=100.0)
    for _ in range(LEVEL_HISTORY):
        gov.update(57.0)
    gov.update(85.0)
    assert gov.update(85.0) == 64
    ticks = [gov.update(50.0) for _ in range(RECOVER_AFTER_TICKS)]
    assert ticks[:-1] == [64] * (RECOVER_AFTER_TICKS - 1) and ticks[-1] == 128


def test_does_not_recover_while_the_larger_n_would_not_fit():
    gov = CandidateGovernor(max_candidates=128, min_candidates=8, budget_ms=80.0,
                            deadline_ms=100.0)
    for _ in range(LEVEL_HISTORY):
        gov.update(95.0)  # over the budget, within the period: halves on each second one
    assert gov.current < 128
    level = gov.current
    assert {gov.update(60.0) for _ in range(5 * RECOVER_AFTER_TICKS)} == {level}, \
        'the larger N cost 95 ms: 60 + (95 - 60) does not fit 0.9 x 80'


def test_the_governor_of_a_config_is_built_in_one_place():
    config = PolicyNodeConfig(sampling=SamplingConfig(num_candidates=64), min_candidates=4,
                              control_rate_hz=20.0, model_budget_fraction=0.5)
    gov = governor_for(config)
    assert (gov.max_candidates, gov.min_candidates, gov.budget_ms) == (64, 4, 25.0)
    assert gov.deadline_ms == 50.0, 'the control period'


# ---- the calibration's candidate count (runtime/configure.py) ----------------------------
def _policy(sampling: SamplingConfig) -> SimpleNamespace:
    return SimpleNamespace(config=NFPConfig(sampling=sampling))


def test_the_calibration_count_is_read_back_from_the_checkpoint():
    recorded = {'training': {'calibration_sampling': {'mode': 'best_of_n',
                                                      'num_candidates': 32}}}
    default = _policy(SamplingConfig())  # best-of-128
    assert calibrated_candidates(default, recorded) == 32, 'the record wins'
    assert calibrated_candidates(default, {}) == 128, 'older checkpoint: its config'
    other = {'training': {'calibration_sampling': {'mode': 'sample', 'num_candidates': 32}}}
    assert calibrated_candidates(default, other) is None, 'N plays no part in sample mode'


def test_more_candidates_than_calibrated_are_refused_fewer_are_a_warning():
    with pytest.raises(ConfigError) as refused:
        check_candidates(SamplingConfig(num_candidates=128), 32)
    message = str(refused.value)
    assert message.startswith('sampling.num_candidates=128 is invalid: expected at most 32')
    assert 'set sampling.num_candidates <= 32' in message and '\n' not in message
    assert check_candidates(SamplingConfig(num_candidates=32), 32) == ''
    assert 'reads low' in check_candidates(SamplingConfig(num_candidates=8), 32)
    assert check_candidates(SamplingConfig(mode='sample', num_candidates=512), None,
                            'sample') == ''
    assert check_candidates(SamplingConfig(num_candidates=512), None) == ''


def test_a_context_confidence_needs_a_checkpoint_that_stored_its_distances():
    for source in ('plan', 'context', 'both'):
        check_confidence_source(SamplingConfig(confidence=source), True)
    check_confidence_source(SamplingConfig(confidence='plan'), False)
    for source in ('context', 'both'):
        with pytest.raises(ConfigError) as refused:
            check_confidence_source(SamplingConfig(confidence=source), False)
        message = str(refused.value)
        assert message.startswith(f"sampling.confidence='{source}' is invalid: expected "
                                  "'plan'")
        assert 'held-out context distances' in message and '\n' not in message


def test_another_sampling_mode_than_the_calibrations_is_a_warning():
    """A checkpoint calibrated on zero-latent plans (recipe 2) run best-of-N, or the other
    way round: the confidence is not calibrated for the plans, so the line names both modes
    and the setting; N is not checked against a calibration of another mode."""
    note = check_candidates(SamplingConfig(num_candidates=512), None, 'zero_latent')
    assert note.startswith('sampling.mode=best_of_n but the confidence was calibrated on '
                           'zero_latent plans'), note
    assert note.endswith('(set sampling.mode: zero_latent)') and '\n' not in note
    assert 'best_of_n plans' in check_candidates(SamplingConfig(mode='zero_latent'), 32)
    assert check_candidates(SamplingConfig(mode='zero_latent'), None, 'zero_latent') == ''
