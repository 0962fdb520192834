# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""synthetic_demos: bags shaped like a training config, which every episode split cuts into
the demonstrations written; bad inputs are one line and write nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nf_policy_ros.config import NFPConfig, config_from_dict
from nf_policy_ros.data.bag import read_bag
from nf_policy_ros.data.episodes import build_episodes
from nf_policy_ros.tools import synthetic_demos

DATA = {'joint_names': ['a', 'b', 'c', 'd'], 'fps': 10.0,
        'camera_topics': ['/cam/image_raw/compressed', '/wrist/image'],
        'joint_state_topic': '/robot/joint_states', 'action_topic': '/leader/joint_states'}


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / 'train.yaml'
    path.write_text(yaml.safe_dump({'data': DATA}))
    return path


def episodes_of(folder: Path, split: str) -> list:
    config = config_from_dict(NFPConfig, {'data': {**DATA, 'episode_split': split}})
    found = []
    for bag in sorted(folder.iterdir()):
        streams = read_bag(bag, config.data, (16, 16))
        found += build_episodes(streams, config.data)[0]
    return found


def test_one_bag_per_episode_with_the_configs_topics(config_file, tmp_path):
    out = tmp_path / 'demos'
    assert synthetic_demos.main(['--config', str(config_file), '--out', str(out),
                                 '--episodes', '2', '--seconds', '3']) == 0
    assert sorted(p.name for p in out.iterdir()) == ['episode_0000', 'episode_0001']
    episodes = episodes_of(out, 'bag')
    assert len(episodes) == 2
    for episode in episodes:
        assert episode.images.shape[1:] == (2, 3, 16, 16) and episode.state.shape[1] == 4
        assert len(episode) >= 25  # 3 s at 10 Hz, less the first and last tick
        assert episode.images.std() > 1  # the square moves: the camera carries the state


@pytest.mark.parametrize('split', ['gap', 'topic'])
def test_one_bag_with_pauses_and_markers_splits_into_the_episodes(config_file, tmp_path,
                                                                  split):
    out = tmp_path / 'session'
    assert synthetic_demos.main(['--config', str(config_file), '--out', str(out),
                                 '--episodes', '3', '--seconds', '2', '--one-bag']) == 0
    assert [p.name for p in out.iterdir()] == ['session_0000']
    episodes = episodes_of(out, split)
    segments = [e.name.split('#')[1].split(':')[0] for e in episodes]  # '<bag>#<seg>:<tick>'
    assert segments == ['0', '1', '2'], 'each episode must come from its own split segment'


@pytest.mark.parametrize('args, words', [
    (['--set', 'data.joint_names=[]'], 'data.joint_names is empty'),
    (['--episodes', '0'], '--episodes 0'),
    (['--seconds', '0.3'], '--seconds 0.3'),
])
def test_bad_inputs_are_one_line_and_write_nothing(config_file, tmp_path, capsys, args, words):
    out = tmp_path / 'demos'
    code = synthetic_demos.main(['--config', str(config_file), '--out', str(out), *args])
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert err.startswith('synthetic_demos: error: ') and '\n' not in err and words in err


def test_a_non_empty_out_is_refused_and_left_alone(config_file, tmp_path, capsys):
    out = tmp_path / 'demos'
    out.mkdir()
    (out / 'mine').write_text('keep')
    assert synthetic_demos.main(['--config', str(config_file), '--out', str(out)]) == 2
    assert 'is not empty' in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ['mine']
