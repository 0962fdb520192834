# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Train the Diffusion Policy baseline with the recipe in ``config.train``: the optimizer,
learning-rate and batch-size stages, warm-up, gradient clipping, EMA, batches and seeds of
NF-P's training loop. With the tier's shared recipe a comparison differs only in the model;
the ``dp-own`` kind (benchmarks.kinds) sets Diffusion Policy's published one instead
(cosine learning rate, its AdamW betas and weight decay, the power EMA)."""

from __future__ import annotations

from collections.abc import Callable
import os
from pathlib import Path
import threading

import torch

from benchmarks.baselines.diffusion import DiffusionConfig, DiffusionPolicy
from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.ema import build_ema
from nf_policy_ros.core.encoder_warmup import EncoderWarmup
from nf_policy_ros.core.schedule import stage_at
from nf_policy_ros.core.train_state import batch_indices, pick_device, step_generator
from nf_policy_ros.core.training import build_optimizer, train_step
from nf_policy_ros.data.windows import WindowDataset


def train_diffusion(config: NFPConfig, data: WindowDataset, diffusion: DiffusionConfig,
                    device: str = 'cpu', checkpoint: Path | None = None,
                    checkpoint_every: int = 250,
                    stop: threading.Event | None = None,
                    on_step: Callable[[int], None] | None = None
                    ) -> tuple[DiffusionPolicy, float]:
    """Fit a DiffusionPolicy for ``config.train.total_steps``; returns the EMA model (eval
    mode) and the last training loss. With ``checkpoint`` the run is saved there every
    ``checkpoint_every`` steps and resumed from it when it exists (runs across sessions);
    ``stop`` ends training early (saved first); ``on_step(n)`` is called after the n-th
    step (1-based), before that step's checkpoint is written."""
    cfg, dev = config.train, pick_device(device)
    if data.obs_horizon != diffusion.obs_horizon:
        raise ValueError(f'windows of obs_horizon={data.obs_horizon} for a policy of '
                         f'obs_horizon={diffusion.obs_horizon}: expected equal')
    torch.manual_seed(cfg.seed)
    policy = DiffusionPolicy(config, diffusion)
    policy.fit_normalizers(data)
    policy.to(dev).train()
    optimizer = build_optimizer(policy, cfg)
    ema = build_ema(policy, cfg.ema_decay, cfg.ema_warmup, cfg.ema_power)
    loss, start = float('nan'), 0
    warmup = EncoderWarmup.of(policy, dev)
    if checkpoint is not None and checkpoint.exists():
        start = _restore(checkpoint, policy, optimizer, ema)
    for step in range(start, cfg.total_steps):
        if stop is not None and stop.is_set():
            if checkpoint is not None:
                _save(checkpoint, policy, optimizer, ema, step)
            break
        point = stage_at(cfg, step)
        idx = batch_indices(len(data), point.batch_size, cfg.seed, step, 0, 1)
        generator = step_generator(cfg.seed, step)
        loss = None if warmup is None else warmup.step(
            step, policy, optimizer, data.batch(idx), point.lr, generator, dev,
            cfg.grad_clip_norm)
        if loss is None:
            loss = train_step(policy, policy, optimizer, data.batch(idx), point.lr, generator,
                              dev, cfg.grad_clip_norm)
        if ema is not None:
            ema.update_parameters(policy)
        if on_step is not None:
            on_step(step + 1)
        if checkpoint is not None and ((step + 1) % checkpoint_every == 0
                                       or step + 1 == cfg.total_steps):
            _save(checkpoint, policy, optimizer, ema, step + 1)
    final = ema.module if ema is not None else policy
    return final.eval(), loss


def _save(path: Path, policy, optimizer, ema, step: int) -> None:
    state = {'model': policy.state_dict(), 'optimizer': optimizer.state_dict(), 'step': step}
    if ema is not None:
        state['ema'] = ema.state_dict()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f'.{os.getpid()}.tmp')  # two writers never share a temp file
    torch.save(state, tmp)
    tmp.replace(path)


def _restore(path: Path, policy, optimizer, ema) -> int:
    state = torch.load(path, map_location='cpu', weights_only=True)
    policy.load_state_dict(state['model'])
    optimizer.load_state_dict(state['optimizer'])
    if ema is not None and 'ema' in state:
        ema.load_state_dict(state['ema'])
    return int(state['step'])


def saved_step(path: Path) -> int:
    """Steps done by the run saved at ``path`` (0 when there is none)."""
    if not path.exists():
        return 0
    return int(torch.load(path, map_location='cpu', weights_only=True)['step'])
