# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""bags -> bag_to_dataset -> train -> checkpoint -> load -> predict, through main(argv)."""

from __future__ import annotations

from pathlib import Path

from bag_factory import JOINTS, demo_messages, write_bag
import numpy as np
import pytest
import torch
import yaml

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.data.cache import load_dataset
from nf_policy_ros.structs import Observation
from nf_policy_ros.tools import bag_to_dataset, train

ROOT = Path(__file__).resolve().parents[1]


def tiny_params(path: Path, steps: int = 20) -> Path:
    """The shipped config/train.yaml with a tiny model and the test's joints and topics."""
    params = yaml.safe_load((ROOT / 'config' / 'train.yaml').read_text())
    p = params['/**/nf_policy_train']['ros__parameters']
    p['data'].update(joint_names=list(JOINTS), fps=10.0)
    p['encoder'].update(image_height=32, image_width=32, num_keypoints=8, context_dim=32)
    p['actions'].update(horizon=4, stride=2)
    p['flow'].update(num_layers=2, hidden_units=32, hidden_blocks=1)
    p['train'].update(stage_steps=[steps], stage_lr=[1.0e-3], stage_batch_size=[8],
                      warmup_steps=2, val_every=10, checkpoint_every=10, val_fraction=0.34)
    path.write_text(yaml.safe_dump(params))
    return path


@pytest.fixture(scope='module')
def bag_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('bags')
    for i, storage in enumerate(['mcap', 'sqlite3', 'mcap']):
        write_bag(folder / f'ep_{i}', demo_messages(seconds=3.0, phase=0.3 * i), storage)
    return folder


def test_end_to_end_through_the_clis(bag_folder, tmp_path):
    config = tiny_params(tmp_path / 'train.yaml')
    data = tmp_path / 'data'
    assert bag_to_dataset.main([str(bag_folder), '--out', str(data), '--config', str(config),
                                '--no-progress']) == 0
    episodes, meta = load_dataset(data)
    assert len(episodes) == 3 and meta['joint_names'] == list(JOINTS)
    assert all(len(b['sha256']) == 64 for b in meta['bags'])
    run = tmp_path / 'run'
    assert train.main(['--dataset', str(data), '--out', str(run), '--config', str(config),
                       '--no-progress', '--device', 'cpu']) == 0
    policy, provenance = load_policy(run / 'policy.pt')
    assert provenance['joint_names'] == list(JOINTS)
    assert provenance['fps'] == 10.0 and provenance['stride'] == 2
    assert [b['sha256'] for b in provenance['bags']] == [b['sha256'] for b in meta['bags']]
    obs = Observation(torch.from_numpy(episodes[0].images[:2]).float() / 255,
                      torch.from_numpy(episodes[0].state[:2]))
    pred = policy.predict(obs, SamplingConfig(num_candidates=8),
                          torch.Generator().manual_seed(0))
    assert pred.actions.shape == (2, 4, 3) and torch.isfinite(pred.actions).all()
    assert ((pred.confidence >= 0) & (pred.confidence <= 1)).all()


def test_clis_refuse_to_overwrite_and_resume_on_request(bag_folder, tmp_path, capsys):
    config = tiny_params(tmp_path / 'train.yaml', steps=10)
    data, run = tmp_path / 'data', tmp_path / 'run'
    common = ['--config', str(config), '--no-progress']
    assert bag_to_dataset.main([str(bag_folder / 'ep_0'), '--out', str(data), *common]) == 0
    assert bag_to_dataset.main([str(bag_folder / 'ep_0'), '--out', str(data), *common]) == 2
    assert 'already holds a dataset' in capsys.readouterr().err
    args = ['--dataset', str(data), '--out', str(run), '--device', 'cpu', *common]
    assert train.main(args) == 0
    assert train.main(args) == 2
    assert 'already holds a run' in capsys.readouterr().err
    assert train.main([*args, '--resume', '--set', 'train.stage_steps=[14]']) == 0
    assert 'trained 14 steps' in capsys.readouterr().out


def test_train_refuses_joint_names_that_contradict_the_dataset(bag_folder, tmp_path, capsys):
    config = tiny_params(tmp_path / 'train.yaml')
    data = tmp_path / 'data'
    bag_to_dataset.main([str(bag_folder / 'ep_1'), '--out', str(data), '--config',
                         str(config), '--no-progress'])
    code = train.main(['--dataset', str(data), '--out', str(tmp_path / 'run'), '--config',
                       str(config), '--set', 'data.joint_names=[j3, j2, j1]'])
    assert code == 2
    assert "data.joint_names=['j3', 'j2', 'j1'] but the dataset has ['j1', 'j2', 'j3']" in \
        capsys.readouterr().err


def test_bag_to_dataset_reports_the_bad_bag(tmp_path, capsys):
    (tmp_path / 'notabag').mkdir()
    (tmp_path / 'notabag' / 'x.txt').write_text('')
    code = bag_to_dataset.main([str(tmp_path / 'notabag'), '--out', str(tmp_path / 'd'),
                                '--set', 'data.joint_names=[a]'])
    assert code == 2
    assert 'holds no rosbag2 directory' in capsys.readouterr().err
    assert not np.any([p.name == 'meta.json' for p in tmp_path.rglob('*')])
