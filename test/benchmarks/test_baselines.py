# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The Diffusion Policy baseline and the one interface the benchmarks drive policies by."""

from __future__ import annotations

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch

from benchmarks.baselines.diffusion import DiffusionConfig, DiffusionPolicy, TemporalUNet
from benchmarks.baselines.diffusion_training import train_diffusion
from benchmarks.pages import records
from benchmarks.pages.state_page import render_page
from benchmarks.protocol.actors import (
    CameraOverrideActor,
    DiffusionActor,
    HoldActor,
    NFPActor,
    RandomActor,
)
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.structs import Observation

SMALL = DiffusionConfig(channels=(16, 32), time_dim=16, groups=4)


def test_unet_maps_a_chunk_to_a_noise_estimate_of_the_same_shape():
    net = TemporalUNet(action_dim=3, context_dim=8, config=SMALL)
    x = torch.randn(5, 8, 3)
    out = net(x, torch.randint(0, 100, (5,)), torch.randn(5, 8))
    assert out.shape == x.shape and torch.isfinite(out).all()


def chunk_error(policy: DiffusionPolicy, data: WindowDataset, kind: str, steps: int,
                spacing: str = 'leading', eta: float = 0.0) -> float:
    """Mean |sampled chunk - demonstrated chunk| over the training windows [robot units]."""
    batch = data.batch(np.arange(len(data)))
    obs = Observation(None, torch.from_numpy(batch['state']))
    chunk = policy.sample(obs, kind, steps, torch.Generator().manual_seed(0), spacing, eta)
    return float((chunk - torch.from_numpy(batch['actions'])).abs().mean())


def test_trained_diffusion_policy_reproduces_the_demonstrations():
    """Both samplers of a trained DP land far closer to the demos than an untrained one."""
    config = small_config(steps=(400,), stride=2)
    data = WindowDataset([sine_episode(), sine_episode(phase=1.0)], config.actions)
    trained, loss = train_diffusion(config, data, SMALL)
    untrained, _ = train_diffusion(small_config(steps=(1,), stride=2), data, SMALL)
    assert loss < 0.5
    for sampler in (('ddim', 10, 'leading'), ('ddpm', 100, 'leading'),
                    ('ddim', 10, 'trailing'), ('ddim', 10, 'leading', 1.0)):
        before, after = (chunk_error(p, data, *sampler) for p in (untrained, trained))
        assert after < 0.5 * before, (sampler, before, after)


def test_both_policies_answer_the_benchmark_interface():
    config = small_config(steps=(2,))
    obs = Observation(None, torch.randn(2, 3))
    gen = torch.Generator().manual_seed(0)
    nfp = NFPActor(NFPolicy(config), SamplingConfig(mode='best_of_n', num_candidates=4), gen)
    dp = DiffusionActor(DiffusionPolicy(config, SMALL), 'ddim', 5, gen)
    for actor in (nfp, dp):
        action = actor.act(obs)
        assert action.chunk.shape == (2, config.actions.horizon, config.actions.action_dim)
        assert actor.stride == config.actions.stride
    assert nfp.act(obs).confidence.shape == (2,)
    assert dp.act(obs).confidence is None
    assert dp.name == 'DP DDIM-5'


class _RecordingActor:
    """A camera policy that remembers what it was shown."""

    name, stride, device, observes_images = 'recorder', 4, torch.device('cpu'), True

    def act(self, obs):
        self.seen = obs
        return 'chunk'


def test_camera_off_feeds_black_frames_and_keeps_the_joint_state():
    inner = _RecordingActor()
    blind = CameraOverrideActor(inner)
    images, state = torch.rand(1, 1, 3, 8, 8), torch.randn(1, 3)
    assert blind.act(Observation(images, state)) == 'chunk'
    assert inner.seen.images.shape == images.shape and not inner.seen.images.any()
    assert torch.equal(inner.seen.state, state)
    assert blind.name == 'recorder, camera off' and blind.stride == 4
    state_only = NFPActor(NFPolicy(small_config(steps=(2,))), SamplingConfig())
    with pytest.raises(ValueError, match='no camera'):
        CameraOverrideActor(state_only)


def test_camera_frozen_shows_the_same_frame_whatever_the_scene():
    inner, frame = _RecordingActor(), torch.rand(1, 3, 8, 8)
    frozen = CameraOverrideActor(inner, frame)
    for _ in range(2):
        frozen.act(Observation(torch.rand(2, 1, 3, 8, 8), torch.zeros(2, 3)))
        assert torch.equal(inner.seen.images, frame[None].expand(2, -1, -1, -1, -1))
    assert frozen.name == 'recorder, camera frozen'


def test_state_tier_samples_one_training_per_policy_with_every_sampler(tmp_path):
    """Every sampler of a policy shares one training: the first trains and saves it in the
    run directory, the others load it (the checkpoint is not written again)."""
    from benchmarks.protocol.networks import train_actor

    config = small_config(steps=(2,))
    data = WindowDataset([sine_episode()], config.actions)
    ddim = train_actor('dp', config, data, tmp_path)
    written = (tmp_path / 'dp.pt').stat().st_mtime_ns
    others = [train_actor(kind, config, data, tmp_path)
              for kind in ('dp-ddpm', 'dp-ddim-trailing', 'dp-ddim50', 'dp-ddim-eta1')]
    assert (tmp_path / 'dp.pt').stat().st_mtime_ns == written
    assert [a.name for a in (ddim, *others)] == [
        'DP DDIM-10', 'DP DDPM-100', 'DP DDIM-10 trailing', 'DP DDIM-50', 'DP DDIM-10 eta 1']
    fresh = train_actor('dp', config, data)  # no run directory: trained again, same seed
    for actor in (*others, fresh):
        for a, b in zip(ddim.policy.parameters(), actor.policy.parameters()):
            assert torch.equal(a, b)
    best = train_actor('nfp', config, data, tmp_path)
    saved = {f: f.stat().st_mtime_ns for f in (tmp_path / 'nfp').rglob('*') if f.is_file()}
    sample, zero = (train_actor(kind, config, data, tmp_path)
                    for kind in ('nfp-sample', 'nfp-zero'))
    assert saved and saved == {f: f.stat().st_mtime_ns
                               for f in (tmp_path / 'nfp').rglob('*') if f.is_file()}
    assert [(a.name, a.sampling.mode) for a in (best, sample, zero)] == [
        ('NF-P best-of-128', 'best_of_n'), ('NF-P sample std 1', 'sample'),
        ('NF-P zero latent', 'zero_latent')]
    assert sample.sampling.latent_std == 1.0
    noisy = train_actor('nfp-noise', config, data, tmp_path / 'noise')
    assert noisy.name == 'NF-P action noise 0.1' and noisy.sampling == best.sampling
    assert noisy.policy.config.train.action_noise_std == 0.1
    assert best.policy.config.train.action_noise_std == 0.0
    for actor in (sample, zero):
        for a, b in zip(best.policy.parameters(), actor.policy.parameters()):
            assert torch.equal(a, b)


def test_state_tier_run_dirs_are_one_per_network_seed_and_config(tmp_path):
    import argparse

    from benchmarks.protocol.tier import tier_config
    from benchmarks.runs.run_dirs import job_run_dir

    args = argparse.Namespace(run_dir=tmp_path)
    config = tier_config(100, seed=0)
    dirs = {kind: job_run_dir(args, ('hammer', 10, 0, kind), config, 300.0)
            for kind in ('nfp', 'nfp-sample', 'dp', 'dp-ddpm', 'dp-ddim-trailing')}
    assert dirs['dp'] == dirs['dp-ddpm'] == dirs['dp-ddim-trailing'] != dirs['nfp']
    assert dirs['nfp-sample'] == dirs['nfp']
    noise = job_run_dir(args, ('hammer', 10, 0, 'nfp-noise'), config, 300.0)
    assert noise.name.endswith('_nfp-noise') and noise.parent == dirs['nfp'].parent
    assert dirs['dp'].parent == tmp_path / 'hammer'
    other_seed = job_run_dir(args, ('hammer', 10, 1, 'dp'), tier_config(100, seed=1), 300.0)
    longer = job_run_dir(args, ('hammer', 10, 0, 'dp'), tier_config(200, seed=0), 300.0)
    assert len({dirs['dp'], other_seed, longer}) == 3
    assert job_run_dir(argparse.Namespace(run_dir=None), ('hammer', 10, 0, 'dp'), config,
                       300.0) is None


def test_ddim_trailing_steps_start_from_pure_noise():
    """Leading DDIM-10 (Diffusion Policy's) starts at t=90, where ~14 % of the signal is
    left; trailing starts at t=99 and ends at 9."""
    from benchmarks.baselines.diffusion import make_scheduler

    steps = {}
    for spacing in ('leading', 'trailing'):
        scheduler = make_scheduler('ddim', spacing)
        scheduler.set_timesteps(10)
        steps[spacing] = scheduler.timesteps.tolist()
    assert steps['leading'] == list(range(90, -1, -10))
    assert steps['trailing'] == list(range(99, 0, -10))
    with pytest.raises(ValueError, match="spacing='middle'"):
        make_scheduler('ddim', 'middle')


def test_ddim_eta_draws_fresh_noise_at_each_step_and_is_refused_for_ddpm():
    config = small_config(steps=(1,))
    policy, _ = train_diffusion(config, WindowDataset([sine_episode()], config.actions), SMALL)
    obs = Observation(None, torch.zeros(1, 3))
    chunks = [policy.sample(obs, 'ddim', 5, torch.Generator().manual_seed(0), eta=eta)
              for eta in (0.0, 0.0, 1.0)]
    assert torch.equal(chunks[0], chunks[1]) and not torch.equal(chunks[0], chunks[2])
    with pytest.raises(ValueError, match="eta=1.0 with scheduler='ddpm'"):
        policy.sample(obs, 'ddpm', 5, eta=1.0)


def test_unknown_scheduler_is_refused_by_name():
    with pytest.raises(ValueError, match='scheduler'):
        DiffusionPolicy(small_config(), SMALL).sample(Observation(None, torch.zeros(1, 3)),
                                                      'euler', 5)


def test_state_tier_page_reports_mean_and_spread_over_seeds():
    machine = {'git_sha': 'abc', 'date_utc': 'now', 'host_cpu': 'cpu', 'cpu_count': 2,
               'torch_threads': 1, 'torch': 'x', 'device': 'cpu'}

    def rec(policy, seed, wins):
        # as in real records, the training seed is part of the config (and of its hash);
        # a format-1 record: no recipe or servo recorded (loaded: EMA fixed, servo 100)
        return records.migrate('state_tier', {
            'task': 'hammer', 'demos': 10, 'steps': 100, 'config_hash': f'h{seed}',
            'policy': policy, 'seed': seed, 'successes': wins, 'episodes': 20,
            'machine': machine})
    page = render_page([rec('nfp', 0, 10), rec('nfp', 1, 20), rec('dp', 0, 4)])
    assert ('| hammer | 10 | 100 | lr 0.001, EMA fixed 0.999, servo 100 | tune '
            '| 75 ± 25 (n=2; 30/40, CI 60-86) | 20 ± 0 (n=1; 4/20, CI 8-42) | h0, h1 |') in page


def test_wilson_interval_is_honest_at_the_edges():
    from benchmarks.pages.report import wilson_interval

    low, high = wilson_interval(12, 20)
    assert (round(low, 3), round(high, 3)) == (0.387, 0.781)
    assert wilson_interval(0, 20)[0] == 0.0 and 0.15 < wilson_interval(0, 20)[1] < 0.17
    assert wilson_interval(20, 20)[1] == 1.0


def test_hold_floor_keeps_the_arm_where_it_is_with_the_gripper_open():
    open_fingers = torch.tensor([-1.0, 1.0])
    hold = HoldActor(7, open_fingers, horizon=8, stride=4)
    state = torch.randn(2, 9 + 39)
    chunk = hold.act(Observation(None, state)).chunk
    assert chunk.shape == (2, 8, 9)
    assert torch.equal(chunk[:, :, :7], state[:, None, :7].expand(-1, 8, -1))
    assert torch.equal(chunk[:, :, 7:], open_fingers.expand(2, 8, -1))


def test_random_floor_stays_in_the_demonstrated_range_and_varies():
    low, high = torch.tensor([0.0, -2.0]), torch.tensor([1.0, -1.0])
    rand = RandomActor(low, high, 8, 4, torch.Generator().manual_seed(0))
    chunks = torch.cat([rand.act(Observation(None, torch.zeros(1, 2))).chunk
                        for _ in range(50)])
    assert chunks.shape == (50, 8, 2)
    assert torch.all(chunks >= low) and torch.all(chunks <= high)
    assert chunks[..., 0].std() > 0.2  # uniform on [0, 1]: sd 0.29


def test_auroc_counts_ordered_pairs_and_ties_half():
    from benchmarks.pages.confidence_failure import auroc, episode_rows

    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5], [0.5]) == 0.5
    rows = episode_rows([{'label': 'x', 'episode_success': [True, False, True],
                          'episode_confidence': [[0.9, 0.5], [0.2, 0.6], [0.8, 0.1]]}], 'src')
    assert rows[0]['auroc_mean'] == 1.0 and rows[0]['auroc_min'] == 0.0
    assert rows[0]['auroc_early'] is None  # no per-plan traces kept


def test_early_window_auroc_ignores_what_happens_after_the_window():
    from benchmarks.pages.confidence_failure import EARLY_PLANS, episode_rows

    early = [0.5] * EARLY_PLANS
    # whole-episode means separate the outcomes only through the failures' long low tail
    record = {'label': 'x', 'episode_success': [True, False],
              'episode_confidence_trace': [early + [0.9] * 5, early + [0.1] * 40]}
    record['episode_confidence'] = [[float(np.mean(t)), float(np.min(t))]
                                    for t in record['episode_confidence_trace']]
    row = episode_rows([record], 'src')[0]
    assert row['auroc_mean'] == 1.0 and row['auroc_early'] == 0.5
    assert (row['plans_success'], row['plans_failure']) == (EARLY_PLANS + 5, EARLY_PLANS + 40)


def test_trace_plot_takes_the_newest_traced_run_of_either_page(tmp_path, monkeypatch):
    import json

    from benchmarks.pages import confidence_failure

    def run(task: str, date: str, **extra) -> dict:
        return {'task': task, 'demos': 10, 'policy': 'nfp', 'seed': 0,
                'machine': {'date_utc': date}, 'episode_success': [True, False],
                'episode_confidence_trace': [[0.9], [0.1]], **extra}

    monkeypatch.setattr(records, 'DOCS', tmp_path)
    (tmp_path / 'state_tier.json').write_text(json.dumps([
        run('hammer', '2026-11-27T01:00:00'), run('assembly', '2026-11-27T03:00:00'),
        run('basketball', '2026-11-27T04:00:00', policy='dp')]))
    (tmp_path / 'ablations.json').write_text(json.dumps([
        run('lever-pull', '2026-11-26T12:00:00'),
        run('bin-picking', '2026-11-27T05:00:00', execute_steps=1)]))
    assert [r['task'] for r in confidence_failure.traced_runs([])] == ['assembly']


def test_run_labels_name_the_training_budget():
    from benchmarks.pages.confidence_failure import run_label

    def label(page: str, **record) -> str:
        return run_label(records.migrate(page, record))

    assert label('state_tier', task='assembly', demos=50, steps=6000, policy='nfp', seed=0,
                 lr=1e-3, ema_warmup=True, servo_omega=300.0) == (
        'assembly, 50 demos, 6000 steps, nfp, seed 0')
    assert label('ablations', task='hammer', demos=50, steps=2000, group='stride', variant=4,
                 seed=1, ema_warmup=True) == 'hammer, 50 demos, 2000 steps, stride 4, seed 1'
    assert label('state_tier', task='hammer', demos=10, steps=2000, policy='nfp', seed=0,
                 lr=1e-4, ema_warmup=False) == (
        'hammer, 10 demos, 2000 steps, lr 0.0001, EMA fixed 0.999, servo 100, nfp, seed 0')
    assert 'servo 200' in label('state_tier', task='assembly', demos=10, steps=2000,
                                ema_warmup=True)  # before servos were recorded


def test_state_tier_shards_split_the_grid_without_overlap():
    import argparse

    from benchmarks.experiments.state_tier import my_jobs
    from benchmarks.runs.run_dirs import parse_shard

    grid = dict(tasks=['hammer', 'assembly'], demos=[10, 50], seeds=[0, 1, 2],
                policies=['nfp', 'dp'])
    shards = [my_jobs(argparse.Namespace(**grid, shard=parse_shard(f'{k}/3')))
              for k in range(3)]
    every = my_jobs(argparse.Namespace(**grid, shard=(0, 1)))
    assert len(every) == 24 and sorted(sum(shards, [])) == sorted(every)
    assert all(len(s) == 8 for s in shards)
    for shard in shards:  # every policy of a (task, demos, seed) in the same shard
        trainings = {job[:3] for job in shard}
        assert sorted(shard) == sorted((*t, p) for t in trainings for p in ('nfp', 'dp'))
    for bad in ('3/3', '1', 'a/b', '-1/2'):
        with pytest.raises(argparse.ArgumentTypeError, match='K/N'):
            parse_shard(bad)


def test_confidence_page_keeps_the_latest_ood_run_of_each_checkpoint():
    from benchmarks.experiments.confidence_auroc import latest_per_checkpoint

    def rec(task, checkpoint, date, ood=True):
        return {'task': task, 'checkpoint': checkpoint, 'machine': {'date_utc': date},
                'ood': [{'auroc': 0.5}] if ood else []}
    records = [rec('hammer', 'a.pt', '1'), rec('drawer-open', 'b.pt', '2'),
               rec('hammer', 'a.pt', '3'), rec('hammer', '', '4', ood=False)]
    latest = latest_per_checkpoint(records)
    assert [(r['checkpoint'], r['machine']['date_utc']) for r in latest] == [('b.pt', '2'),
                                                                              ('a.pt', '3')]
    # another confidence source or start split of a checkpoint is a row of its own
    context = {**rec('hammer', 'a.pt', '5'), 'confidence': 'context'}
    test = {**rec('hammer', 'a.pt', '6'), 'split': 'test'}
    latest = latest_per_checkpoint([*records, context, test])
    assert [r['machine']['date_utc'] for r in latest] == ['2', '3', '5', '6']


def test_the_readings_table_lists_each_checkpoints_target_aurocs_and_whether_all_meet():
    from benchmarks.experiments.confidence_auroc import reading_summary

    def rec(checkpoint, moved, **extra):
        ood = [{'perturbation': 'camera blacked out', 'auroc': 1.0},
               {'perturbation': 'object and goal moved 40 cm (sim)', 'auroc': moved}]
        return {'task': 'drawer-open', 'checkpoint': checkpoint, 'policy': 'nfp2',
                'machine': {'date_utc': checkpoint}, 'ood': ood, **extra}
    records = [rec('a', 0.43), rec('b', 0.88, confidence='plan', split='tune'),
               rec('a', 0.87, confidence='context', split='tune'),
               rec('b', 0.89, confidence='context', split='tune'),
               {**rec('c', 0.99), 'policy': 'nfp'}]  # NF-P as compared: not a reading row
    table = '\n'.join(reading_summary(records))
    assert ("| drawer-open | tune | the context's distance percentile | 2 | 1.00, 1.00 | "
            '0.87, 0.89 | yes |') in table
    assert ("| drawer-open | tune | the plan's log p percentile | 2 | 1.00, 1.00 | 0.43, 0.88 "
            '| no |') in table
    assert '0.99' not in table and reading_summary([records[-1]]) == []
