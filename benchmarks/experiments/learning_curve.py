# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Learning curves of NF-P and Diffusion Policy on the state tier: success on the tuning
split against training steps and training wall-clock, each policy on its own recipe.

    OMP_NUM_THREADS=1 python -m benchmarks.learning_curve --tasks hammer --write-docs
    bash scripts/learning_curves.sh   # the grid: one single-thread worker per core, resumable

One training per (task, policy kind, seed) on 50 demos, up to the last of ``--steps``
(default 16000). The EMA weights at each of ``--steps`` are saved as
<run>/snapshots/step_<n>.pt and evaluated on the tuning split (20 start states) as soon as
they exist; each (task, kind, seed, step) is appended to docs/benchmarks/learning_curves.json
with the training wall-clock to reach the step, and learning_curves.md/.png are redrawn
(benchmarks.pages.curve_page). A run resumes: a training continues from its last.pt, evaluated
snapshots are skipped; ``--max-minutes`` ends a session's share cleanly; ``--shard K/N``
splits the trainings over workers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import threading
import time
from typing import Any

import torch

from benchmarks.baselines.diffusion import DiffusionConfig
from benchmarks.pages import curve_page, records, report
from benchmarks.protocol import kinds, networks
from benchmarks.protocol.splits import SPLIT_EPISODES, TASKS
from benchmarks.protocol.tier import DP_SIZE, VAL_DEMOS, collect, config_hash, evaluate
from benchmarks.runs import run_dirs
from benchmarks.runs.held_out import val_curve, val_nll_at
from benchmarks.runs.run_dirs import (
    CHECKPOINT_EVERY,
    CurveJob,
    curve_config,
    parse_shard,
    training_dir,
)
from benchmarks.runs.train_clock import TrainClock
from nf_policy_ros.config import NFPConfig
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import JointTask, TaskConfig

NAME = curve_page.NAME
SNAPSHOT_STEPS = (1000, 2000, 4000, 8000, 16000)
DEMOS = 50
PER_EPISODE = ('episode_confidence', 'episode_confidence_trace')  # not kept per snapshot
Job = CurveJob  # (task, kind, seed)


def recipe_fields(config: NFPConfig, dp_size: DiffusionConfig) -> dict[str, Any]:
    """What a record says of the recipe its network was trained with."""
    train, actions = config.train, config.actions
    return {'lr': train.stage_lr[0], 'lr_schedule': train.lr_schedule,
            'warmup_steps': train.warmup_steps, 'weight_decay': train.weight_decay,
            'adam_betas': list(train.adam_betas), 'grad_clip_norm': train.grad_clip_norm,
            'batch_size': train.stage_batch_size[0], 'ema_decay': train.ema_decay,
            'ema_warmup': train.ema_warmup, 'ema_power': train.ema_power,
            'horizon': actions.horizon, 'stride': actions.stride,
            'obs_horizon': dp_size.obs_horizon}


class CurveRun:
    """One training of a curve in ``run_dir``: last.pt (resume state), train_seconds.json
    and snapshots/step_<n>.pt (the EMA network at step n, as its network's adapter saves
    it: NF-P's deployable checkpoint, the DP state dict)."""

    def __init__(self, kind: kinds.Kind, config: NFPConfig, data: WindowDataset,
                 run_dir: Path, val: WindowDataset | None = None) -> None:
        self.kind, self.config, self.run_dir = kind, config, run_dir
        self.network = networks.of(kind)
        self.dp_size = networks.kind_dp_size(kind, DP_SIZE)
        self.data = networks.kind_windows(kind, config, data)
        # held-out demos (NF-P logs their NLL every train.val_every steps)
        self.val = None if val is None else networks.kind_windows(kind, config, val)
        self.last = run_dir / 'last.pt'

    def saved_step(self) -> int:
        """Steps done by the saved training (0 before any save)."""
        return self.network.saved_step(self.last)

    def snapshot(self, step: int) -> Path:
        return self.run_dir / 'snapshots' / f'step_{step:06d}.pt'

    def train(self, stop: threading.Event, on_step) -> tuple[torch.nn.Module, Path | None]:
        """Train on from the last save until ``stop`` is set (``on_step(n)`` after the n-th
        step) or the last step; the EMA network and what its snapshot copies."""
        return self.network.train(self.kind, self.config, self.data, self.last, 'cpu', stop,
                                  on_step, DP_SIZE, CHECKPOINT_EVERY, val=self.val)

    def save_snapshot(self, step: int, trained: tuple[torch.nn.Module, Path | None]) -> None:
        path = self.snapshot(step)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix('.tmp')
        self.network.save_snapshot(*trained, self.dp_size, tmp)
        tmp.replace(path)

    def load_snapshot(self, step: int) -> torch.nn.Module:
        return self.network.load_snapshot(self.snapshot(step), self.config, self.dp_size)


def train_to(run: CurveRun, target: int, session_over: threading.Event) -> int:
    """Train ``run`` from its last save to ``target`` steps (or until ``session_over``) and
    save the snapshot of ``target``; returns the steps reached (< target: stopped)."""
    start = run.saved_step()
    if session_over.is_set() and start < target:
        return start
    clock = TrainClock(run.run_dir)
    base, began = clock.at(start), time.perf_counter()
    segment = threading.Event()
    if start >= target:
        segment.set()  # reached before a stop that left no snapshot: write it now

    def after(step: int) -> None:
        spent = None if base is None else base + time.perf_counter() - began
        done = step >= target or session_over.is_set()
        if done or step % CHECKPOINT_EVERY == 0:  # the steps a save follows
            clock.record(step, spent)
        if done:
            segment.set()

    trained = run.train(segment, after)
    reached = run.saved_step()
    if reached == target:
        run.save_snapshot(target, trained)
    return reached


def evaluate_snapshot(args: argparse.Namespace, task: JointTask, run: CurveRun,
                      job: Job, step: int) -> dict[str, Any]:
    """The record of ``run``'s snapshot at ``step`` evaluated on the tuning split."""
    task_name, key, seed = job
    actor = networks.sampled_actor(run.kind, run.load_snapshot(step),
                          torch.Generator().manual_seed(seed))
    execute = kinds.execute_steps(run.kind, run.config)
    result = evaluate(task, actor, args.episodes, execute, split='tune')
    return {'task': task_name, 'demos': args.demos, 'seed': seed, 'policy': key,
            'step': step, 'max_steps': args.steps[-1],
            'train_s': TrainClock(run.run_dir).at(step), 'actor': actor.name,
            **{k: v for k, v in result.items() if k not in PER_EPISODE},
            'execute_steps': execute, **recipe_fields(run.config, run.dp_size),
            **held_out_at(run, step),
            'config_hash': config_hash(run.config, run.dp_size), 'servo_omega': task.omega,
            'machine': report.machine_info(torch.device('cpu'))}


def held_out_at(run: CurveRun, step: int) -> dict[str, Any]:
    """The held-out NLL per dimension [nats] ``run`` logged at ``step`` ({} if none)."""
    nll = val_nll_at(val_curve(run.run_dir), step)
    return {} if nll is None else {'val_nll': nll, 'val_demos': run.val.episode_count}


def run_dir(args: argparse.Namespace, job: Job, config: NFPConfig, omega: float) -> Path:
    """<run-dir>/<task>/<demos>demos_seed<s>_<config hash>_servo<w>_<training>."""
    return training_dir(args.run_dir, args.demos, job, config, omega)


def evaluated() -> set[tuple]:
    """(task, demos, seed, policy, config hash, servo, split, step) already recorded."""
    return {(r['task'], r['demos'], r['seed'], r['policy'], r['config_hash'],
             r['servo_omega'], r['split'], r['step']) for r in records.load(NAME)}


def pending(args: argparse.Namespace, job: Job, config: NFPConfig, omega: float,
            finished: set[tuple]) -> list[int]:
    """The snapshot steps of ``job`` (trained with ``config``) not yet recorded."""
    task_name, key, seed = job
    chash = config_hash(config, networks.kind_dp_size(kinds.get(key), DP_SIZE))
    done = (task_name, args.demos, seed, key, chash, omega, 'tune')
    return [step for step in args.steps if (*done, step) not in finished]


def run_job(args: argparse.Namespace, task: JointTask, run: CurveRun, job: Job,
            steps: list[int], session_over: threading.Event) -> bool:
    """Train ``run`` through ``steps`` and record each snapshot; False when the session
    ended first."""
    for step in steps:
        if session_over.is_set():
            return False
        if not run.snapshot(step).exists():
            if run.saved_step() > step:
                print(f'{run.run_dir}: no snapshot of step {step} and the training is past '
                      'it: skipped (a new run directory retrains it)', flush=True)
                continue
            if train_to(run, step, session_over) < step:
                return False
        record = evaluate_snapshot(args, task, run, job, step)
        print(json.dumps({k: v for k, v in record.items()
                          if k not in ('machine', 'episode_success')}), flush=True)
        report.publish(NAME, record, curve_page.render_page, args.write_docs,
                       curve_page.write_figures)
    return True


def my_jobs(args: argparse.Namespace) -> list[Job]:
    """The (task, kind, seed) trainings of this shard, task by task."""
    jobs = [(t, k, s) for t in args.tasks for s in args.seeds for k in args.policies]
    k, n = args.shard
    return jobs[k::n]


def run_all(args: argparse.Namespace) -> None:
    """Every snapshot of this shard's trainings not yet recorded (with --write-docs);
    demos are collected once per task, and only for a task with work left."""
    session_over = report.stop_after(args.max_minutes)
    finished = evaluated() if args.write_docs else set()
    jobs = my_jobs(args)
    for task_name in dict.fromkeys(job[0] for job in jobs):
        task = JointTask(TaskConfig(task=task_name))
        try:
            if not run_task(args, task, [j for j in jobs if j[0] == task_name], finished,
                            session_over):
                print(f'stopped after {args.max_minutes} min: re-run to resume', flush=True)
                return
        finally:
            task.close()


def run_task(args: argparse.Namespace, task: JointTask, jobs: list[Job],
             finished: set[tuple], session_over: threading.Event) -> bool:
    """``jobs`` of one task; False when the session ended first."""
    data = val = None
    for job in jobs:
        kind = kinds.get(job[1])
        config = curve_config(args.steps[-1], job[2], kind)
        steps = pending(args, job, config, task.omega, finished)
        if not steps:
            continue
        if data is None:
            demos = collect(task, args.demos + VAL_DEMOS)
            if len(demos) < args.demos:
                print(f'{task.config.task}: only {len(demos)} joint-space demos of '
                      f'{args.demos}: skipped', flush=True)
                return True
            data = WindowDataset(demos[:args.demos], config.actions)
            held_out = demos[args.demos:]
            val = WindowDataset(held_out, config.actions) if held_out else None
        run = CurveRun(kind, config, data, run_dir(args, job, config, task.omega), val)
        if not run_job(args, task, run, job, steps, session_over):
            return False
    return True


def snapshot_steps(text: str) -> int:
    """A positive step count from the command line."""
    step = int(text)
    if step <= 0:
        raise argparse.ArgumentTypeError(f'step={text!r}: expected a positive step count')
    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS))
    parser.add_argument('--policies', nargs='+', default=kinds.curve_defaults(),
                        choices=[k.key for k in kinds.trained(kinds.STATE)],
                        help='trained kinds of benchmarks/protocol/kinds.py')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0])
    parser.add_argument('--demos', type=int, default=DEMOS)
    parser.add_argument('--steps', nargs='+', type=snapshot_steps,
                        default=list(SNAPSHOT_STEPS),
                        help='training steps whose EMA weights are saved and evaluated; the '
                        'last is the training budget')
    parser.add_argument('--episodes', type=int, default=SPLIT_EPISODES['tune'],
                        help='start states of the tuning split per snapshot')
    parser.add_argument('--shard', type=parse_shard, default=(0, 1),
                        metavar='K/N', help='train every N-th (task, kind, seed) from the '
                        'K-th (parallel workers share the records file safely)')
    parser.add_argument('--run-dir', type=Path, default=run_dirs.CURVE_RUNS)
    parser.add_argument('--max-minutes', type=float, default=0.0,
                        help='stop after this long (0 = no limit); re-running resumes')
    return report.run_script(parser, argv, run_sorted, threads=1)


def run_sorted(args: argparse.Namespace) -> None:
    """``run_all`` with the snapshot steps ascending, each once."""
    args.steps = sorted(set(args.steps))
    run_all(args)
