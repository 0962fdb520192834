# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P end to end on toy data: it fits, it is multimodal, its confidence means something."""

from __future__ import annotations

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.policy import SUPPORT_MARGIN
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.structs import Observation


def observations(batch: dict[str, np.ndarray]) -> Observation:
    images = torch.from_numpy(batch['images']).float() / 255.0
    return Observation(images=images, state=torch.from_numpy(batch['state']))


@pytest.fixture(scope='module')
def sine_run(tmp_path_factory):
    """A small model trained on one short episode (about 5 s)."""
    config = small_config()
    data = WindowDataset([sine_episode()], config.actions)
    out = tmp_path_factory.mktemp('sine')
    result = run_training(config, data, data, out, {'source': 'test'}, progress=False)
    policy, _ = load_policy(result.policy_path)
    return config, data, result, policy


def test_overfit_nll_falls_and_zero_latent_reproduces_the_demo(sine_run):
    config, data, result, policy = sine_run
    first = float(next(line for line in (result.policy_path.parent / 'metrics.csv')
                       .read_text().splitlines() if 'train/nll_per_dim' in line).split(',')[2])
    assert result.train_loss < first - 3.0, (first, result.train_loss)
    batch = data.batch(np.arange(len(data)))
    pred = policy.predict(observations(batch), SamplingConfig(mode='zero_latent'))
    error = (pred.actions - torch.from_numpy(batch['actions'])).abs()
    action_range = float(np.ptp(data.actions))
    assert float(error.mean()) < 0.03 * action_range
    assert float(torch.quantile(error.amax(dim=(1, 2)), 0.9)) < 0.1 * action_range


def test_confidence_is_calibrated_on_the_plans_for_held_out_observations(sine_run):
    """Plans for held-out observations (other sampling draws) sit around the middle, not at
    1.0 as they did when calibrated on demonstrated chunks."""
    _, data, _, policy = sine_run
    obs = observations(data.batch(np.arange(len(data))))
    pred = policy.predict(obs, policy.config.sampling, torch.Generator().manual_seed(99))
    assert 0.3 < float(pred.confidence.median()) < 0.7
    assert float(pred.confidence.min()) >= 0.0 and float(pred.confidence.max()) <= 1.0
    with torch.no_grad():
        demo = policy.log_prob(torch.from_numpy(data.batch(np.arange(len(data)))['actions']),
                               obs) / policy.config.actions.flat_dim
    # demonstrated chunks are less likely than the model's own plans
    assert float(policy.calibration.confidence(demo).median()) < 0.5


def test_confidence_is_monotone_in_log_p(sine_run):
    *_, policy = sine_run
    values = torch.linspace(-20.0, 20.0, 401)
    confidence = policy.calibration.confidence(values)
    assert torch.all(confidence[1:] >= confidence[:-1])
    assert float(confidence[0]) == 0.0 and float(confidence[-1]) == 1.0


def test_confidence_drops_on_observations_unlike_the_demos(sine_run):
    """In range but never demonstrated (joints permuted): the plan's likelihood itself
    falls, and the context support (core/confidence.ContextSupport) also sees that no
    demonstration looked like this and sets most of them to 0."""
    _, data, _, policy = sine_run
    obs = observations(data.batch(np.arange(len(data))))
    permuted = obs._replace(state=obs.state[:, [1, 2, 0]])
    assert bool(policy.state_normalizer.within_range(permuted.state, SUPPORT_MARGIN).all())
    config = SamplingConfig(mode='best_of_n', num_candidates=32)
    normal = policy.predict(obs, config, torch.Generator().manual_seed(0))
    odd = policy.predict(permuted, config, torch.Generator().manual_seed(0))
    by_likelihood = [float(policy.calibration.confidence(p.log_prob_per_dim).mean())
                     for p in (normal, odd)]
    assert by_likelihood[1] < by_likelihood[0] - 0.2
    assert float(normal.in_support.float().mean()) >= 0.9  # the demos' own observations
    assert float(odd.in_support.float().mean()) < 0.5
    assert float(odd.confidence.mean()) < float(normal.confidence.mean()) - 0.2


def test_the_confidence_reads_the_source_sampling_names(sine_run):
    """'plan': the plan percentile; 'context': the context's distance percentile (the same
    for any sampler); 'both': their product; each zero out of support."""
    _, data, _, policy = sine_run
    obs = observations(data.batch(np.arange(len(data))))
    base = SamplingConfig(mode='zero_latent')
    plan = policy.predict(obs, base)
    context = policy.predict(obs, SamplingConfig(mode='zero_latent', confidence='context'))
    both = policy.predict(obs, SamplingConfig(mode='zero_latent', confidence='both'))
    share = policy.context_support.percentile(policy.context(obs))
    inside = plan.in_support
    assert bool(inside.float().mean() >= 0.9)
    assert torch.equal(plan.confidence[inside],
                       policy.calibration.confidence(plan.log_prob_per_dim)[inside])
    assert torch.equal(context.confidence[inside], share[inside])
    assert torch.allclose(both.confidence, plan.confidence * context.confidence)
    assert not torch.equal(context.confidence, plan.confidence)
    assert (context.confidence[~inside] == 0).all()
    drawn = policy.predict(obs, SamplingConfig(mode='best_of_n', num_candidates=8,
                                               confidence='context'))
    assert torch.equal(drawn.confidence, context.confidence)


def test_confidence_is_zero_outside_the_demonstrated_state_range(sine_run):
    """Far outside the data the flow's likelihood extrapolates (it can rise); the policy
    reports zero confidence there instead of trusting it."""
    _, data, _, policy = sine_run
    obs = observations(data.batch(np.arange(len(data))))
    far = obs._replace(state=obs.state + 3.0 * torch.from_numpy(data.state.std(0)))
    pred = policy.predict(far, SamplingConfig(mode='zero_latent'))
    assert not bool(pred.in_support.any())
    assert torch.equal(pred.confidence, torch.zeros_like(pred.confidence))
    assert torch.isfinite(pred.actions).all()


def two_mode_dataset(n: int = 512, seed: int = 0) -> tuple[Episode, np.ndarray]:
    """Action (2-D) is +-(1, 1) with equal odds, whatever the state: two separated modes."""
    rng = np.random.default_rng(seed)
    modes = rng.choice([-1.0, 1.0], size=n)
    actions = (modes[:, None] + 0.05 * rng.standard_normal((n, 2))).astype(np.float32)
    state = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    return Episode(np.zeros((n, 0, 3, 4, 4), np.uint8), state, actions, 'modes'), modes


def test_samples_cover_both_modes_where_regression_averages(tmp_path):
    episode, _ = two_mode_dataset()
    config = small_config(state_dim=1, action_dim=2, horizon=1, stride=1,
                          steps=(300, 100), stage_batch_size=(64, 128))
    data = WindowDataset([episode], config.actions)
    result = run_training(config, data, None, tmp_path, {}, progress=False)
    policy, _ = load_policy(result.policy_path)
    obs = Observation(torch.zeros(400, 0, 3, 4, 4), torch.zeros(400, 1))
    samples = policy.predict(obs, SamplingConfig(mode='sample', latent_std=1.0),
                             torch.Generator().manual_seed(0)).actions[:, 0].mean(-1)
    assert 0.3 < float((samples > 0.5).float().mean()) < 0.7
    assert 0.3 < float((samples < -0.5).float().mean()) < 0.7
    assert float((samples.abs() < 0.5).float().mean()) < 0.1
    regression = mse_regression(episode)
    assert abs(regression) < 0.3, 'an MSE regressor predicts the mean of the two modes'


def mse_regression(episode: Episode) -> float:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    x, y = torch.from_numpy(episode.state), torch.from_numpy(episode.actions)
    for _ in range(300):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        return float(net(torch.zeros(1, 1)).mean())


def test_image_policy_trains_and_predicts_with_a_camera(tmp_path):
    config = small_config(num_cameras=1, steps=(20,), image_size=32)
    episode = sine_episode(length=24, num_cameras=1)
    rng = np.random.default_rng(0)
    episode = episode.__class__(rng.integers(0, 255, episode.images.shape, dtype=np.uint8),
                                episode.state, episode.actions, 'camera')
    data = WindowDataset([episode], config.actions)
    result = run_training(config, data, data, tmp_path, {}, progress=False)
    policy, _ = load_policy(result.policy_path)
    pred = policy.predict(observations(data.batch(np.arange(2))), None,
                          torch.Generator().manual_seed(0))
    assert pred.actions.shape == (2, 4, 3)
    assert torch.isfinite(pred.actions).all() and ((pred.confidence >= 0) &
                                                   (pred.confidence <= 1)).all()


def test_encoder_loads_matching_local_weights_and_refuses_others(tmp_path):
    """A torchvision resnet18 state_dict from disk (no download); BatchNorm keys skipped."""
    import torchvision

    from nf_policy_ros.config import EncoderConfig
    from nf_policy_ros.core.encoder import build_trunk

    torch.manual_seed(1)
    source = torchvision.models.resnet18(weights=None)
    torch.save(source.state_dict(), tmp_path / 'resnet18.pt')
    trunk = build_trunk(EncoderConfig(weights_path=str(tmp_path / 'resnet18.pt')))
    assert torch.equal(trunk[0].weight, source.conv1.weight)
    assert torch.equal(trunk[7][1].conv2.weight, source.layer4[1].conv2.weight)
    torch.save({'other': torch.zeros(3)}, tmp_path / 'other.pt')
    with pytest.raises(ValueError, match='no tensor matches ResNet18'):
        build_trunk(EncoderConfig(weights_path=str(tmp_path / 'other.pt')))


@pytest.mark.parametrize('size, stride', [(32, 16), (48, 32), (96, 32)])
def test_the_camera_reaches_the_context_at_every_supported_image_size(size, stride):
    """At 32x32 the stock stride-32 trunk made a 1x1 map: constant keypoints, a blind policy.
    The automatic stride keeps a >= 2x2 map, so a blacked-out camera changes the context."""
    from nf_policy_ros.config import EncoderConfig
    from nf_policy_ros.core.encoder import ObservationEncoder, trunk_stride

    config = EncoderConfig(image_height=size, image_width=size, state_dim=3)
    assert trunk_stride(config) == stride
    encoder = ObservationEncoder(config, small_config().actions).eval()
    images = torch.rand(2, 1, 3, size, size, generator=torch.Generator().manual_seed(0))
    state = torch.zeros(2, 3)
    with torch.no_grad():
        seen = encoder(images, state)
        blind = encoder(torch.zeros_like(images), state)
    assert float((seen - blind).abs().max()) > 1e-4


def test_action_noise_perturbs_the_training_loss_only():
    """train.action_noise_std adds seeded Gaussian noise to the normalized chunk in training
    mode; evaluation (log p, confidence) and a zero std are untouched."""
    from dataclasses import replace

    from nf_policy_ros.core.policy import NFPolicy
    from nf_policy_ros.core.training import fit_normalizers

    base = small_config()
    data = WindowDataset([sine_episode()], base.actions)
    batch = data.batch(np.arange(8))
    actions, obs = torch.from_numpy(batch['actions']), observations(batch)

    def loss(std: float, train: bool, seed: int = 0) -> float:
        torch.manual_seed(0)
        policy = NFPolicy(replace(base, train=replace(base.train, action_noise_std=std)))
        fit_normalizers(policy, data)
        policy.train(train)
        with torch.no_grad():
            return float(policy.loss(actions, obs, torch.Generator().manual_seed(seed)))

    clean = loss(0.0, True)
    assert loss(0.0, True, seed=1) == clean
    assert loss(0.5, True) != clean and loss(0.5, True) == loss(0.5, True)
    assert loss(0.5, True, seed=1) != loss(0.5, True)
    assert loss(0.5, False) == loss(0.0, False)
    with pytest.raises(ValueError, match='train.action_noise_std'):
        replace(base.train, action_noise_std=-0.1)
