# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""benchmarks.image_use end to end: a tiny camera policy trained for a few steps on demos
whose frames differ, and the same policy with its keypoints forced constant (the keypoint
projection zeroed), which must show no keypoint spread and no difference between its own
and another episode's frame."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import sine_episode, small_config
import numpy as np
import pytest

from benchmarks.experiments import candidate_precision, image_use
from benchmarks.pages import records
from nf_policy_ros.core.checkpoint import load_policy, save_checkpoint
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.cache import write_dataset
from nf_policy_ros.data.windows import Episode, WindowDataset

EPISODES, LENGTH, SIZE = 4, 40, 32
RUN_HASH = '0123456789'


def camera_episodes() -> list[Episode]:
    """Sine joint paths, each episode with its own random frames (uint8 noise)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(EPISODES):
        sine = sine_episode(LENGTH, num_cameras=1, image_size=SIZE, phase=i)
        frames = rng.integers(0, 256, sine.images.shape, dtype=np.uint8)
        out.append(Episode(frames, sine.state, sine.actions, f'toy-task/seed{i}'))
    return out


@pytest.fixture(scope='module')
def inputs(tmp_path_factory) -> dict[str, Path]:
    """A dataset named as vision_tier caches one (placement x2), a trained checkpoint in a
    benchmark run directory, and a copy with constant keypoints."""
    root = tmp_path_factory.mktemp('image_use')
    episodes = camera_episodes()
    dataset = root / 'demos_4_32px_range2'
    write_dataset(dataset, episodes, {'fps': 10.0, 'joint_names': ['a', 'b', 'c'],
                                      'image_size': [SIZE, SIZE], 'bags': []})
    config = small_config(num_cameras=1, steps=(5,), image_size=SIZE, stage_batch_size=(8,))
    run_dir = root / f'4demos_seed0_{RUN_HASH}_nfp' / 'nfp'
    trained = run_training(config, WindowDataset(episodes, config.actions), None, run_dir, {},
                           device='cpu', progress=False).policy_path
    policy, provenance = load_policy(trained)
    for keypoints in policy.encoder.keypoints:
        keypoints.project.weight.data.zero_()
        keypoints.project.bias.data.zero_()
    blind = root / 'constant_keypoints' / 'policy.pt'
    save_checkpoint(blind, policy, provenance)
    return {'dataset': dataset, 'trained': trained, 'blind': blind}


@pytest.fixture
def docs(tmp_path, monkeypatch) -> Path:
    monkeypatch.setattr(records, 'DOCS', tmp_path)
    return tmp_path


def test_the_probe_tells_a_looking_encoder_from_a_constant_one(inputs, docs, capsys):
    argv = [str(inputs['trained']), str(inputs['blind']), '--dataset', str(inputs['dataset']),
            '--ticks', '0', '6', '--write-docs']
    assert image_use.main(argv) == 0
    written = json.loads((docs / 'image_use.json').read_text())
    by = {(Path(r['checkpoint']).parent.name, r['tick']): r for r in written}
    assert sorted(by) == [('constant_keypoints', 0), ('constant_keypoints', 6),
                          ('nfp', 0), ('nfp', 6)]
    for r in written:
        assert r['format'] == records.FORMAT and r['dataset'] == str(inputs['dataset'])
        assert (r['task'], r['demos'], r['image_size'], r['object_range_scale']) == (
            'toy-task', EPISODES, [SIZE, SIZE], 2.0)
        assert (r['episodes'], r['horizon'], r['stride'], r['steps'], r['seed']) == (
            EPISODES, 4, 2, 5, 0)
        assert {'git_sha', 'host_cpu', 'load_avg'} <= r['machine'].keys()
        assert r['keypoint_spread_init'] > 1e-3  # an untrained encoder tells frames apart
        assert r['demo_vs_shuffled'] > 0.05  # the demos' chunks differ between episodes
        assert all(np.isfinite(r[k]) for k in ('r2_on', 'r2_off', 'r2_shuffled'))
    for tick in (0, 6):
        looking, constant = by[('nfp', tick)], by[('constant_keypoints', tick)]
        assert looking['config_hash'] == RUN_HASH and constant['config_hash'] is None
        assert looking['keypoint_spread'] > 1e-3 and looking['on_vs_shuffled'] > 0
        assert constant['keypoint_spread'] == 0.0 and constant['on_vs_shuffled'] == 0.0
        assert constant['r2_on'] == constant['r2_shuffled']
    page = (docs / 'image_use.md').read_text()
    assert f"## `{inputs['trained']}`\n\nconfig `{RUN_HASH}`, seed 0, 5 steps" in page
    assert 'toy-task, 4 episodes, 32x32 px, object placement x2' in page
    assert page.count('| tick | episodes | keypoint spread |') == 2


@pytest.mark.parametrize('bad, message', [
    (['--ticks', '0', '40'], '--ticks 40: 0 of 4 episodes have a chunk there'),
    (['--ticks', '-1'], '--ticks -1: '),
])
def test_a_bad_tick_is_named_and_nothing_is_written(inputs, docs, capsys, bad, message):
    argv = [str(inputs['trained']), '--dataset', str(inputs['dataset']), *bad, '--write-docs']
    with pytest.raises(SystemExit):
        image_use.main(argv)
    assert message in capsys.readouterr().err
    assert list(docs.iterdir()) == []


def test_a_file_that_is_no_nfp_checkpoint_is_named(inputs, docs, capsys):
    not_policy = inputs['dataset'] / 'meta.json'
    with pytest.raises(SystemExit):
        image_use.main([str(inputs['trained']), str(not_policy), '--dataset',
                        str(inputs['dataset']), '--write-docs'])
    err = capsys.readouterr().err
    assert str(not_policy) in err and 'expected an NF-P checkpoint' in err
    assert list(docs.iterdir()) == []


def test_each_episode_is_shown_another_episodes_frame():
    for n in (2, 3, 50):
        pairing = image_use.derangement(n, seed=0)
        assert sorted(pairing.tolist()) == list(range(n))
        assert (pairing != np.arange(n)).all()


def test_candidate_precision_plans_every_frame_twice(inputs, docs, capsys):
    argv = ['--checkpoint', str(inputs['trained']), '--dataset', str(inputs['dataset']),
            '--episodes', '2', '--candidates', '16', '--write-docs']
    assert candidate_precision.main(argv) == 0
    [record] = json.loads((docs / 'candidate_precision.json').read_text())
    assert record['frames'] == 2 * LENGTH and record['episodes'] == 2
    assert 0.0 <= record['same_pick'] <= 1.0
    assert record['log_p_given_up_max'] >= 0.0 and record['confidence_change_max'] >= 0.0
    if record['same_pick'] == 1.0:  # the same winner everywhere gives up nothing
        assert record['log_p_given_up_max'] == 0.0
    assert '| same winner |' in (docs / 'candidate_precision.md').read_text()
