# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Where trainings live and what a saved one holds: the run directories of the state tier
(one per task, demos, seed, config, servo and training, shared by every sampler of a
network) and of the learning curves (one per training), the steps a saved training holds,
its training wall-clock summed over sessions (TrainClock), the sharding of a grid over
workers, and the seeding of a state-tier training from the learning curve's finished one
that is the same training.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
import shutil

from benchmarks.pages import records
from benchmarks.protocol import kinds, networks
from benchmarks.protocol.tier import DP_SIZE, config_hash, tier_config
from benchmarks.runs.train_clock import TrainClock
from nf_policy_ros.config import NFPConfig

CURVE_RUNS = Path('runs/learning_curves')  # learning_curve --run-dir's default
CHECKPOINT_EVERY = 500  # [steps] between a curve training's resume saves
CURVE_MARK = 'learning_curve_run.txt'  # in a run directory seeded from a curve training
CurveJob = tuple[str, str, int]  # (task, kind, seed)


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N): this process runs every N-th job starting at the K-th (0-based)."""
    try:
        k, n = (int(v) for v in text.split('/'))
    except ValueError:
        k, n = -1, 0
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f'shard={text!r}: expected K/N with 0 <= K < N')
    return k, n


def job_run_dir(args: argparse.Namespace, job: tuple, config: NFPConfig,
                omega: float) -> Path | None:
    """Where (task, demos, seed, policy)'s training lives: one directory per network,
    config and servo bandwidth under ``--run-dir`` (None with ``--no-run-dir``)."""
    if args.run_dir is None:
        return None
    task_name, count, seed, kind = job
    run = kinds.get(kind).run_name
    name = f'{count}demos_seed{seed}_{config_hash(config)}_servo{omega:g}_{run}'
    return args.run_dir / task_name / name


def saved_training_step(run_dir: Path | None, kind: str) -> int:
    """Steps of ``kind``'s network saved in state-tier ``run_dir`` (0: none, a floor, no
    directory)."""
    adapter = networks.of(kinds.get(kind))
    if run_dir is None or adapter.tier_resume is None:
        return 0
    return adapter.saved_step(run_dir / adapter.tier_resume)


def training_seconds(run_dir: Path | None, kind: str, before: int,
                     seconds: float) -> float | None:
    """The whole training time [s] of ``kind``'s network in ``run_dir``, whose saved step
    went from ``before`` to now in ``seconds`` of this job (summed over sessions by the run
    directory's TrainClock; a training loaded finished reports the time recorded when it
    trained). None: not measured (a run begun before the clock). Without a run directory
    (or for a floor) the training ran whole in this job: ``seconds``."""
    if run_dir is None or networks.of(kinds.get(kind)).tier_resume is None:
        return seconds
    after = saved_training_step(run_dir, kind)
    return TrainClock(run_dir).advance(before, after, seconds)


def curve_config(max_steps: int, seed: int, kind: kinds.Kind) -> NFPConfig:
    """The state tier's recipe over ``max_steps`` steps with ``kind``'s changes, saved for
    resuming every CHECKPOINT_EVERY steps: a learning curve's training."""
    config = tier_config(max_steps, seed)
    config = replace(config, train=replace(config.train, checkpoint_every=CHECKPOINT_EVERY))
    return kinds.trained_config(config, kind)


def training_dir(root: Path, demos: int, job: CurveJob, config: NFPConfig,
                 omega: float) -> Path:
    """<root>/<task>/<demos>demos_seed<s>_<config hash>_servo<w>_<training>: where the
    curve training of ``job`` on ``demos`` demos with ``config`` lives."""
    task_name, key, seed = job
    kind = kinds.get(key)
    name = (f'{demos}demos_seed{seed}_'
            f'{config_hash(config, networks.kind_dp_size(kind, DP_SIZE))}'
            f'_servo{omega:g}_{kind.run_name}')
    return root / task_name / name


def finished_curve_training(job: CurveJob, demos: int, config: NFPConfig, omega: float,
                            root: Path | None = None) -> Path | None:
    """The resume file (last.pt) of a finished curve training that is the state tier's
    training of ``job`` with ``config`` (the tier's, before the kind's changes), or None.
    It is when the kind's network is ``seeded_from_curves`` (its trainer draws each step's
    batch and noise from (seed, step) alone), the recipes match but for the save interval,
    and the curve ran exactly the tier's steps: the schedule decays over the same length,
    and saves change no number."""
    task_name, key, seed = job
    kind = kinds.KINDS[kinds.get(key).run_name]
    adapter = networks.of(kind)
    steps = config.train.stage_steps[0]
    curve = curve_config(steps, seed, kind)
    tier = kinds.trained_config(config, kind)
    same_recipe = curve == replace(tier, train=replace(
        tier.train, checkpoint_every=curve.train.checkpoint_every))
    if not adapter.seeded_from_curves or not same_recipe:
        return None
    root = CURVE_RUNS if root is None else root
    last = training_dir(root, demos, (task_name, kind.key, seed), curve, omega) / 'last.pt'
    return last if adapter.saved_step(last) == steps else None


def seed_from_curve(job: tuple, config: NFPConfig, omega: float,
                    run_dir: Path | None) -> Path | None:
    """Start (task, demos, seed, kind)'s training in state-tier ``run_dir`` from the
    learning curve's finished training that is the same training
    (``finished_curve_training``), so it is loaded, not run again; that curve run's
    directory, or None (no run directory, no such curve training, or ``run_dir`` already
    has a training of its own)."""
    if run_dir is None:
        return None
    mark = run_dir / CURVE_MARK
    if mark.exists():
        return Path(mark.read_text().strip())
    task_name, count, seed, kind = job
    source = finished_curve_training((task_name, kind, seed), count, config, omega)
    if source is None:
        return None
    target = run_dir / networks.of(kinds.get(kind)).tier_resume
    if target.exists():
        return None
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix('.tmp')
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    records.write_text(mark, f'{source.parent}\n')
    return source.parent


def curve_train_seconds(curve_run: Path, config: NFPConfig) -> float | None:
    """Training wall-clock [s] the curve run spent to reach ``config``'s steps (None: not
    measured)."""
    return TrainClock(curve_run).at(config.train.stage_steps[0])
