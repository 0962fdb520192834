# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P's observation horizon (encoder.obs_horizon): windows, training, checkpoints and the
ROS-free run-time history (the policy node's process test: test_policy_node.py)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from nf_policy_ros.config import ConfigError, EncoderConfig, NFPConfig
from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.training import TrainingError, run_training
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.node_config.policy import PolicyNodeConfig
from nf_policy_ros.runtime.configure import Setup
from nf_policy_ros.runtime.history import SnapshotHistory
from nf_policy_ros.runtime.inference import PolicyRunner, Snapshot
from nf_policy_ros.structs import Observation

JOINTS = ('a', 'b', 'c')


def horizon_config(obs_horizon: int = 2, steps: tuple[int, ...] = (120,), **kwargs):
    config = small_config(steps=steps, **kwargs)
    return replace(config, encoder=replace(config.encoder, obs_horizon=obs_horizon))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """(policy, its checkpoint, the windows): a tiny state-only NF-P of horizon 2."""
    config = horizon_config()
    data = WindowDataset([sine_episode(), sine_episode(phase=1.0)], config.actions, 2)
    out = tmp_path_factory.mktemp('obs2')
    result = run_training(config, data, data, out, {'joint_names': list(JOINTS), 'fps': 10.0},
                          device='cpu', progress=False)
    policy, _ = load_policy(result.policy_path)
    return policy, result.policy_path, data


def test_config_default_one_and_one_line_refusals():
    assert EncoderConfig().obs_horizon == 1
    with pytest.raises(ConfigError, match=r'^encoder.obs_horizon=0 is invalid: expected 1 to '
                                          r'16 observations$'):
        EncoderConfig(obs_horizon=0)
    with pytest.raises(ConfigError, match='expected 1 with encoder.use_last_action'):
        EncoderConfig(obs_horizon=2, use_last_action=True)


def _ticked_episode(length: int, first: int, cameras: int = 1) -> Episode:
    """State and every pixel numbered by the tick (first, first + 1, ...)."""
    ticks = np.arange(first, first + length)
    images = np.broadcast_to(ticks[:, None, None, None, None].astype(np.uint8),
                             (length, cameras, 3, 32, 32)).copy()
    state = ticks[:, None].astype(np.float32)
    return Episode(images, state, state + 0.5, f'from{first}')


def test_windows_hold_past_observations_one_chunk_point_apart_padded_at_each_start():
    actions = horizon_config(3, stride=3).actions
    data = WindowDataset([_ticked_episode(12, 0), _ticked_episode(12, 50)], actions, 3)
    batch = data.batch(np.arange(len(data)))
    starts = [0, 1, 4, 7]  # window = tick within the first episode
    assert batch['state'][starts, :, 0].tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 4],
                                                     [1, 4, 7]]
    second = len(data) // 2  # the second episode's first window: its own first tick repeated
    assert batch['state'][second + 4, :, 0].tolist() == [50, 51, 54]
    assert batch['state'][second, :, 0].tolist() == [50, 50, 50]
    assert batch['images'].shape == (len(data), 3, 1, 3, 32, 32)
    assert batch['images'][starts, :, 0, 0, 0, 0].tolist() == batch['state'][starts, :,
                                                                             0].tolist()
    assert batch['actions'][4, :, 0].tolist() == [4.5, 7.5, 10.5, 11.5]  # the chunk of t
    stats = data.statistics()  # per observation: (D_s,), not per window
    assert stats['state_mean'].shape == (1,)


def test_a_horizon_two_policy_trains_on_both_observations_and_saves_it(trained):
    policy, path, data = trained
    assert policy.obs_horizon == 2 and policy.context_width == 2 * 64
    assert read_checkpoint(path)['config']['encoder']['obs_horizon'] == 2
    batch = data.batch(np.arange(len(data)))
    state, actions = torch.from_numpy(batch['state']), torch.from_numpy(batch['actions'])
    with torch.no_grad():
        nll = -float(policy.log_prob(actions, Observation(None, state)).mean()) / 12
    assert nll < 0.0, nll  # it learned the sine paths (measured about -1.2 nats/dim)
    older = state.clone()
    older[:, 0] += 0.3  # the older observation only
    with torch.no_grad():
        lp = policy.log_prob(actions, Observation(None, state))
        lp_older = policy.log_prob(actions, Observation(None, older))
    assert float((lp - lp_older).abs().mean()) > 0.05
    pred = policy.predict(Observation(None, state[:4]))
    assert pred.actions.shape == (4, 4, 3) and bool(pred.in_support.all())
    far = state[:4].clone()
    far[:, 0] += 10.0  # an older state far outside the demonstrations
    assert not bool(policy.predict(Observation(None, far)).in_support.any())
    with pytest.raises(ValueError, match=r'expected \(B, 2, D_s\) for obs_horizon=2'):
        policy.predict(Observation(None, state[:4, -1]))


def test_training_refuses_windows_of_another_horizon(tmp_path):
    config = horizon_config(steps=(2,))
    single = WindowDataset([sine_episode()], config.actions)
    with pytest.raises(TrainingError, match='windows of obs_horizon=1 for a policy of '
                                            'encoder.obs_horizon=2: expected equal'):
        run_training(config, single, None, tmp_path, {}, device='cpu', progress=False)


def test_a_checkpoint_from_before_the_setting_loads_as_horizon_one(tmp_path):
    config = small_config(steps=(2,))
    data = WindowDataset([sine_episode()], config.actions)
    result = run_training(config, data, data, tmp_path / 'run', {}, device='cpu',
                          progress=False)
    payload = read_checkpoint(result.policy_path)
    del payload['config']['encoder']['obs_horizon']  # as written before the setting
    old = tmp_path / 'old.pt'
    torch.save(payload, old)
    policy, _ = load_policy(old)
    assert policy.obs_horizon == 1 and policy.config.encoder == config.encoder
    obs = Observation(None, torch.from_numpy(data.batch(np.arange(3))['state']))
    assert policy.predict(obs).actions.shape == (3, 4, 3)


def _snapshot(time_s: float) -> Snapshot:
    """A joint state of (t, 2t, 3t) at control time t [s]."""
    joints = SimpleNamespace(name=list(JOINTS), position=[time_s, 2 * time_s, 3 * time_s])
    return Snapshot((), joints, None, control_time=time_s)


def _times(snapshot: Snapshot) -> list[float]:
    return [round(s.control_time, 3) for s in (*snapshot.history, snapshot)]


def test_the_history_spaces_snapshots_one_chunk_point_apart_on_the_control_clock():
    # stride 2 at 10 Hz: chunk points 0.2 s apart; a 10 Hz control timer with jitter
    setup = Setup(None, JOINTS, JOINTS, (), 10.0, np.zeros(4), torch.device('cpu'), 0.0,
                  stride=2, obs_horizon=3)
    history = setup.history(PolicyNodeConfig(control_rate_hz=10.0))
    assert (history.horizon, history.spacing_s) == (3, pytest.approx(0.2))
    seen = [_times(history.add(_snapshot(t + jitter))) for t, jitter in
            zip(np.arange(8) / 10, (0, 0.004, -0.003, 0.002, -0.004, 0.003, 0, -0.002))]
    assert seen[0] == [0.0, 0.0, 0.0]  # the first observation repeated
    assert seen[2] == [0.0, 0.0, 0.197]
    assert seen[3] == [0.0, 0.104, 0.302]
    assert seen[6] == [0.197, 0.396, 0.6]
    assert seen[7] == [0.302, 0.503, 0.698]
    assert len(history) <= 6  # only the last (T_o - 1) chunk points are kept


def test_the_history_starts_over_after_a_clock_jump_back_or_a_clear():
    history = SnapshotHistory(2, 0.2)
    for t in (10.0, 10.1, 10.2, 10.3):
        history.add(_snapshot(t))
    assert _times(history.add(_snapshot(10.4))) == [10.2, 10.4]
    assert _times(history.add(_snapshot(0.5))) == [0.5, 0.5]  # a simulator reset
    assert _times(history.add(_snapshot(0.7))) == [0.5, 0.7]
    history.clear()
    assert _times(history.add(_snapshot(0.8))) == [0.8, 0.8]
    one = SnapshotHistory(1, 0.2)
    assert _times(one.add(_snapshot(1.0))) == [1.0] and len(one) == 1


def test_the_runner_feeds_the_history_oldest_first_and_pads_with_the_oldest(trained):
    policy, _, _ = trained
    runner = PolicyRunner(policy, JOINTS, policy.config.sampling, torch.device('cpu'), 0)
    obs, measured = runner.observe(_snapshot(0.4))  # no history yet: repeated
    assert obs.state.shape == (1, 2, 3) and obs.state[0, :, 0].tolist() == pytest.approx(
        [0.4, 0.4])
    history = SnapshotHistory(2, 0.2)
    for t in (0.0, 0.1, 0.2, 0.3):
        snapshot = history.add(_snapshot(t))
    obs, measured = runner.observe(snapshot)
    assert obs.state[0, :, 0].tolist() == pytest.approx([0.1, 0.3])
    assert measured.tolist() == pytest.approx([0.3, 0.6, 0.9])
    assert runner.infer(snapshot).chunk.shape == (4, 3)
    assert runner.blank_observation().state.shape == (1, 2, 3)
    assert runner.warm_up(calls=1) > 0


def test_a_horizon_one_policy_is_unchanged_by_the_setting():
    config = small_config()
    assert NFPolicy(config).context_width == 64
    assert NFPConfig().encoder.obs_horizon == 1
