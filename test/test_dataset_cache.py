# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A corrupt dataset directory is one line naming the file and what was expected, in the
data layer and through the train CLI (exit 2, nothing written), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from bag_factory import JOINTS as BAG_JOINTS
from bag_factory import demo_messages, write_bag
from conftest import sine_episode
import numpy as np
import pytest

from nf_policy_ros.data.cache import (
    META,
    TRAINING_FIELDS,
    DatasetError,
    load_dataset,
    write_dataset,
)
from nf_policy_ros.tools import train
from nf_policy_ros.tools.bag_to_dataset import main as bag_to_dataset

JOINTS = ['j1', 'j2', 'j3']


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A valid two-episode, one-camera dataset as bag_to_dataset writes it."""
    path = tmp_path / 'data'
    episodes = [sine_episode(num_cameras=1, image_size=8, name=f'ep{i}', phase=i)
                for i in range(2)]
    write_dataset(path, episodes, {
        'fps': 10.0, 'joint_names': JOINTS, 'camera_topics': ['/image'],
        'image_size': [8, 8], 'bags': [{'path': '/bags/ep0', 'sha256': '0' * 64}]})
    return path


def _edit_meta(path: Path, **changes) -> None:
    meta = json.loads((path / META).read_text())
    for key, value in changes.items():
        if value is None:
            del meta[key]
        else:
            meta[key] = value
    (path / META).write_text(json.dumps(meta))


def _truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _resave(file: Path, **arrays) -> None:
    with np.load(file) as data:
        content = {k: data[k] for k in data.files}
    content.update(arrays)
    np.savez(file, **{k: v for k, v in content.items() if v is not None})


EPISODE = 'episodes/000001.npz'
CORRUPTIONS = {
    # name: (damage, file named in the message, words of the expectation)
    'truncated npz': (lambda d: _truncate(d / EPISODE), EPISODE, 'expected an .npz'),
    'npz without state': (lambda d: _resave(d / EPISODE, state=None), EPISODE,
                          'images, state and actions'),
    'npz with other joints': (lambda d: _resave(d / EPISODE,
                                                state=np.zeros((40, 5), np.float32)),
                              EPISODE, 'expected (40, 3)'),
    'float images': (lambda d: _resave(d / EPISODE, images=np.zeros((40, 1, 3, 8, 8))),
                     EPISODE, 'expected uint8'),
    'episode file missing': (lambda d: (d / EPISODE).unlink(), EPISODE, 'incomplete'),
    'meta.json missing': (lambda d: (d / META).unlink(), '.', 'has no meta.json'),
    'meta.json not JSON': (lambda d: (d / META).write_text('{"fps": 10,'), META,
                           'expected JSON, as bag_to_dataset writes it'),
    'meta.json a list': (lambda d: (d / META).write_text('[1, 2]'), META,
                         'expected a JSON object'),
    'meta without joint_names': (lambda d: _edit_meta(d, joint_names=None), META,
                                 "no field 'joint_names'"),
    'meta with a bad image_size': (lambda d: _edit_meta(d, image_size=[8]), META,
                                   '[height, width]'),
    'meta with a text fps': (lambda d: _edit_meta(d, fps='10'), META, 'a number > 0'),
}


@pytest.mark.parametrize('name', list(CORRUPTIONS))
def test_a_corrupt_dataset_is_one_line_naming_the_file(dataset, name):
    damage, file, expectation = CORRUPTIONS[name]
    damage(dataset)
    with pytest.raises(DatasetError) as error:
        load_dataset(dataset, required=TRAINING_FIELDS)
    message = str(error.value)
    assert '\n' not in message
    assert repr(str(dataset / file)) in message
    assert expectation in message


def test_the_valid_dataset_loads(dataset):
    episodes, meta = load_dataset(dataset, required=TRAINING_FIELDS)
    assert [e.name for e in episodes] == ['ep0', 'ep1'] and meta['joint_names'] == JOINTS
    assert episodes[1].images.shape == (40, 1, 3, 8, 8)


def test_a_dataset_without_training_fields_still_loads_for_other_readers(dataset):
    _edit_meta(dataset, camera_topics=None, bags=None)
    episodes, _ = load_dataset(dataset)
    assert len(episodes) == 2
    with pytest.raises(DatasetError, match="no field 'camera_topics'"):
        load_dataset(dataset, required=TRAINING_FIELDS)


def test_train_answers_a_truncated_episode_with_one_line_and_writes_nothing(dataset, tmp_path,
                                                                            capsys):
    _truncate(dataset / EPISODE)
    out = tmp_path / 'run'
    code = train.main(['--dataset', str(dataset), '--out', str(out), '--device', 'cpu',
                       '--no-progress'])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert err.count('\n') == 0 and err.startswith('train: error: ')
    assert str(dataset / EPISODE) in err and 'Traceback' not in err


def test_a_state_only_dataset_from_bag_to_dataset_loads_for_training(tmp_path):
    """No camera: the episodes' empty image arrays have no size to check against the
    encoder's image_size (it was refused: images (L, 0, 3, 1, 1) vs (L, 0, 3, 32, 32))."""
    write_bag(tmp_path / 'bags' / 'b0', demo_messages(seconds=2.0))
    out = tmp_path / 'data'
    assert bag_to_dataset([str(tmp_path / 'bags'), '--out', str(out), '--no-progress',
                           '--set', f'data.joint_names={list(BAG_JOINTS)}',
                           '--set', 'data.fps=10.0', '--set', 'data.camera_topics=[]',
                           '--set', 'data.max_joint_age_s=0.05']) == 0
    (episode,), meta = load_dataset(out, required=TRAINING_FIELDS)
    assert meta['camera_topics'] == [] and episode.images.shape[1] == 0
    assert len(episode) >= 15 and episode.state.shape[1] == len(BAG_JOINTS)
