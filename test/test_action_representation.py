# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The action representation a density model can learn: mirrored joints derived, not
modelled; discrete commands dequantized; nearly constant dimensions with a noise floor."""

from __future__ import annotations

from dataclasses import replace

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from nf_policy_ros.config import ActionConfig, ConfigError
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.training import (
    action_noise_robot,
    fit_action_noise,
    fit_normalizers,
    run_training,
)
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.structs import Observation

MIRROR = {'mirror_dims': (2,), 'mirror_sources': (1,), 'mirror_gains': (-1.0,)}


def gripper_episode(length: int = 40, phase: float = 0.0) -> Episode:
    """Joint 0 a smooth path, joint 1 a binary gripper command (+-1), joint 2 its mirror."""
    base = sine_episode(length, dims=1, phase=phase)
    gripper = np.where(np.arange(length) < length // 2, -1.0, 1.0).astype(np.float32)
    actions = np.stack([base.actions[:, 0], gripper, -gripper], 1)
    state = np.concatenate([base.state, actions[:, 1:]], 1)
    return Episode(base.images, state, actions, 'gripper')


def mirrored_config(**train):
    config = small_config(**train)
    return replace(config, actions=replace(config.actions, **MIRROR, discrete_dims=(1,)))


def test_a_mirror_is_not_modelled_and_follows_its_source_exactly():
    config = mirrored_config()
    policy = NFPolicy(config).eval()
    assert config.actions.modelled_dims == (0, 1)
    assert policy.flow.dim == config.actions.horizon * 2
    policy.action_normalizer.fit(torch.tensor([0.1, 0.2, -0.2]), torch.tensor([0.5, 1.0, 1.0]))
    pred = policy.predict(Observation(images=None, state=torch.randn(5, 3)))
    assert pred.actions.shape == (5, config.actions.horizon, 3)
    torch.testing.assert_close(pred.actions[..., 2], -pred.actions[..., 1], rtol=0, atol=0)
    round_trip = policy.unflatten_actions(policy.flatten_actions(pred.actions))
    torch.testing.assert_close(round_trip, pred.actions)  # float32 affine round trip


@pytest.mark.parametrize('changes, field', [
    ({'mirror_dims': (2,), 'mirror_sources': (), 'mirror_gains': ()}, 'mirror_sources'),
    ({'mirror_dims': (2,), 'mirror_sources': (2,), 'mirror_gains': (1.0,)}, 'mirror_sources'),
    ({'mirror_dims': (3,), 'mirror_sources': (0,), 'mirror_gains': (1.0,)}, 'mirror_dims'),
    ({**MIRROR, 'discrete_dims': (2,)}, 'discrete_dims'),
])
def test_a_bad_mirror_or_discrete_declaration_names_the_field(changes, field):
    with pytest.raises(ConfigError, match=f'actions.{field}='):
        ActionConfig(action_dim=3, **changes)


def test_training_noise_is_sized_per_dimension():
    config = mirrored_config(action_noise_step=0.5, action_noise_floor=0.01,
                             dequantize_std=0.2)
    step_rms = torch.tensor([0.1, 2.0, 2.0])
    noise = action_noise_robot(config, step_rms)
    torch.testing.assert_close(noise, torch.tensor([0.05, 0.2, 0.0]))
    floor_only = action_noise_robot(mirrored_config(action_noise_floor=0.01), step_rms)
    torch.testing.assert_close(floor_only, torch.tensor([0.01, 0.0, 0.0]))


def test_step_rms_is_the_motion_between_chunk_points_within_episodes():
    ramp = np.arange(10, dtype=np.float32)[:, None]
    episode = Episode(np.zeros((10, 0, 3, 1, 1), np.uint8), ramp, 2 * ramp)
    shifted = Episode(episode.images, ramp, 2 * ramp + 100)  # no jump counted between them
    data = WindowDataset([episode, shifted], ActionConfig(action_dim=1, horizon=2, stride=3))
    np.testing.assert_allclose(data.action_step_rms(), [6.0])


def test_the_normalizer_divides_a_constant_dimension_by_the_floor():
    config = mirrored_config(action_noise_floor=0.05, dequantize_std=0.1)
    policy = NFPolicy(config)
    still = gripper_episode()
    constant = Episode(still.images, still.state, np.concatenate(
        [still.actions[:, :1], np.full((len(still), 2), 1.0, np.float32)], 1))
    data = WindowDataset([constant], config.actions)
    fit_normalizers(policy, data)
    fit_action_noise(policy, data)
    assert float(policy.action_normalizer.std[1]) == pytest.approx(0.05)
    # the discrete dimension's noise in normalized units: 0.1 robot units / 0.05
    assert float(policy.action_noise[1]) == pytest.approx(2.0)


def nearly_constant_episode(phase: float = 0.0, seed: int = 0) -> Episode:
    """Joint 0 a smooth path, joint 1 still up to 1e-4 jitter, joint 2 a binary command."""
    base = sine_episode(40, dims=1, phase=phase)
    jitter = 1e-4 * np.random.default_rng(seed).standard_normal(40)
    still = (1.0 + jitter).astype(np.float32)
    gripper = np.where(np.arange(40) < 20, -1.0, 1.0).astype(np.float32)
    actions = np.stack([base.actions[:, 0], still, gripper], 1)
    return Episode(base.images, np.concatenate([base.state, actions[:, 1:]], 1), actions)


def final_train_nll(config, tmp_path) -> float:
    """Training NLL per modelled dimension at the last step of a short run."""
    episodes = [nearly_constant_episode(), nearly_constant_episode(0.3, seed=1)]
    data = WindowDataset(episodes, config.actions)
    result = run_training(config, data, data, tmp_path, {}, progress=False)
    load_policy(result.policy_path)  # the checkpoint loads with its representation
    return result.train_loss


def test_a_noise_floor_and_dequantization_keep_the_likelihood_bounded(tmp_path):
    """Modelled as they are, a still joint (normalized by the 1e-3 std floor) and a binary
    command let maximum likelihood pile density onto points: the NLL keeps falling. With a
    0.05 floor and 0.1 dequantization no model can beat the noise's entropy on them, about
    (-1.2 + 1.4 - 0.9) / 3 = -0.2 nats per dimension for this data (noise std 0.07, 1 and
    0.1 in normalized units)."""
    config = small_config(steps=(300,))
    raw = final_train_nll(config, tmp_path / 'raw')
    bounded = final_train_nll(
        replace(small_config(steps=(300,), dequantize_std=0.1, action_noise_floor=0.05),
                actions=replace(config.actions, discrete_dims=(2,))), tmp_path / 'bounded')
    assert bounded > -1.0, bounded  # one batch's noise: a margin of 0.8 nats
    assert raw < bounded - 1.0, (raw, bounded)
