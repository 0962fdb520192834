# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A policy kind is declared once (benchmarks/kinds.py): a kind added there, and nowhere
else, shows on every page, in every CLI and in the actors."""

from __future__ import annotations

import argparse
from dataclasses import replace

from conftest import sine_episode, small_config
import pytest
import torch

from benchmarks.experiments import policy_latency, state_tier, vision_tier
from benchmarks.pages import records, tier_page
from benchmarks.protocol import kinds, tier
from benchmarks.runs import run_dirs
from nf_policy_ros.data.windows import WindowDataset

MACHINE = {'git_sha': 'abcdef1234', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
           'torch_threads': 1, 'torch': 'x', 'device': 'cpu'}
# a DP sampler and an NF-P trained otherwise, the latter also checked with its camera off
FAKE_DP = kinds.Kind('dp-fake', kinds.DP, 'DDIM-7 fake', kinds.DPSampler('ddim', 7),
                     timed=True)
FAKE_NFP = kinds.Kind('nfp-fake', kinds.NFP, 'fake noise', kinds.BEST_OF_128,
                      {'action_noise_std': 0.2}, camera_checks=True)


@pytest.fixture
def fake_kinds(monkeypatch):
    """FAKE_DP and FAKE_NFP in the registry for one test."""
    for kind in (FAKE_DP, FAKE_NFP):
        monkeypatch.setitem(kinds.KINDS, kind.key, kind)


def _runs(policy: str, wins: list[int], page: str = 'state_tier', episodes: int = 20,
          **extra) -> list[dict]:
    """One finished run of ``page`` per seed whose first ``wins[seed]`` start states
    succeeded, loaded (in the current record format)."""
    return [records.migrate(page, {
        'task': 'hammer', 'demos': 10, 'steps': 2000, 'seed': seed, 'policy': policy,
        'config_hash': f'h{seed}', 'successes': w, 'episodes': episodes,
        'episode_success': [i < w for i in range(episodes)], 'lr': 1e-3, 'ema_warmup': True,
        'servo_omega': 100.0, 'machine': MACHINE, **extra}) for seed, w in enumerate(wins)]


def test_the_registry_reproduces_the_tables_it_replaced():
    assert kinds.columns(kinds.STATE) == {
        'nfp': 'NF-P', 'nfp-sample': 'NF-P sample std 1', 'nfp-zero': 'NF-P zero latent',
        'nfp-noise': 'NF-P action noise 0.1', 'nfp2': 'NF-P recipe 2, zero latent',
        'dp': 'DP', 'dp-ddpm': 'DP DDPM-100',
        'dp-ddim-trailing': 'DP DDIM-10 trailing', 'dp-ddim50': 'DP DDIM-50',
        'dp-ddim-eta1': 'DP DDIM-10 eta 1', 'dp-own': 'DP (own recipe)',
        'dp-own-eta1': 'DP DDIM-10 eta 1 (own recipe)', 'dp-own-ddpm': 'DP DDPM-100 (own recipe)',
        'hold': 'hold', 'random': 'random'}
    vision = kinds.columns(kinds.VISION)
    assert 'nfp-noise' not in vision and 'hold' not in vision and 'dp-own' not in vision
    assert list(vision)[-6:] == ['nfp-camera-off', 'nfp2-camera-off', 'dp-camera-off',
                                 'nfp-camera-frozen', 'nfp2-camera-frozen', 'dp-camera-frozen']
    assert vision['dp-camera-frozen'] == 'DP camera frozen'
    assert [(s.base.key, s.other.key, s.same) for s in kinds.sampler_studies()] == [
        ('dp', 'dp-ddpm', 'DP training'), ('dp', 'dp-ddim-trailing', 'DP training'),
        ('dp', 'dp-ddim50', 'DP training'), ('dp', 'dp-ddim-eta1', 'DP training'),
        ('nfp', 'nfp-sample', 'NF-P training'), ('nfp', 'nfp-zero', 'NF-P training'),
        ('dp', 'dp-own', 'demos and seed'), ('dp-own', 'dp-own-eta1', 'DP training'),
        ('dp-own', 'dp-own-ddpm', 'DP training'), ('nfp', 'nfp-noise', 'demos and seed'),
        ('nfp', 'nfp2', 'demos and seed')]
    pairs = [(mine.key, opponent.key) for mine, opponent in kinds.head_to_head()]
    assert pairs[:2] == [('nfp', 'dp'), ('nfp', 'dp-ddpm')] and len(pairs) == 3 * 8
    assert ('nfp', 'dp-own') in pairs and ('nfp2', 'dp-own') in pairs
    assert {kind.run_name for kind in kinds.KINDS.values() if kind.baseline} == {'dp', 'dp-own'}
    assert kinds.get('nfp-noise').run_name == 'nfp-noise'
    assert 'nfp2' in vision and kinds.get('nfp2').run_name == 'nfp2'
    shared = tier.tier_config(1000, seed=0)
    recipe_2 = kinds.trained_config(shared, kinds.get('nfp2'))
    assert recipe_2.sampling.mode == 'zero_latent'  # calibrated on the plans it acts with
    assert recipe_2.actions.execute_points == 4 and recipe_2.actions.mirror_dims == (8,)
    assert kinds.trained_config(shared, kinds.get('nfp-zero')) == shared  # a sampler only
    assert kinds.references() == ['nfp', 'dp']


def test_the_headline_covers_each_nfp_recipe_newest_first(monkeypatch):
    """NF-P's recipes in the headline are its MINE kinds, newest recipe first, each against
    the same DP (own recipe) training; a MINE kind needs its recipe number, and no two share
    one."""
    assert [k.key for k in kinds.headline_recipes()] == ['nfp2', 'nfp']
    assert kinds.headline_trainings() == ['nfp2', 'nfp', 'dp-own']
    assert kinds.get('nfp').headline_title == 'NF-P (recipe 1, before issue 32)'
    assert kinds.get('nfp2').title_or_column == 'NF-P (recipe 2)'
    with pytest.raises(ValueError, match=r'nfp-x: recipe_number=0: expected one \(1, 2, '):
        kinds.Kind('nfp-x', kinds.NFP, 'x', kinds.BEST_OF_128, headline=kinds.MINE)
    with pytest.raises(ValueError, match='nfp-x: recipe_number=3: expected one'):
        kinds.Kind('nfp-x', kinds.NFP, 'x', kinds.BEST_OF_128, recipe_number=3)
    recipe_3 = kinds.Kind('nfp-x', kinds.NFP, 'x', kinds.BEST_OF_128, {'lr_schedule': 'cosine'},
                          headline=kinds.MINE, recipe_number=3)
    monkeypatch.setitem(kinds.KINDS, recipe_3.key, recipe_3)
    assert [k.key for k in kinds.headline_recipes()] == ['nfp-x', 'nfp2', 'nfp']
    monkeypatch.setitem(kinds.KINDS, recipe_3.key, replace(recipe_3, recipe_number=2))
    with pytest.raises(ValueError, match=r'recipe_number: \[1, 2, 2\]: expected one kind per'):
        kinds.headline_recipes()


def test_unknown_kinds_and_camera_modes_are_named():
    with pytest.raises(ValueError, match=r"policy='dp-nope': expected one of nfp, "):
        kinds.get('dp-nope')
    with pytest.raises(ValueError, match="camera mode 'blurred'"):
        kinds.split_camera('nfp-camera-blurred')
    assert kinds.split_camera('dp-camera-frozen') == (kinds.get('dp'), 'frozen')
    assert kinds.split_camera('dp') == (kinds.get('dp'), '')


def test_a_kind_added_to_the_registry_shows_on_the_state_page(fake_kinds):
    runs = (_runs('nfp', [12, 13, 11]) + _runs('dp', [4, 5, 3]) +
            _runs('dp-fake', [6, 7, 5]) + _runs('nfp-fake', [15, 16, 14]))
    page = state_tier.render_page(runs)
    header = next(line for line in page.splitlines() if line.startswith('| task |'))
    assert ('| NF-P success [%] | NF-P fake noise success [%] | DP success [%] | '
            'DP DDIM-7 fake success [%] |') in header
    assert '| 60 ± 4 (n=3; 36/60' in page  # the fake NF-P's cell: 15, 16, 14 of 20
    assert 'NF-P - DP DDIM-7 fake, success difference' in page
    assert 'NF-P fake noise - DP, success difference' in page
    assert 'DP DDIM-10 12/60, CI 12-32 vs DP DDIM-7 fake 18/60' in page
    assert 'vs NF-P fake noise 45/60, CI 63-84 on the same 3 demos and seeds' in page


def test_a_kind_added_to_the_registry_shows_on_the_vision_page(fake_kinds):
    test = {'split': 'test', 'episodes': 50, 'page': 'vision_tier'}
    runs = (_runs('nfp-fake', [40, 42, 38], camera='on', **test) +
            _runs('nfp-fake-camera-off', [5, 6, 4], camera='off', **test) +
            _runs('dp-fake', [9, 9, 9], camera='on', **test))
    page = vision_tier.render_page(runs)
    header = next(line for line in page.splitlines() if line.startswith('| task |'))
    assert ('| NF-P fake noise success [%] | DP DDIM-7 fake success [%] | '
            'NF-P fake noise camera off success [%] |') in header
    assert '- hammer, 10 demos, 84 px, test split: NF-P fake noise camera on - off: +70 pts' \
        in page


def test_a_kind_added_to_the_registry_is_a_cli_choice(fake_kinds, capsys):
    for main, expected in ((state_tier.main, ('nfp-fake', 'dp-fake')),
                           (vision_tier.main, ('nfp-fake', 'dp-fake', 'nfp-fake-camera-off',
                                               'nfp-fake-camera-frozen'))):
        with pytest.raises(SystemExit):
            main(['--policies', 'nope'])
        choices = capsys.readouterr().err.split('choose from ')[1]
        for key in expected:
            assert f"'{key}'" in choices, (key, choices)


def test_a_kind_added_to_the_registry_is_timed_on_the_latency_page(fake_kinds):
    names = [name for name, _ in policy_latency.actors(policy_latency.sim_config(32),
                                                        torch.device('cpu'),
                                                        ('DP (small U-Net)',))]
    assert names[:3] == ['NF-P best-of-128', 'NF-P sample std 1', 'NF-P zero latent']
    assert 'NF-P refine-10' in names
    assert 'DP (small U-Net) DDIM-7 fake (5 M denoiser)' in names
    assert not any('fake noise' in name for name in names)  # not marked timed


def test_a_kind_added_to_the_registry_trains_and_samples_as_declared(fake_kinds, tmp_path):
    from benchmarks.protocol.networks import train_actor

    config = small_config(steps=(2,))
    data = WindowDataset([sine_episode()], config.actions)
    dp = train_actor('dp-fake', config, data, tmp_path / 'dp')
    assert (dp.name, dp.kind, dp.steps, dp.eta) == ('DP DDIM-7 fake', 'ddim', 7, 0.0)
    nfp = train_actor('nfp-fake', config, data, tmp_path / 'nfp')
    assert nfp.name == 'NF-P fake noise' and nfp.policy.config.train.action_noise_std == 0.2
    assert nfp.sampling == kinds.BEST_OF_128
    args = argparse.Namespace(run_dir=tmp_path)
    config = tier.tier_config(100, seed=0)
    dirs = {key: run_dirs.job_run_dir(args, ('hammer', 10, 0, key), config, 100.0).name
            for key in ('dp', 'dp-fake', 'nfp-fake')}
    assert dirs['dp-fake'] == dirs['dp'] and dirs['nfp-fake'].endswith('_nfp-fake')


def test_the_fake_kinds_are_gone_after_the_test():
    assert 'dp-fake' not in kinds.KINDS and 'dp-fake' not in kinds.columns(kinds.VISION)
    assert tier_page.sampler_lines(_runs('dp', [1, 1, 1]) + _runs('dp-fake', [2, 2, 2])) == []
