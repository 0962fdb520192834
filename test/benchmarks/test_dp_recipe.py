# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Diffusion Policy on its own published recipe (kind ``dp-own``): the learning-rate
schedule, the power EMA, the two-step observation windows in training and in the rollout,
and the config hashes of the records from before these settings existed."""

from __future__ import annotations

import math

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from benchmarks.baselines.diffusion import DiffusionConfig
from benchmarks.baselines.diffusion_training import train_diffusion
from benchmarks.experiments import vision_tier
from benchmarks.protocol import kinds, tier
from benchmarks.protocol.networks import train_actor
from nf_policy_ros.config import ActionConfig, ConfigError, TrainConfig
from nf_policy_ros.core.ema import build_ema, ema_decay_at
from nf_policy_ros.core.schedule import stage_at
from nf_policy_ros.core.training import build_optimizer
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.sim.rollout import Action, ObservationHistory, run_policy
from nf_policy_ros.sim.task import JointTask, TaskConfig
from nf_policy_ros.structs import Observation

SMALL = DiffusionConfig(channels=(16, 32), time_dim=16, groups=4)
DP_OWN = kinds.get('dp-own')


def own_recipe(steps: int = 16_000):
    return kinds.trained_config(tier.tier_config(steps, seed=0), DP_OWN)


def test_own_recipe_learning_rate_warms_up_then_decays_as_a_cosine():
    train = own_recipe().train
    lr = {step: stage_at(train, step).lr for step in (0, 249, 499, 500, 8250, 15_999)}
    assert lr[0] == pytest.approx(1e-4 / 500) and lr[249] == pytest.approx(1e-4 / 2)
    assert lr[499] == pytest.approx(1e-4) and lr[500] == pytest.approx(1e-4)
    assert lr[8250] == pytest.approx(0.5e-4)  # halfway through the 15500 decay steps
    assert lr[15_999] == pytest.approx(1e-4 * 0.5 * (1 + math.cos(math.pi * 15_499 / 15_500)))
    assert 0 < lr[15_999] < 2e-12  # the last step: all but 0
    shared = tier.tier_config(16_000, seed=0).train  # NF-P's and DP's shared recipe
    assert stage_at(shared, 8250).lr == 1e-3 and stage_at(shared, 49).lr == pytest.approx(5e-4)


def test_own_recipe_optimizer_and_clipping_are_diffusion_policys():
    train = own_recipe().train
    optimizer = build_optimizer(torch.nn.Linear(2, 2), train)
    assert optimizer.param_groups[0]['betas'] == (0.95, 0.999)
    assert optimizer.param_groups[0]['weight_decay'] == 1e-6
    assert train.grad_clip_norm == 0.0 and train.stage_batch_size == (64,)
    shared = build_optimizer(torch.nn.Linear(2, 2), tier.tier_config(100, 0).train)
    assert shared.param_groups[0]['betas'] == (0.9, 0.999)
    with pytest.raises(ConfigError, match=r"train.lr_schedule='linear' is invalid"):
        TrainConfig(lr_schedule='linear')
    with pytest.raises(ConfigError, match=r'train.adam_betas=\(0.9,\) is invalid'):
        TrainConfig(adam_betas=(0.9,))


def test_power_ema_decay_values():
    decay = [ema_decay_at(0.9999, n, True, power=0.75) for n in (1, 2, 464, 10_000, 10**7)]
    assert decay[:2] == [0.0, pytest.approx(1 - 2 ** -0.75)]  # 0.405
    assert decay[2] == pytest.approx(0.99, abs=1e-5)
    assert decay[3] == pytest.approx(0.999)
    assert decay[4] == 0.9999  # capped at ema_decay


def test_power_ema_averages_as_diffusion_policys_ema_does():
    """A scalar weight fed 0, 1, 2, ...: our EMA against the documented update of DP's
    EMAModel (decay of its k-th call, k = 0, 1, ...: 0 while k - 1 <= 0, else
    1 - (1 + (k - 1) / inv_gamma) ** -power within [0, max])."""
    model = torch.nn.Linear(1, 1, bias=False)
    ema = build_ema(model, 0.9999, True, power=0.75)
    reference = 0.0
    for k in range(50):
        with torch.no_grad():
            model.weight.fill_(float(k))
        ema.update_parameters(model)
        step = max(0, k - 1)
        d = 0.0 if step <= 0 else min(0.9999, max(0.0, 1 - (1 + step) ** -0.75))
        reference = d * reference + (1 - d) * k
    assert ema.module.weight.item() == pytest.approx(reference, rel=1e-5)


def _numbered_episode(length: int, first: int, name: str) -> Episode:
    """States numbered by their tick (first, first + 1, ...), so a window shows its ticks."""
    ticks = np.arange(first, first + length, dtype=np.float32)[:, None]
    return Episode(np.zeros((length, 0, 3, 32, 32), np.uint8), ticks, ticks + 0.5, name)


def test_two_step_windows_repeat_the_first_observation_at_an_episode_start():
    actions = ActionConfig(action_dim=1, horizon=4, stride=2)
    data = WindowDataset([_numbered_episode(10, 0, 'a'), _numbered_episode(10, 100, 'b')],
                         actions, obs_horizon=2)
    batch = data.batch(np.array([0, 1, 2, 5, 10, 11, 13]))
    # each window: (state one chunk point = 2 ticks earlier, state now)
    assert batch['state'][..., 0].tolist() == [[0, 0], [0, 1], [0, 2], [3, 5], [100, 100],
                                               [100, 101], [101, 103]]
    assert batch['state'].shape == (7, 2, 1) and batch['images'].shape == (7, 2, 0, 3, 32, 32)
    assert batch['actions'][4, :, 0].tolist() == [100.5, 102.5, 104.5, 106.5]
    single = data.with_windows(actions)  # the same episodes, one observation per window
    assert single.batch(np.array([11]))['state'].tolist() == [[101.0]]
    with pytest.raises(ValueError, match='obs_horizon=0: expected >= 1'):
        data.with_windows(actions, 0)


def test_rollout_history_repeats_the_first_observation_then_looks_one_point_back():
    history = ObservationHistory(horizon=2, spacing=3)
    for tick in range(5):
        history.push(Observation(None, torch.tensor([[float(tick)]])))
        seen = history.stacked().state[0, :, 0].tolist()
        assert seen == [max(tick - 3, 0), tick], (tick, seen)


class _HistoryRecorder:
    """A state policy of observation horizon 2 that records what it saw and keeps the arm
    moving (its first joint 0.1 rad further each plan), so no two ticks look alike."""

    name, stride, device, observes_images = 'recorder', 4, torch.device('cpu'), False
    obs_horizon = 2

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []

    def act(self, obs: Observation) -> Action:
        self.seen.append(obs.state[0].clone())
        targets = obs.state[:, -1, :9].clone()
        targets[:, 0] += 0.1
        return Action(targets[:, None].expand(-1, 3, -1), None)


@pytest.mark.parametrize('execute', [4, 8])
def test_the_rollout_shows_a_history_policy_the_previous_observation(execute):
    task = JointTask(TaskConfig(task='drawer-open'))
    try:
        actor = _HistoryRecorder()
        run_policy(task, actor, seed=3, execute_steps=execute, max_steps=24, low_dim=True)
    finally:
        task.close()
    first = actor.seen[0]
    assert first.shape == (2, 9 + 39) and torch.equal(first[0], first[1])  # start repeated
    for before, now in zip(actor.seen, actor.seen[1:]):
        # re-planning every stride ticks, the previous observation is the previous plan's
        assert torch.equal(now[0], before[1]) == (execute == 4)
        assert not torch.equal(now[0], now[1])


def test_diffusion_policy_conditions_on_two_observations():
    config = small_config(steps=(300,), stride=2, horizon=4)
    episodes = [sine_episode(), sine_episode(phase=1.0)]
    data = WindowDataset(episodes, config.actions, obs_horizon=2)
    two = DiffusionConfig(channels=(16, 32), time_dim=16, groups=4, obs_horizon=2)
    policy, loss = train_diffusion(config, data, two)
    untrained, _ = train_diffusion(small_config(steps=(1,), stride=2, horizon=4), data, two)
    assert loss < 0.5
    batch = data.batch(np.arange(len(data)))
    obs = Observation(None, torch.from_numpy(batch['state']))
    assert policy.context(obs).shape == (len(data), 2 * config.encoder.context_dim)
    before, after = (float((p.sample(obs, 'ddim', 10, torch.Generator().manual_seed(0))
                            - torch.from_numpy(batch['actions'])).abs().mean())
                     for p in (untrained, policy))
    assert after < 0.5 * before, (before, after)
    with pytest.raises(ValueError, match=r'expected \(B, 2, D_s\) for obs_horizon=2'):
        policy.context(Observation(None, torch.zeros(3, config.encoder.state_dim)))
    with pytest.raises(ValueError, match='windows of obs_horizon=1 for a policy of '
                                         'obs_horizon=2'):
        train_diffusion(config, data.with_windows(config.actions), two)


def test_the_own_recipe_kind_trains_its_own_network_and_re_plans_every_eight_points(tmp_path):
    assert DP_OWN.run_name == 'dp-own' and DP_OWN.title_or_column == 'DP (own recipe)'
    assert kinds.get('dp').title_or_column == 'DP (shared recipe)'
    shared = tier.tier_config(2000, seed=0)
    assert kinds.execute_steps(DP_OWN, shared) == 8 * 4
    assert kinds.execute_steps(kinds.get('dp'), shared) == 4
    config = small_config(steps=(2,), stride=2)
    actor = train_actor('dp-own', config, WindowDataset([sine_episode()], config.actions),
                        tmp_path, dp_size=SMALL)
    assert actor.obs_horizon == 2 and actor.name == 'DP (own recipe)'
    assert actor.policy.config.actions.horizon == 16
    assert actor.policy.config.train.lr_schedule == 'cosine'
    assert (tmp_path / 'dp.pt').exists()
    with pytest.raises(ValueError, match='hold-two: obs_horizon=2: expected 1 .*: nfp, dp'):
        kinds.Kind('hold-two', kinds.FLOOR, '', obs_horizon=2)


def test_new_settings_leave_the_hash_of_every_earlier_record_alone():
    """The hashes the committed records carry (state_tier.json, vision_tier.json): a setting
    added since enters a hash only when set away from its default."""
    assert tier.config_hash(tier.tier_config(2000, 0)) == '3010b6ab83'
    assert tier.config_hash(tier.tier_config(2000, 1)) == 'a8549b4f1a'
    assert tier.config_hash(tier.tier_config(6000, 0)) == 'c75b4e4ef4'
    assert tier.config_hash(tier.tier_config(2000, 0, lr=1e-4)) == '0268b39c7b'
    assert tier.config_hash(vision_tier.vision_config(3000, 0)) == '034979a303'
    # ... except a change of the camera path itself: runs with the encoder warm-up before
    # its trunks were frozen for autograd (654afa7f05) are not the runs after it
    warm = vision_tier.vision_config(3000, 0, 48, 16, encoder_warmup_steps=1000)
    assert tier.config_hash(warm) not in ('654afa7f05', '')
    assert tier.config_hash(warm) != tier.config_hash(
        vision_tier.vision_config(3000, 0, 48, 16, encoder_warmup_steps=1000,
                                  warmup_precision='bf16'))
    own = own_recipe(2000)
    assert tier.config_hash(own) != '3010b6ab83'
    two = DiffusionConfig(channels=(64, 128, 256), time_dim=64, obs_horizon=2)
    assert tier.config_hash(own, two) != tier.config_hash(own)
    assert math.isclose(own.train.stage_lr[0], 1e-4)
