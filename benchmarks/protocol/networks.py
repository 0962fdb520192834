# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""One adapter per network of benchmarks.protocol.kinds.NETWORKS, keyed by its name (``of``):
how it trains (or resumes, or loads a finished training), the file of its training in a
state-tier run directory, the steps a saved training holds, how a trained network is
snapshotted and loaded, and how a kind of it acts (its sampler). Nothing outside this
module asks which network a kind has: ``train_actor`` gives a kind of any network ready for
``sim.rollout.run_policy``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
import shutil
import tempfile
import threading

import torch

from benchmarks.baselines.diffusion import SMALL_UNET, DiffusionConfig, DiffusionPolicy
from benchmarks.baselines.diffusion_training import saved_step, train_diffusion
from benchmarks.protocol import kinds
from benchmarks.protocol.actors import DiffusionActor, HoldActor, NFPActor, RandomActor
from nf_policy_ros.config import NFPConfig
from nf_policy_ros.core.checkpoint import load_policy, read_checkpoint
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import ARM_JOINTS, finger_setpoints

OnStep = Callable[[int], None]
Network = NFPolicy | DiffusionPolicy


class TrainedNetwork:
    """What every network that trains shares; a subclass says how it trains and acts.

    ``tier_resume``: its resume file in a state-tier run directory (the samplers of one
    network share it); ``paced``: the state tier's job pace (benchmarks.runs.job_pace)
    follows its steps; ``seeded_from_curves``: a finished learning-curve training of the
    same recipe and length is its state-tier training (benchmarks.runs.run_dirs)."""

    tier_resume: Path
    paced = False
    seeded_from_curves = False

    def saved_step(self, resume: Path) -> int:
        """Training steps saved in the resume file ``resume`` (0 when there is none)."""
        raise NotImplementedError

    def train(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
              resume: Path | None, device: str = 'cpu', stop: threading.Event | None = None,
              on_step: OnStep | None = None, dp_size: DiffusionConfig = SMALL_UNET,
              checkpoint_every: int | None = None,
              val: WindowDataset | None = None) -> tuple[Network, Path | None]:
        """``kind``'s network trained with ``config`` on ``data`` (both already the kind's),
        its resume state in ``resume`` (an interrupted run resumes, a finished one loads;
        None: trained whole, nothing kept), and what ``save_snapshot`` copies (or None).
        ``stop`` ends the training early (saved first); ``on_step(n)`` after the n-th;
        ``checkpoint_every``: steps between resume saves where the network's trainer does
        not take them from ``config`` (None: its default); ``val``: held-out demos (the
        kind's windows) whose NLL a network with a likelihood logs and calibrates on."""
        raise NotImplementedError

    def save_snapshot(self, policy: Network, source: Path | None, dp_size: DiffusionConfig,
                      path: Path) -> None:
        """Write the trained ``policy`` (``source``: from ``train``) to ``path``."""
        raise NotImplementedError

    def load_snapshot(self, path: Path, config: NFPConfig, dp_size: DiffusionConfig,
                      device: str = 'cpu') -> Network:
        raise NotImplementedError

    def actor(self, kind: kinds.Kind, policy: Network, gen: torch.Generator):
        """The trained ``policy`` sampled by ``kind``'s sampler."""
        raise NotImplementedError

    def train_actor(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
                    run_dir: Path | None, dp_size: DiffusionConfig, device: str,
                    stop: threading.Event | None, on_step: OnStep | None,
                    gen: torch.Generator, val: WindowDataset | None = None):
        trained = kinds.trained_config(config, kind)
        data = kind_windows(kind, trained, data)
        val = None if val is None else kind_windows(kind, trained, val)
        resume = None if run_dir is None else run_dir / self.tier_resume
        policy, _ = self.train(kind, trained, data, resume, device, stop,
                               on_step if self.paced else None, dp_size, val=val)
        return self.actor(kind, policy, gen)


class NFPNetwork(TrainedNetwork):
    """NF-P: ``core.training.run_training`` in the resume file's folder; a snapshot is the
    EMA checkpoint the training wrote (deployable as is)."""

    tier_resume = Path(kinds.NFP, 'last.pt')

    def saved_step(self, resume: Path) -> int:
        return int(read_checkpoint(resume)['training']['step']) if resume.exists() else 0

    def train(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
              resume: Path | None, device: str = 'cpu', stop: threading.Event | None = None,
              on_step: OnStep | None = None, dp_size: DiffusionConfig = SMALL_UNET,
              checkpoint_every: int | None = None,
              val: WindowDataset | None = None) -> tuple[Network, Path | None]:
        on_metrics = None if on_step is None else (lambda step, _: on_step(step))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) if resume is None else resume.parent
            result = run_training(config, data, val, out, {}, device=device,
                                  progress=False, resume=resume is not None, stop=stop,
                                  on_metrics=on_metrics)
            policy, _ = load_policy(result.policy_path, device)
        return policy, None if resume is None else result.policy_path

    def save_snapshot(self, policy: Network, source: Path | None, dp_size: DiffusionConfig,
                      path: Path) -> None:
        shutil.copyfile(source, path)

    def load_snapshot(self, path: Path, config: NFPConfig, dp_size: DiffusionConfig,
                      device: str = 'cpu') -> Network:
        return load_policy(path, device)[0]

    def actor(self, kind: kinds.Kind, policy: NFPolicy, gen: torch.Generator) -> NFPActor:
        return NFPActor(policy, kind.sampler, gen, name=kind.actor_name)


class DPNetwork(TrainedNetwork):
    """The Diffusion Policy baseline: ``baselines.diffusion_training.train_diffusion`` with
    one resumable checkpoint file; a snapshot is the EMA network's state dict. Its trainer
    draws each step's batch and noise from (seed, step) alone, so a finished learning-curve
    training of the same recipe and length is the state tier's training."""

    tier_resume = Path(f'{kinds.DP}.pt')
    paced = True
    seeded_from_curves = True

    def saved_step(self, resume: Path) -> int:
        return saved_step(resume)

    def train(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
              resume: Path | None, device: str = 'cpu', stop: threading.Event | None = None,
              on_step: OnStep | None = None, dp_size: DiffusionConfig = SMALL_UNET,
              checkpoint_every: int | None = None,
              val: WindowDataset | None = None) -> tuple[Network, Path | None]:
        extra = {} if checkpoint_every is None else {'checkpoint_every': checkpoint_every}
        policy, _ = train_diffusion(config, data, kind_dp_size(kind, dp_size), device, resume,
                                    stop=stop, on_step=on_step, **extra)
        return policy, None

    def save_snapshot(self, policy: Network, source: Path | None, dp_size: DiffusionConfig,
                      path: Path) -> None:
        torch.save({'model': policy.state_dict(), 'dp': asdict(dp_size)}, path)

    def load_snapshot(self, path: Path, config: NFPConfig, dp_size: DiffusionConfig,
                      device: str = 'cpu') -> Network:
        policy = DiffusionPolicy(config, dp_size)
        policy.load_state_dict(torch.load(path, map_location=device,
                                          weights_only=True)['model'])
        return policy.eval()

    def actor(self, kind: kinds.Kind, policy: DiffusionPolicy,
              gen: torch.Generator) -> DiffusionActor:
        sampler = kind.sampler
        return DiffusionActor(policy, sampler.scheduler, sampler.steps, gen, sampler.spacing,
                              sampler.eta, name=kind.actor_name)


class FloorNetwork:
    """The floors, which train nothing: ``hold`` (arm still, gripper open) and ``random``
    (each target uniform in the demonstrated range of its joint)."""

    tier_resume = None
    paced = False
    seeded_from_curves = False

    def saved_step(self, resume: Path) -> int:
        return 0

    def train_actor(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
                    run_dir: Path | None, dp_size: DiffusionConfig, device: str,
                    stop: threading.Event | None, on_step: OnStep | None,
                    gen: torch.Generator, val: WindowDataset | None = None):
        horizon, stride = config.actions.horizon, config.actions.stride
        if kind.key == 'hold':
            open_fingers = torch.as_tensor(finger_setpoints(-1.0), dtype=torch.float32)
            return HoldActor(len(ARM_JOINTS), open_fingers, horizon, stride)
        if kind.key == 'random':
            low = torch.from_numpy(data.actions.min(0))
            high = torch.from_numpy(data.actions.max(0))
            return RandomActor(low, high, horizon, stride, gen)
        raise ValueError(f'policy={kind.key!r}: a floor without an actor (expected hold or '
                         'random)')


# network name -> its adapter (benchmarks.protocol.kinds.NETWORKS: the same names)
ADAPTERS: dict[str, TrainedNetwork | FloorNetwork] = {
    kinds.NFP: NFPNetwork(), kinds.DP: DPNetwork(), kinds.FLOOR: FloorNetwork()}
assert set(ADAPTERS) == set(kinds.NETWORKS), 'an adapter for every network of kinds.py'


def of(kind: kinds.Kind) -> TrainedNetwork | FloorNetwork:
    """The adapter of ``kind``'s network."""
    return ADAPTERS[kind.network]


def train_actor(key: str, config: NFPConfig, data: WindowDataset, run_dir: Path | None = None,
                dp_size: DiffusionConfig = SMALL_UNET, device: str = 'cpu',
                stop: threading.Event | None = None, on_step: OnStep | None = None,
                val: WindowDataset | None = None):
    """The ActionPolicy of kind ``key``: its network trained with ``config`` changed by the
    kind's training changes (on ``data`` re-windowed to the kind's chunk layout and
    observation horizon), sampled by the kind's sampler; a floor needs no training. With
    ``run_dir`` the training checkpoints live there: an interrupted run resumes and a
    finished one loads (so the samplers of one network share one training). ``stop``
    (anything with ``is_set()``) ends the training early; ``on_step(n)`` follows the n-th
    step of a ``paced`` network's training; ``val``: held-out demos' windows (NF-P logs
    their NLL and calibrates its confidence on them; the others ignore them)."""
    kind = kinds.get(key)
    gen = torch.Generator(device=device).manual_seed(config.train.seed)
    return of(kind).train_actor(kind, config, data, run_dir, dp_size, device, stop, on_step,
                                gen, val)


def sampled_actor(kind: kinds.Kind, policy: Network, gen: torch.Generator):
    """A trained network of ``kind`` sampled by ``kind``'s sampler."""
    return of(kind).actor(kind, policy, gen)


def kind_windows(kind: kinds.Kind, trained: NFPConfig, data: WindowDataset) -> WindowDataset:
    """``data`` windowed as ``kind``'s network trains (``trained``: its config)."""
    if (trained.actions, kind.obs_horizon) == (data.actions_config, data.obs_horizon):
        return data
    return data.with_windows(trained.actions, kind.obs_horizon)


def kind_dp_size(kind: kinds.Kind, dp_size: DiffusionConfig) -> DiffusionConfig:
    """The DP denoiser ``dp_size`` with ``kind``'s observation horizon."""
    return replace(dp_size, obs_horizon=kind.obs_horizon)
