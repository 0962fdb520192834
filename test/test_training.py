# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Checkpoints, exact resume, refusal of unsafe files, and two-process DDP on gloo."""

from __future__ import annotations

import csv
import os
import pickle
import re
import socket
import threading

from conftest import sine_episode, small_config
import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import CheckpointError, load_policy, read_checkpoint
from nf_policy_ros.core.training import TrainingError, run_training
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.structs import Observation


def dataset(config):
    return WindowDataset([sine_episode(), sine_episode(phase=0.5, name='b')], config.actions)


def test_checkpoint_round_trip_gives_identical_predictions(tmp_path):
    config = small_config(steps=(30,))
    result = run_training(config, dataset(config), None, tmp_path, {'bags': ['x']},
                          progress=False)
    a, provenance = load_policy(result.policy_path)
    b, _ = load_policy(result.policy_path)
    obs = Observation(torch.zeros(4, 0, 3, 32, 32), torch.randn(4, 3) * 0.5)
    config = SamplingConfig(mode='best_of_n', num_candidates=16)
    pa = a.predict(obs, config, torch.Generator().manual_seed(0))
    pb = b.predict(obs, config, torch.Generator().manual_seed(0))
    assert torch.equal(pa.actions, pb.actions) and torch.equal(pa.confidence, pb.confidence)
    assert provenance['bags'] == ['x'] and provenance['training']['steps'] == 30
    assert len(provenance['git_sha']) >= 7
    assert a.calibration.is_calibrated


def test_resume_continues_exactly(tmp_path):
    config = small_config(steps=(12,), checkpoint_every=6, val_every=6)
    data = dataset(config)
    straight = run_training(config, data, None, tmp_path / 'straight', {}, progress=False)
    stop_config = small_config(steps=(6,), checkpoint_every=6, val_every=6)
    run_training(stop_config, data, None, tmp_path / 'resumed', {}, progress=False)
    resumed = run_training(config, data, None, tmp_path / 'resumed', {}, resume=True,
                           progress=False)
    assert resumed.steps == 12
    a = read_checkpoint(straight.policy_path)['state_dict']
    b = read_checkpoint(resumed.policy_path)['state_dict']
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_stop_request_saves_last_pt_at_that_step_and_resume_finishes(tmp_path):
    """What SIGINT/SIGTERM do through the CLI and the node: stop after the current step."""
    config = small_config(steps=(12,), checkpoint_every=100, val_every=100)
    data = dataset(config)
    stop = threading.Event()

    def stop_at_5(step: int, metrics: dict) -> None:
        if step == 5:
            stop.set()
    stopped = run_training(config, data, None, tmp_path / 'run', {}, progress=False,
                           on_metrics=stop_at_5, stop=stop)
    assert stopped.steps == 5
    assert read_checkpoint(tmp_path / 'run' / 'last.pt')['training']['step'] == 5
    resumed = run_training(config, data, None, tmp_path / 'run', {}, resume=True,
                           progress=False)
    straight = run_training(config, data, None, tmp_path / 'straight', {}, progress=False)
    assert resumed.steps == 12
    assert read_checkpoint(tmp_path / 'run' / 'last.pt')['training']['step'] == 12
    a = read_checkpoint(straight.policy_path)['state_dict']
    b = read_checkpoint(resumed.policy_path)['state_dict']
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resuming_a_finished_run_leaves_it_as_written(tmp_path):
    config = small_config(steps=(4,))
    first = run_training(config, dataset(config), None, tmp_path, {}, progress=False)
    files = {f: f.stat().st_mtime_ns for f in tmp_path.rglob('*') if f.is_file()}
    again = run_training(config, dataset(config), None, tmp_path, {}, resume=True,
                         progress=False)
    assert files == {f: f.stat().st_mtime_ns for f in tmp_path.rglob('*') if f.is_file()}
    assert (again.steps, again.policy_path) == (4, first.policy_path)
    assert again.train_loss == pytest.approx(first.train_loss)


def test_an_existing_run_is_not_overwritten_silently(tmp_path):
    config = small_config(steps=(3,))
    run_training(config, dataset(config), None, tmp_path, {}, progress=False)
    with pytest.raises(TrainingError, match='already holds a run'):
        run_training(config, dataset(config), None, tmp_path, {}, progress=False)
    run_training(config, dataset(config), None, tmp_path, {}, overwrite=True, progress=False)


def test_a_resumed_run_drops_the_metric_rows_after_its_checkpoint(tmp_path):
    """Finding 9: a run that died after its step-4 checkpoint (rows of steps 5 and 6 and a
    row cut short in metrics.csv) resumes from step 4 and logs steps 5.. once each."""
    config = small_config(steps=(8,), checkpoint_every=4, val_every=100)
    data = dataset(config)

    class KilledError(Exception):
        """Stands for SIGKILL: the run ends where it is, nothing else gets saved."""

    def die_at_step_6(step: int, metrics: dict) -> None:
        if step == 6:
            raise KilledError

    with pytest.raises(KilledError):
        run_training(config, data, None, tmp_path, {}, progress=False,
                     on_metrics=die_at_step_6)
    with (tmp_path / 'metrics.csv').open('a') as f:
        f.write('7,train/nll_per')  # the kill cut a row short
    assert read_checkpoint(tmp_path / 'last.pt')['training']['step'] == 4
    run_training(config, data, None, tmp_path, {}, resume=True, progress=False)
    with (tmp_path / 'metrics.csv').open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r['step']) for r in rows if r['name'] == 'train/nll_per_dim'] == \
        list(range(1, 9))
    assert all(r['value'] for r in rows)


class Payload:
    """Stands for arbitrary code a malicious checkpoint could carry."""


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    path = tmp_path / 'evil.pt'
    torch.save({'format': 'nf_policy_ros.checkpoint', 'format_version': 1,
                'config': Payload()}, path)
    with pytest.raises(CheckpointError, match='could not be loaded safely'):
        read_checkpoint(path)


@pytest.mark.parametrize('content, message', [
    (b'/**/nf_policy:\n  ros__parameters: {}\n', re.escape(
        'is not an NF-P checkpoint: expected an nf_policy_ros.checkpoint file written by train '
        'or train_node (a torch.save archive), found a text file (YAML, JSON, ...)')),
    (b'PK\x03\x04 a truncated zip', 'could not be loaded safely'),
    (b'', 'is not an NF-P checkpoint: .* found an empty file'),
    (None, 'does not exist'),
])
def test_unreadable_checkpoints_are_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / 'bad.pt'
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as refused:
        read_checkpoint(path)
    assert str(path) in str(refused.value) and '\n' not in str(refused.value)


def test_wrong_format_version_is_refused(tmp_path):
    path = tmp_path / 'old.pt'
    torch.save({'format': 'nf_policy_ros.checkpoint', 'format_version': 99}, path)
    with pytest.raises(CheckpointError, match='format_version=99'):
        read_checkpoint(path)


@pytest.mark.parametrize('num_cameras, loads', [(0, True), (1, False)])
def test_version_1_loads_without_cameras_and_is_refused_with_them(tmp_path, num_cameras,
                                                                    loads):
    """Version 2 added the standardized spatial softmax: a version-1 camera encoder is the
    blind one and must be retrained; a state-only file holds the same weights."""
    path = tmp_path / 'v1.pt'
    torch.save({'format': 'nf_policy_ros.checkpoint', 'format_version': 1,
                'config': {'encoder': {'num_cameras': num_cameras}}}, path)
    if loads:
        assert read_checkpoint(path)['format_version'] == 1
    else:
        with pytest.raises(CheckpointError, match='format_version=1 with cameras.*retrain'):
            read_checkpoint(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def camera_dataset(config):
    """Sine episodes with one 32 px camera of random texture (non-zero image gradients)."""
    episodes = []
    for i, phase in enumerate((0.0, 0.7)):
        episode = sine_episode(length=24, num_cameras=1, image_size=32, phase=phase,
                               name=str(i))
        episode.images[:] = np.random.default_rng(i).integers(0, 256, episode.images.shape,
                                                              dtype=np.uint8)
        episodes.append(episode)
    return WindowDataset(episodes, config.actions)


def _ddp_worker(rank: int, world: int, port: int, out: str, warmup: int = 0) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port), RANK=str(rank),
                      WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    if warmup:  # a camera policy whose first steps are the encoder warm-up
        config = small_config(steps=(8,), stage_batch_size=(16,), num_cameras=1,
                              encoder_warmup_steps=warmup)
        data = camera_dataset(config)
    else:
        config = small_config(steps=(8,), stage_batch_size=(16,))
        data = dataset(config)
    result = run_training(config, data, None, os.path.join(out, 'run'), {},
                          device='cpu', progress=False)
    # This rank's own DDP-trained parameters (not the file rank 0 wrote).
    state = {k: v.detach().numpy().copy() for k, v in result.policy.state_dict().items()}
    with open(os.path.join(out, f'rank{rank}.pkl'), 'wb') as f:
        pickle.dump(state, f)
    import torch.distributed as dist
    dist.destroy_process_group()


def _load(path):
    with open(path, 'rb') as f:
        return pickle.load(f)


def test_two_process_gloo_ddp_trains_identical_replicas(tmp_path):
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    rank0, rank1 = _load(tmp_path / 'rank0.pkl'), _load(tmp_path / 'rank1.pkl')
    assert rank0.keys() == rank1.keys()
    assert all(np.array_equal(rank0[k], rank1[k]) for k in rank0)
    torch.manual_seed(small_config().train.seed)
    from nf_policy_ros.core.policy import NFPolicy
    init = NFPolicy(small_config()).state_dict()
    assert not np.array_equal(rank0['flow.layers.0.conditioner.input.weight'],
                              init['flow.layers.0.conditioner.input.weight'].numpy())
    assert read_checkpoint(tmp_path / 'run' / 'last.pt')['training']['step'] == 8
    assert (tmp_path / 'run' / 'policy.pt').exists()


def test_two_process_ddp_with_the_encoder_warmup_keeps_replicas_identical(tmp_path):
    """Each rank regresses its own batches in the warm-up: without averaging those
    gradients the replicas' encoders (and so everything after) would differ."""
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path), 5), nprocs=2, join=True)
    rank0, rank1 = _load(tmp_path / 'rank0.pkl'), _load(tmp_path / 'rank1.pkl')
    assert all(np.array_equal(rank0[k], rank1[k]) for k in rank0)
    torch.manual_seed(small_config().train.seed)
    from nf_policy_ros.core.policy import NFPolicy
    init = NFPolicy(small_config(num_cameras=1)).state_dict()
    trunk = [k for k in init if k.startswith('encoder.') and 'trunk' in k and
             init[k].is_floating_point()]
    assert trunk and any(not np.array_equal(rank0[k], init[k].numpy()) for k in trunk)
