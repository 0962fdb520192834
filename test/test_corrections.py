# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Learning from corrections (issue 35): the operator flag per tick in bags and datasets,
batches mixing demonstrations and corrections at a stated fraction, and fine-tuning from
a checkpoint."""

from __future__ import annotations

import argparse
import csv
import dataclasses
from pathlib import Path

from bag_factory import JOINTS, demo_messages, write_bag
from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch
import yaml

from nf_policy_ros.config import ConfigError, DataConfig, config_to_dict
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.train_state import batch_indices, batch_to_device, step_generator
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.bag import read_bag
from nf_policy_ros.data.cache import load_dataset, write_dataset
from nf_policy_ros.data.episodes import build_episodes
from nf_policy_ros.data.synthetic import TYPES
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.tools import train
from nf_policy_ros.tools.bag_to_dataset import main as bag_to_dataset
from nf_policy_ros.tools.config_file import load_config

SIZE = (8, 8)
FLAG = '/nf_policy/intervention'
START = 10**18
CONFIG = DataConfig(fps=10.0, joint_names=JOINTS, camera_topics=('/image',),
                    joint_state_topic='/joint_states', max_image_age_s=0.15,
                    max_joint_age_s=0.05, intervention_topic=FLAG, min_episode_ticks=2)
# the operator commands from 1.0 s to 1.8 s and from 2.2 s to 2.6 s (flag at 20 Hz, as the
# policy node's control loop publishes it)
FLAGGED_S = ((1.0, 1.8), (2.2, 2.6))


def flagged(seconds: float) -> bool:
    return any(a <= seconds < b for a, b in FLAGGED_S)


def corrections_bag(path: Path, seconds: float = 3.0) -> Path:
    """bag_factory's demo plus a std_msgs/Bool flag at 20 Hz on FLAG."""
    messages = demo_messages(seconds=seconds)
    for k in range(int(seconds * 20)):
        t = START + k * 50_000_000 + 500
        messages.append((FLAG, t, TYPES['std_msgs/msg/Bool'](data=flagged(k / 20))))
    return write_bag(path, messages)


def tick_seconds(episode: Episode) -> np.ndarray:
    """Seconds into the bag of each tick (the frame index is the camera's brightness at
    10 Hz and ticks are 10 Hz: tick k sees frame k)."""
    return episode.images[:, 0, 0, 0, 0].astype(float) / 10.0


def test_whole_episodes_keep_the_flag_per_tick(tmp_path):
    (episode,), report = build_episodes(read_bag(corrections_bag(tmp_path / 'b'), CONFIG,
                                                 SIZE), CONFIG)
    expected = [flagged(s) for s in tick_seconds(episode)]
    assert episode.intervention.tolist() == expected
    assert report.intervention_ticks == sum(expected) == 12  # 8 + 4 ticks at 10 Hz


def test_segment_mode_keeps_exactly_the_flagged_ticks(tmp_path):
    config = dataclasses.replace(CONFIG, keep='interventions')
    episodes, report = build_episodes(read_bag(corrections_bag(tmp_path / 'b'), config,
                                               SIZE), config)
    kept = np.concatenate([tick_seconds(e) for e in episodes])
    assert np.allclose(kept, [s / 10 for s in range(30) if flagged(s / 10)])
    assert len(episodes) == 2  # one per run of flagged ticks
    assert all(e.intervention.all() for e in episodes)
    assert report.ticks == report.intervention_ticks == 12


def test_a_bag_without_the_flag_topic_is_all_false_and_skipped_in_segment_mode(tmp_path):
    bag = write_bag(tmp_path / 'plain', demo_messages(seconds=2.0))
    (episode,), _ = build_episodes(read_bag(bag, CONFIG, SIZE), CONFIG)
    assert not episode.intervention.any()
    config = dataclasses.replace(CONFIG, keep='interventions')
    episodes, report = build_episodes(read_bag(bag, config, SIZE), config)
    assert episodes == [] and report.episodes == 0


def test_segment_mode_needs_a_flag_topic():
    with pytest.raises(ConfigError, match=r"data.keep='interventions' is invalid"):
        DataConfig(keep='interventions')


def test_bag_to_dataset_segment_mode_writes_flags_and_refuses_when_none(tmp_path, capsys):
    corrections_bag(tmp_path / 'bags' / 'b0')
    common = ['--no-progress', '--set', f'data.joint_names={list(JOINTS)}',
              '--set', 'data.fps=10.0', '--set', 'data.max_image_age_s=0.15',
              '--set', 'data.max_joint_age_s=0.05', '--set', f'data.intervention_topic={FLAG}',
              '--set', 'data.min_episode_ticks=2', '--set', 'encoder.image_height=32',
              '--set', 'encoder.image_width=32']
    out = tmp_path / 'corrections'
    assert bag_to_dataset([str(tmp_path / 'bags'), '--out', str(out), *common,
                           '--set', 'data.keep=interventions']) == 0
    assert '12 operator-commanded' in capsys.readouterr().out
    episodes, meta = load_dataset(out)
    assert meta['keep'] == 'interventions' and meta['intervention_topic'] == FLAG
    assert [len(e) for e in episodes] == [8, 4] and all(e.intervention.all() for e in episodes)
    write_bag(tmp_path / 'plain' / 'b0', demo_messages(seconds=2.0))
    refused = tmp_path / 'refused'
    assert bag_to_dataset([str(tmp_path / 'plain'), '--out', str(refused), *common,
                           '--set', 'data.keep=interventions']) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and 'data.keep=interventions: no run' in err and FLAG in err
    assert not refused.exists(), 'nothing written on failure'


def test_segment_mode_says_when_the_only_corrections_were_in_failed_episodes(tmp_path,
                                                                          capsys):
    bag = corrections_bag(tmp_path / 'bags' / 'b0')
    metadata = bag / 'metadata.yaml'  # labelled as demo_recorder labels a failed episode
    info = yaml.safe_load(metadata.read_text())
    info['rosbag2_bagfile_information']['custom_data'] = {'nf_policy_ros.outcome': 'failure'}
    metadata.write_text(yaml.safe_dump(info))
    common = [str(tmp_path / 'bags'), '--no-progress', '--set', f'data.joint_names={list(JOINTS)}',
              '--set', 'data.fps=10.0', '--set', 'data.max_image_age_s=0.15',
              '--set', 'data.max_joint_age_s=0.05', '--set', f'data.intervention_topic={FLAG}',
              '--set', 'data.min_episode_ticks=2', '--set', 'encoder.image_height=32',
              '--set', 'encoder.image_width=32', '--set', 'data.keep=interventions']
    assert bag_to_dataset([*common, '--out', str(tmp_path / 'skipped')]) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and '(1 labelled failure skipped: data.skip_failures=false keeps' \
        in err, err
    assert bag_to_dataset([*common, '--out', str(tmp_path / 'kept'),
                           '--set', 'data.skip_failures=false']) == 0
    assert '12 operator-commanded' in capsys.readouterr().out


def test_a_dataset_written_without_flags_loads_as_all_false(tmp_path):
    episode = Episode(np.zeros((6, 0, 3, 4, 4), np.uint8), np.zeros((6, 2), np.float32),
                      np.zeros((6, 2), np.float32), 'old')
    meta = {'fps': 10.0, 'joint_names': ['a', 'b'], 'camera_topics': [],
            'image_size': [4, 4], 'bags': []}
    write_dataset(tmp_path, [episode], meta)
    file = tmp_path / 'episodes' / '000000.npz'
    with np.load(file) as data:  # rewrite it the way datasets were written before the flag
        np.savez(file, images=data['images'], state=data['state'], actions=data['actions'])
    (loaded,), _ = load_dataset(tmp_path)
    assert loaded.intervention.dtype == bool and loaded.intervention.tolist() == [False] * 6


# -- training: batches mixed at a stated fraction, fine-tuning from a checkpoint ----------

CORRECTION_STATE = 5.0  # every correction tick's state: tells a batch's windows apart


def state_dataset(path: Path, episodes: list[Episode]) -> Path:
    meta = {'fps': 10.0, 'joint_names': list(JOINTS), 'camera_topics': [],
            'image_size': [32, 32], 'bags': []}
    write_dataset(path, episodes, meta)
    return path


@pytest.fixture(scope='module')
def datasets(tmp_path_factory):
    """demos: 6 sine episodes (40 ticks); corrections: 3 flagged episodes (12 ticks) whose
    state is CORRECTION_STATE."""
    root = tmp_path_factory.mktemp('data')
    demos = [sine_episode(phase=0.4 * i, name=f'demo{i}') for i in range(6)]
    fixes = []
    for i in range(3):
        base = sine_episode(length=12, phase=0.3 * i, name=f'fix{i}')
        fixes.append(Episode(base.images, np.full_like(base.state, CORRECTION_STATE),
                             base.actions, base.name, np.ones(12, bool)))
    return state_dataset(root / 'demos', demos), state_dataset(root / 'fixes', fixes)


def config_file(path: Path, steps: int = 4, **actions) -> Path:
    config = small_config(steps=(steps,), stage_batch_size=(40,), val_every=1000,
                          checkpoint_every=1000, val_fraction=0.2)
    data = config_to_dict(config)
    data['actions'].update(actions)
    path.write_text(yaml.safe_dump(data))
    return path


def config_of(path: Path, *overrides: str):
    return load_config(argparse.Namespace(config=str(path), overrides=list(overrides)))


def correction_share(batch: dict[str, np.ndarray]) -> float:
    return float(np.mean(batch['state'][:, 0] == CORRECTION_STATE))


@pytest.mark.parametrize('weight', [0.0, 0.25, 0.5, 0.9])
def test_each_batch_draws_the_stated_fraction_of_corrections(datasets, tmp_path, weight):
    demos, fixes = datasets
    config = config_of(config_file(tmp_path / 'c.yaml'))
    ready = train.prepare(config, demos, fixes, weight)
    data, seen = ready.train_set, []
    original = data.batch
    data.batch = lambda idx: seen.append(original(idx)) or seen[-1]  # what training draws
    run_training(ready.config, data, ready.val_set, tmp_path / 'run', ready.provenance,
                 progress=False)
    steps = seen[:4]  # the 4 training steps' batches (calibration reads windows after)
    assert [len(b['state']) for b in steps] == [40] * 4
    assert [correction_share(b) for b in steps] == [round(weight * 40) / 40] * 4
    many = [correction_share(data.batch(batch_indices(len(data), 40, 0, step, 0, 1,
                                                      data.mix))) for step in range(50)]
    assert set(many) == {round(weight * 40) / 40}


def test_without_a_weight_every_window_is_equally_likely(datasets, tmp_path):
    demos, fixes = datasets
    config = config_of(config_file(tmp_path / 'c.yaml'))
    data = train.prepare(config, demos, fixes).train_set
    assert data.mix is None
    share = np.mean([correction_share(data.batch(batch_indices(len(data), 40, 0, s, 0, 1)))
                     for s in range(200)])
    expected = np.mean(data.state[:, 0] == CORRECTION_STATE)  # the corrections' windows
    assert abs(share - expected) < 0.02, (share, expected)


def first_loss(run: Path) -> float:
    with (run / 'metrics.csv').open() as f:
        return next(float(r['value']) for r in csv.DictReader(f)
                    if r['step'] == '1' and r['name'] == 'train/nll_per_dim')


def test_fine_tuning_starts_from_the_checkpoint_and_refuses_another_architecture(
        datasets, tmp_path, capsys):
    demos, fixes = datasets
    config = config_file(tmp_path / 'c.yaml', steps=30)
    common = ['--config', str(config), '--device', 'cpu', '--no-progress']
    assert train.main(['--dataset', str(demos), '--out', str(tmp_path / 'src'), *common]) == 0
    tune = ['--dataset', str(demos), '--extra-dataset', str(fixes), '--extra-weight', '0.5',
            '--set', 'train.stage_steps=[1]', *common]
    source = tmp_path / 'src' / 'policy.pt'
    assert train.main([*tune, '--out', str(tmp_path / 'tuned'), '--init-from',
                       str(source)]) == 0
    assert train.main([*tune, '--out', str(tmp_path / 'scratch')]) == 0
    # the source model's loss on the batch of step 0, as the tuned run draws it
    ready = train.prepare(config_of(config, 'train.stage_steps=[1]'), demos, fixes, 0.5)
    policy, provenance = load_policy(source)
    policy.train()
    idx = batch_indices(len(ready.train_set), 40, 0, 0, 0, 1, ready.train_set.mix)
    actions, obs = batch_to_device(ready.train_set.batch(idx), torch.device('cpu'))
    with torch.no_grad():
        expected = float(policy(actions, obs, step_generator(0, 0, 0)))
    assert first_loss(tmp_path / 'tuned') == pytest.approx(expected, rel=1e-5, abs=1e-5)
    assert abs(first_loss(tmp_path / 'scratch') - expected) > 0.05  # loading matters
    _, tuned = load_policy(tmp_path / 'tuned' / 'policy.pt')
    assert tuned['init_from'] == str(source) and tuned['extra']['weight'] == 0.5
    capsys.readouterr()
    refused = tmp_path / 'refused'
    assert train.main([*tune, '--out', str(refused), '--init-from', str(source),
                       '--set', 'actions.horizon=8']) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and err.startswith('train: error: checkpoint '), err
    assert 'actions.horizon is 4 in it but 8 in this run' in err, err
    assert not refused.exists(), 'nothing written on a refusal'


@pytest.mark.parametrize('argv, expected', [
    (['--extra-weight', '0.5'], '--extra-weight 0.5: expected --extra-dataset too'),
    (['--extra-dataset', '{fixes}', '--extra-weight', '1.5'],
     '--extra-weight 1.5: expected a fraction of the batch in [0, 1]'),
    (['--init-from', '{tmp}/none.pt'], "--init-from '{tmp}/none.pt': no such file"),
])
def test_bad_correction_options_are_one_line_and_write_nothing(datasets, tmp_path, capsys,
                                                               argv, expected):
    demos, fixes = datasets
    config = config_file(tmp_path / 'c.yaml')
    argv = [a.format(fixes=fixes, tmp=tmp_path) for a in argv]
    assert train.main(['--dataset', str(demos), '--out', str(tmp_path / 'run'), '--config',
                       str(config), '--no-progress', *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and expected.format(tmp=tmp_path) in err, err
    assert not (tmp_path / 'run').exists()


# -- the simulated operator's plan and budget (no ROS) -------------------------------------

def test_the_expert_plan_is_joined_at_the_nearest_pose_and_followed_in_sim_time():
    from nf_policy_ros.sim.experts import JointDemo
    from nf_policy_ros.sim.operator import ExpertPlan

    arm = np.linspace(0.0, 1.0, 11)[:, None] * np.ones((1, 7))  # 10 steps along a line
    plan = ExpertPlan(JointDemo(0, arm, np.zeros(10), True), lead_steps=1)
    assert plan.join(np.full(7, 0.42), sim_step=100) == 4  # arm 0.4 is nearest
    chunk = plan.chunk(sim_step=102, points=3, spacing=2)  # 2 steps later, every 2 steps
    assert np.allclose(chunk[:, 0], [0.7, 0.9, 1.0])  # targets lead by a step; end holds


def test_the_budget_commands_its_ticks_per_takeover_then_asks_for_release():
    from nf_policy_ros.sim.operator import TakeoverBudget

    budget = TakeoverBudget('ticks', 3)
    assert not budget.should_command()
    assert budget.set_active(True)
    spent = []
    for _ in range(5):
        if budget.should_command():
            spent.append(budget.commanded())
    assert spent == [False, False, True] and budget.total == 3
    budget.set_active(False)
    budget.set_active(True)
    assert budget.should_command() and budget.takeovers == 2
    until = TakeoverBudget('until_released', 1)
    until.set_active(True)
    assert [until.commanded() for _ in range(4)] == [False] * 4 and until.should_command()


def test_evaluate_sums_the_operator_effort_over_episodes():
    from nf_policy_ros.nodes.sim.evaluate import summarize

    def episode(**effort):
        return {'success': True, 'steps': 10, 'confidence': [0.5], 'latency': {}, **effort}

    assert 'expert_ticks' not in summarize([episode(), episode()])
    summary = summarize([episode(expert_ticks=6, takeovers=1), episode(expert_ticks=12,
                                                                        takeovers=2)])
    assert summary['expert_ticks'] == 18 and summary['takeovers'] == 3
