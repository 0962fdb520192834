# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Maximum-likelihood training of NF-P: one function shared by the CLI and the train node.

A run directory holds ``last.pt`` (resume state: weights, optimizer, EMA, step), ``policy.pt``
(the deployable checkpoint: EMA weights + calibration + provenance), ``metrics.csv`` and
``tb/``. Under ``torchrun`` every rank trains on its share of each batch with
DistributedDataParallel (NCCL on GPUs, gloo on CPUs); rank 0 writes files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
import math
from pathlib import Path
import threading
from typing import Any, NamedTuple

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from nf_policy_ros.config import NFPConfig, SamplingConfig, TrainConfig
from nf_policy_ros.core.checkpoint import make_provenance, read_checkpoint, save_checkpoint
from nf_policy_ros.core.ema import build_ema
from nf_policy_ros.core.encoder_warmup import EncoderWarmup
from nf_policy_ros.core.finetune import load_init_weights
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.schedule import stage_at
from nf_policy_ros.core.train_state import (
    MetricsLog,
    batch_indices,
    batch_to_device,
    init_distributed,
    pick_device,
    step_generator,
    training_state,
)
from nf_policy_ros.data.windows import WindowDataset

MAX_EVAL_WINDOWS = 4096
MAX_PLAN_CALIBRATION_WINDOWS = 1024
EVAL_BATCH = 64


class TrainResult(NamedTuple):
    """Outcome of a run; ``policy`` is this rank's trained module (not the EMA copy)."""

    policy_path: Path
    steps: int
    train_loss: float
    val_nll: float
    policy: NFPolicy


class TrainingError(RuntimeError):
    """Training cannot go on (non-finite loss, a run directory in the way, ...)."""


def fit_normalizers(policy: NFPolicy, data: WindowDataset) -> None:
    """Set the model's state/action normalizers from the training windows' statistics
    (``ObservationPath.fit_normalizers``: each action's spread at least
    ``train.action_noise_floor``)."""
    policy.fit_normalizers(data)


def fit_action_noise(policy: NFPolicy, data: WindowDataset) -> None:
    """Set the training noise of each action dimension (``action_noise_robot``), in the
    normalized units of the fitted action normalizer."""
    noise = action_noise_robot(policy.config, torch.from_numpy(data.action_step_rms()))
    policy.action_noise.copy_(noise / policy.action_normalizer.std)


def action_noise_robot(config: NFPConfig, step_rms: torch.Tensor) -> torch.Tensor:
    """Training noise std (D_a,) [robot units] of each action dimension: on a continuous
    one ``action_noise_step`` times its RMS change between chunk points ``step_rms`` (D_a,),
    at least ``action_noise_floor``; on a discrete one ``dequantize_std``; 0 on mirrors."""
    train, actions = config.train, config.actions
    noise = (train.action_noise_step * step_rms).clamp_min(train.action_noise_floor)
    discrete = list(actions.discrete_dims)
    noise[discrete] = train.dequantize_std
    noise[list(actions.mirror_dims)] = 0.0
    return noise.float()


def _eval_indices(data: WindowDataset, limit: int = MAX_EVAL_WINDOWS) -> np.ndarray:
    n = len(data)
    if n <= limit:
        return np.arange(n)
    return np.linspace(0, n - 1, limit).astype(np.int64)


@torch.no_grad()
def held_out_plan_log_prob(policy: NFPolicy, data: WindowDataset, device: torch.device,
                           sampling: SamplingConfig, seed: int = 0) -> torch.Tensor:
    """log p per dimension (M,) of the *plans* the sampler picks for held-out observations.

    This is what the confidence is calibrated on: at run time the policy scores its own
    plan (the most likely of N samples), which is far likelier than a demonstrated chunk,
    so a CDF over demo chunks would put nearly every plan at ~1.0 (seen in the simulated
    demo before this). Against plans for held-out observations, a typical observation scores
    ~0.5 and one the model is unsure about scores low.
    """
    gen = torch.Generator(device=device).manual_seed(seed)
    with _evaluating(policy):
        return torch.cat([policy.predict(obs, sampling, gen).log_prob_per_dim for _, obs in
                          _eval_batches(data, device, MAX_PLAN_CALIBRATION_WINDOWS)]).cpu()


@torch.no_grad()
def held_out_log_prob(policy: NFPolicy, data: WindowDataset,
                      device: torch.device) -> torch.Tensor:
    """log p per dimension (M,) of demo chunks given their observations (eval mode)."""
    with _evaluating(policy):
        return torch.cat([policy.log_prob(actions, obs) / policy.config.actions.flat_dim
                          for actions, obs in _eval_batches(data, device)]).cpu()


@contextmanager
def _evaluating(policy: NFPolicy) -> Iterator[None]:
    """``policy`` in eval mode inside, its previous mode restored after."""
    was_training = policy.training
    policy.eval()
    try:
        yield
    finally:
        policy.train(was_training)


def _eval_batches(data: WindowDataset, device: torch.device, limit: int = MAX_EVAL_WINDOWS
                  ) -> Iterator[tuple[torch.Tensor, Any]]:
    """(actions, observation) batches of up to ``limit`` evenly spread windows."""
    indices = _eval_indices(data, limit)
    for i in range(0, len(indices), EVAL_BATCH):
        yield batch_to_device(data.batch(indices[i:i + EVAL_BATCH]), device)


def _check_run_dir(out_dir: Path, resume: bool, overwrite: bool) -> dict[str, Any] | None:
    last = out_dir / 'last.pt'
    if resume and last.exists():
        return read_checkpoint(last)
    if last.exists() and not overwrite:
        raise TrainingError(f'run directory {str(out_dir)!r} already holds a run (last.pt): '
                            'resume it, or allow overwriting, or pick another directory')
    return None


def _build(config: NFPConfig, train_set: WindowDataset, device: torch.device,
           init_weights: dict[str, torch.Tensor] | None = None
           ) -> tuple[NFPolicy, torch.optim.Optimizer, AveragedModel | None]:
    """A fresh policy with normalizers fitted to ``train_set``, or ``init_weights``'
    weights and normalizers (fine-tuning); optimizer and EMA start fresh."""
    torch.manual_seed(config.train.seed)
    policy = NFPolicy(config)
    fit_normalizers(policy, train_set)
    if init_weights is not None:
        load_init_weights(policy, init_weights)
    fit_action_noise(policy, train_set)
    policy.to(device).train()
    optimizer = build_optimizer(policy, config.train)
    train = config.train
    return policy, optimizer, build_ema(policy, train.ema_decay, train.ema_warmup,
                                        train.ema_power)


def _restore(state: dict[str, Any], policy: NFPolicy, optimizer: torch.optim.Optimizer,
             ema: AveragedModel | None) -> int:
    training = state['training']
    policy.load_state_dict(training['model'])
    optimizer.load_state_dict(training['optimizer'])
    if ema is not None and 'ema' in training:
        ema.load_state_dict(training['ema'])
    return int(training['step'])


IMAGE_PARAMETER_PREFIXES = ('encoder.trunks.', 'encoder.keypoints.')


def parameter_groups(policy: torch.nn.Module, lr_scale: float) -> list[dict[str, Any]]:
    """AdamW groups: image trunks and keypoint heads at ``lr_scale`` times the stage rate,
    everything else at the full rate. Each group carries its ``lr_scale`` (``train_step``
    sets ``lr = stage lr * lr_scale``); a state-only policy has one group."""
    image, rest = [], []
    for name, p in policy.named_parameters():
        (image if name.startswith(IMAGE_PARAMETER_PREFIXES) else rest).append(p)
    groups = [{'params': rest, 'lr_scale': 1.0}]
    if image:
        groups.append({'params': image, 'lr_scale': lr_scale})
    return groups


def build_optimizer(policy: torch.nn.Module, train: TrainConfig) -> torch.optim.Optimizer:
    """The AdamW of NF-P's recipe (shared by the Diffusion Policy baseline)."""
    return torch.optim.AdamW(parameter_groups(policy, train.encoder_lr_scale),
                             lr=train.stage_lr[0], betas=tuple(train.adam_betas),
                             weight_decay=train.weight_decay)


def train_step(model: torch.nn.Module, policy: torch.nn.Module,
               optimizer: torch.optim.Optimizer, batch: dict[str, np.ndarray], lr: float,
               generator: torch.Generator, device: torch.device, clip: float) -> float:
    """One optimizer step of ``model(actions, obs, generator)`` -> loss (any policy with
    that training forward: NF-P, or the benchmarks' Diffusion Policy); returns the loss."""
    for group in optimizer.param_groups:
        group['lr'] = lr * group.get('lr_scale', 1.0)
    actions, obs = batch_to_device(batch, device)
    loss = model(actions, obs, generator)
    if not torch.isfinite(loss):
        raise TrainingError(f'loss is {loss.item()} (non-finite): check the data for NaN/inf '
                            'or lower the learning rate')
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        torch.nn.utils.clip_grad_norm_(policy.parameters(), clip)
    optimizer.step()
    return loss.item()


def run_training(config: NFPConfig, train_set: WindowDataset, val_set: WindowDataset | None,
                 out_dir: str | Path, provenance: dict[str, Any], device: str = 'auto',
                 resume: bool = False, overwrite: bool = False, progress: bool = True,
                 on_metrics: Callable[[int, dict[str, float]], None] | None = None,
                 stop: threading.Event | None = None,
                 init_weights: dict[str, torch.Tensor] | None = None) -> TrainResult:
    """Train to ``config.train.total_steps`` (or until ``stop`` is set) and write the run.
    Resuming a run that already reached its steps changes nothing and returns it.

    A set ``stop`` ends the run after the current step: ``last.pt`` is written at once
    (``resume=True`` continues from that step), then ``policy.pt`` from the weights so far.
    Under DDP the ranks agree on the step to stop at.

    :param on_metrics: called on rank 0 with (step, metrics) after every logged step.
    :param init_weights: a checkpoint's state dict to start from (``core.finetune``); a
        resumed run continues from its own ``last.pt`` instead.
    :returns: the deployable checkpoint's path and the final losses.
    """
    check_windows(config, train_set, val_set)
    out_dir = Path(out_dir)
    dev = pick_device(device)
    rank, world = init_distributed(dev)
    cfg = config.train
    state = _check_run_dir(out_dir, resume, overwrite)
    policy, optimizer, ema = _build(config, train_set, dev, None if state else init_weights)
    step = _restore(state, policy, optimizer, ema) if state else 0
    path = out_dir / 'policy.pt'
    if step >= cfg.total_steps and path.exists():
        return _finished(path, step, policy)  # resumed a finished run: nothing to redo
    model = DistributedDataParallel(policy) if world > 1 else policy
    out_dir.mkdir(parents=True, exist_ok=True)
    log = MetricsLog(out_dir, enabled=rank == 0, start_step=step)
    bar = tqdm(total=cfg.total_steps, initial=step, disable=not progress or rank != 0,
               desc='train', unit='step')
    loss = math.nan
    val_nll = math.nan
    # not saved: a run resumed inside the warm-up starts a fresh read-out (the encoder keeps
    # what it learned); under DDP it averages its own gradients
    warmup = EncoderWarmup.of(policy, dev)
    while step < cfg.total_steps and not _stop_requested(stop, world, dev):
        point = stage_at(cfg, step)
        idx = batch_indices(len(train_set), point.batch_size, cfg.seed, step, rank, world,
                            getattr(train_set, 'mix', None))
        generator = step_generator(cfg.seed, step, rank)
        loss = None if warmup is None else warmup.step(
            step, policy, optimizer, train_set.batch(idx), point.lr, generator, dev,
            cfg.grad_clip_norm)
        if warmup is not None and warmup.just_froze and world > 1:
            model = DistributedDataParallel(policy)  # without the frozen trunks
        if loss is None:
            loss = train_step(model, policy, optimizer, train_set.batch(idx), point.lr,
                              generator, dev, cfg.grad_clip_norm)
        if ema is not None:
            ema.update_parameters(policy)
        step += 1
        warming_up = warmup is not None and step <= warmup.steps
        metrics = {'train/warmup_mse' if warming_up else 'train/nll_per_dim': loss,
                   'train/lr': point.lr,
                   'train/stage': float(point.stage)}
        if val_set is not None and (step % cfg.val_every == 0 or step == cfg.total_steps):
            val_nll = -float(held_out_log_prob(_eval_model(policy, ema), val_set, dev).mean())
            metrics['val/nll_per_dim'] = val_nll
        _log(log, bar, on_metrics, rank, step, metrics)
        if rank == 0 and (step % cfg.checkpoint_every == 0 or step == cfg.total_steps):
            _save_resume(out_dir, policy, optimizer, ema, step, provenance)
    bar.close()
    log.close()
    if rank == 0 and step % cfg.checkpoint_every != 0 and step != cfg.total_steps:
        _save_resume(out_dir, policy, optimizer, ema, step, provenance)  # stopped early
    if rank == 0:
        _save_final(path, policy, ema, val_set or train_set, train_set, dev, provenance,
                    {'steps': step, 'train_nll_per_dim': loss, 'val_nll_per_dim': val_nll,
                     'warmup_trunk_dtype': None if warmup is None else
                     str(warmup.trunk_dtype or torch.float32).removeprefix('torch.'),
                     'calibration_source': 'validation' if val_set else 'training',
                     'calibration_sampling': asdict(config.sampling)})
    return TrainResult(path, step, loss, val_nll, policy)


def check_windows(config: NFPConfig, *datasets: WindowDataset | None) -> None:
    """TrainingError (one line) unless every dataset given holds windows of
    ``config.encoder.obs_horizon`` observations (``WindowDataset(..., obs_horizon=...)``)."""
    want = config.encoder.obs_horizon
    for data in datasets:
        if data is not None and data.obs_horizon != want:
            raise TrainingError(f'windows of obs_horizon={data.obs_horizon} for a policy of '
                                f'encoder.obs_horizon={want}: expected equal (window the '
                                'episodes with obs_horizon=config.encoder.obs_horizon)')


def _stop_requested(stop: threading.Event | None, world: int, device: torch.device) -> bool:
    """Whether to stop before the next step. Under DDP a request on any rank stops every
    rank at the same step (one rank going on alone would wait for the others forever)."""
    requested = stop is not None and stop.is_set()
    if world <= 1:
        return requested
    flag = torch.tensor([float(requested)], device=device)
    torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


def _finished(path: Path, step: int, policy: NFPolicy) -> TrainResult:
    """The result of a run that had already reached its steps: its deployable checkpoint
    stays as written (calibration, final losses), and its losses are read back from it."""
    summary = read_checkpoint(path)['provenance'].get('training', {})
    return TrainResult(path, step, float(summary.get('train_nll_per_dim', math.nan)),
                       float(summary.get('val_nll_per_dim', math.nan)), policy)


def _eval_model(policy: NFPolicy, ema: AveragedModel | None) -> NFPolicy:
    return ema.module if ema is not None else policy


def _log(log: MetricsLog, bar: tqdm, on_metrics, rank: int, step: int,
         metrics: dict[str, float]) -> None:
    if rank != 0:
        return
    log.write(step, metrics)
    bar.update(1)
    if 'train/warmup_mse' in metrics:
        bar.set_postfix(warmup_mse=f"{metrics['train/warmup_mse']:.3f}", refresh=False)
    else:
        bar.set_postfix(nll=f"{metrics['train/nll_per_dim']:.3f}", refresh=False)
    if on_metrics is not None:
        on_metrics(step, metrics)


def _save_resume(out_dir: Path, policy: NFPolicy, optimizer, ema, step: int,
                 provenance: dict[str, Any]) -> None:
    save_checkpoint(out_dir / 'last.pt', policy, provenance,
                    training=training_state(step, policy, optimizer, ema))


@torch.no_grad()
def contexts_of(policy: NFPolicy, data: WindowDataset, device: torch.device,
                limit: int = MAX_EVAL_WINDOWS) -> torch.Tensor:
    """The flow's condition (M, W) for up to ``limit`` windows of ``data``, evenly spread."""
    with _evaluating(policy):
        return torch.cat([policy.context(obs)
                          for _, obs in _eval_batches(data, device, limit)]).cpu()


def calibrate(policy: NFPolicy, held_out: WindowDataset, train_set: WindowDataset,
              device: torch.device) -> None:
    """Fit what the confidence compares against: the plans' log p on the ``held_out``
    windows (Calibration), and the training windows' contexts with the held-out ones' as
    the limit (ContextSupport). ``held_out`` may be ``train_set`` when nothing is held out."""
    policy.calibration.fit(held_out_plan_log_prob(policy, held_out, device,
                                                  policy.config.sampling))
    policy.context_support.fit(
        contexts_of(policy, train_set, device),
        contexts_of(policy, held_out, device, MAX_PLAN_CALIBRATION_WINDOWS))


def _save_final(path: Path, policy: NFPolicy, ema: AveragedModel | None,
                calibration_set: WindowDataset, train_set: WindowDataset,
                device: torch.device, provenance: dict[str, Any],
                summary: dict[str, Any]) -> None:
    final = _eval_model(policy, ema)
    calibrate(final, calibration_set, train_set, device)
    save_checkpoint(path, final, make_provenance(**provenance, training=summary))
