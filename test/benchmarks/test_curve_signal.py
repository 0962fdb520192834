# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""benchmarks.curve_signal: a held-out signal's checkpoint picks judged by the rule written
before its run, and the plan error it measures."""

from __future__ import annotations

from conftest import sine_episode, small_config

from benchmarks.experiments.curve_signal import picks, plan_arm_error, signal_table, verdict
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.training import fit_normalizers, run_training
from nf_policy_ros.data.windows import WindowDataset


def _run(task: str, step: int, successes: int, nll: float | None = None) -> dict:
    return {'task': task, 'seed': 0, 'step': step, 'successes': successes, 'episodes': 20,
            **({} if nll is None else {'val_nll': nll})}


# two trainings; step 1000 is the best single step (34 of 40) and the best of each training
SUCCESS = {('hammer', 0): {1000: _run('hammer', 1000, 18), 2000: _run('hammer', 2000, 10)},
           ('assembly', 0): {1000: _run('assembly', 1000, 16),
                             2000: _run('assembly', 2000, 15)}}


def test_a_signal_that_picks_the_best_step_agrees_and_one_that_does_not_misses_by_its_margin():
    agrees = verdict(SUCCESS, {('hammer', 0): 1000, ('assembly', 0): 1000})
    assert agrees == (85.0, 1000, 85.0, 'agrees')
    # hammer's pick at 2000: (10 + 16) / 40 = 65 %, 20 points below, 15 beyond the tolerance
    misses = verdict(SUCCESS, {('hammer', 0): 2000, ('assembly', 0): 1000})
    assert misses == (65.0, 1000, 85.0, 'misses by 15.0 points')
    # within the 5 points: assembly's pick at 2000 gives up 1 of 40 (2.5 points)
    assert verdict(SUCCESS, {('hammer', 0): 1000, ('assembly', 0): 2000})[3] == 'agrees'


def test_picks_take_the_lowest_value_and_the_fewer_steps_on_a_tie():
    assert picks({('a', 0): {1000: 0.3, 2000: 0.1, 4000: 0.2},
                  ('b', 0): {1000: 0.1, 2000: 0.1}}) == {('a', 0): 2000, ('b', 0): 1000}


def test_the_table_judges_both_signals_on_the_trainings_both_cover():
    curve = [_run('hammer', 1000, 18, -1.0), _run('hammer', 2000, 10, -1.5),
             _run('assembly', 1000, 16, -1.0), _run('assembly', 2000, 15, -1.2),
             _run('basketball', 1000, 12, -1.0)]  # no plan error recorded: left out
    errors = [{'task': t, 'seed': 0, 'step': s, 'val_plan_rmse': e}
              for t, s, e in [('hammer', 1000, 0.01), ('hammer', 2000, 0.02),
                              ('assembly', 1000, 0.01), ('assembly', 2000, 0.03)]]
    rows, verdicts = signal_table(errors, curve)
    assert [(r[0], r[3], r[4], r[5]) for r in rows] == [('hammer', 1000, 2000, 1000),
                                                        ('assembly', 1000, 2000, 1000)]
    assert verdicts[0] == ['held-out plan arm error', '85.0 %', '1000 steps: 85.0 %', 'agrees']
    assert verdicts[1][0] == 'held-out NLL' and verdicts[1][3] == 'misses by 17.5 points'


def test_the_plan_error_falls_as_the_policy_learns_the_demos(tmp_path):
    """Zero-latent plans of the same network before and after 150 steps on two phases of
    a sine, scored on a third phase held out."""
    config = small_config(steps=(150,), checkpoint_every=150, val_every=150)
    data = WindowDataset([sine_episode(), sine_episode(phase=0.5)], config.actions)
    held_out = WindowDataset([sine_episode(phase=0.25)], config.actions)
    zero = SamplingConfig(mode='zero_latent')
    untrained = NFPolicy(config)
    fit_normalizers(untrained, data)
    before = plan_arm_error(untrained, held_out, zero, arm=[0, 1, 2])
    result = run_training(config, data, None, tmp_path, {}, device='cpu', progress=False)
    trained, _ = load_policy(result.policy_path)
    after = plan_arm_error(trained, held_out, zero, arm=[0, 1, 2])
    assert after < 0.5 * before, (before, after)
