# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""A trained policy of any kind (benchmarks.kinds), ready for ``sim.rollout.run_policy``:
the network trained (or its finished training loaded, or an interrupted one resumed) and
wrapped with the kind's sampler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
import tempfile
import threading

import torch

from benchmarks import kinds
from benchmarks.baselines.diffusion import SMALL_UNET, DiffusionConfig, DiffusionPolicy
from benchmarks.baselines.diffusion_training import saved_step, train_diffusion
from benchmarks.policies import DiffusionActor, HoldActor, NFPActor, RandomActor
from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import ARM_JOINTS, finger_setpoints


def train_actor(key: str, config: NFPConfig, data: WindowDataset, run_dir: Path | None = None,
                dp_size: DiffusionConfig = SMALL_UNET, device: str = 'cpu',
                stop: threading.Event | None = None,
                on_step: Callable[[int], None] | None = None):
    """The ActionPolicy of kind ``key``: its network trained with ``config`` changed by the
    kind's training changes (on ``data`` re-windowed to the kind's chunk layout and
    observation horizon), sampled by the kind's sampler; a floor needs no training. With
    ``run_dir`` the training checkpoints live there: an interrupted run resumes and a
    finished one loads (so the samplers of one network share one training). ``stop``
    (anything with ``is_set()``) ends the training early; ``on_step(n)`` follows a DP
    training's n-th step."""
    kind = kinds.get(key)
    gen = torch.Generator(device=device).manual_seed(config.train.seed)
    if kind.network == kinds.FLOOR:
        return floor_actor(kind, config, data, gen)
    trained = kinds.trained_config(config, kind)
    data = kind_windows(kind, trained, data)
    if kind.network == kinds.NFP:
        with tempfile.TemporaryDirectory() as tmp:
            out = run_dir / kinds.NFP if run_dir else Path(tmp)
            result = run_training(trained, data, None, out, {}, device=device,
                                  progress=False, resume=run_dir is not None, stop=stop)
            policy, _ = load_policy(result.policy_path, device)
        return sampled_actor(kind, policy, gen)
    checkpoint = run_dir / f'{kinds.DP}.pt' if run_dir else None
    policy, _ = train_diffusion(trained, data, kind_dp_size(kind, dp_size), device, checkpoint,
                                stop=stop, on_step=on_step)
    return sampled_actor(kind, policy, gen)


def saved_network_step(network: str, checkpoint: Path) -> int:
    """Training steps saved in ``checkpoint`` (0 when there is none): DP's training state
    or NF-P's resume state (last.pt)."""
    if network == kinds.DP:
        return saved_step(checkpoint)
    return int(read_checkpoint(checkpoint)['training']['step']) if checkpoint.exists() else 0


def kind_windows(kind: kinds.Kind, trained: NFPConfig, data: WindowDataset) -> WindowDataset:
    """``data`` windowed as ``kind``'s network trains (``trained``: its config)."""
    if (trained.actions, kind.obs_horizon) == (data.actions_config, data.obs_horizon):
        return data
    return data.with_windows(trained.actions, kind.obs_horizon)


def kind_dp_size(kind: kinds.Kind, dp_size: DiffusionConfig) -> DiffusionConfig:
    """The DP denoiser ``dp_size`` with ``kind``'s observation horizon."""
    return replace(dp_size, obs_horizon=kind.obs_horizon)


def sampled_actor(kind: kinds.Kind, policy: NFPolicy | DiffusionPolicy,
                  gen: torch.Generator) -> NFPActor | DiffusionActor:
    """A trained network of ``kind`` sampled by ``kind``'s sampler."""
    if kind.network == kinds.NFP:
        return NFPActor(policy, kind.sampler, gen, name=kind.actor_name)
    sampler = kind.sampler
    return DiffusionActor(policy, sampler.scheduler, sampler.steps, gen, sampler.spacing,
                          sampler.eta, name=kind.actor_name)


def floor_actor(kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
                gen: torch.Generator):
    """``hold`` (arm still, gripper open) or ``random`` (uniform in the demos' range)."""
    horizon, stride = config.actions.horizon, config.actions.stride
    if kind.key == 'hold':
        open_fingers = torch.as_tensor(finger_setpoints(-1.0), dtype=torch.float32)
        return HoldActor(len(ARM_JOINTS), open_fingers, horizon, stride)
    if kind.key == 'random':
        low = torch.from_numpy(data.actions.min(0))
        high = torch.from_numpy(data.actions.max(0))
        return RandomActor(low, high, horizon, stride, gen)
    raise ValueError(f'policy={kind.key!r}: a floor without an actor (expected hold or random)')
