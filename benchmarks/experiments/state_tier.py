# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""State tier: NF-P against Diffusion Policy on Meta-World tasks from low-dimensional
observations, same demos, same training recipe and steps, same evaluation seeds.

    OMP_NUM_THREADS=1 python -m benchmarks.state_tier --tasks hammer assembly \
        --demos 10 50 --seeds 0 1 2 --write-docs
    # the grid over 16 cores: --shard 0/16 ... --shard 15/16, one process each
    # the headline, once the learning curves are finished (learning_curves.md): each
    # policy on its own recipe for its tuned budget, 50 start states of the test split;
    # DP (own recipe) with the fast sampler its tuning-split study chose (dp-own or
    # dp-own-eta1, same training) and its published DDPM-100
    bash scripts/state_tier_grid.sh --split test --policies nfp dp-own dp-own-ddpm
    # a later NF-P recipe's test split (issue 32), paired with DP's test records above
    # (DP not retrained): bash scripts/headline.sh --recipe nfp2, i.e. on every core
    bash scripts/state_tier_grid.sh --split test --policies nfp2 --demos 50 10 --seeds 0 1 2

The protocol (tasks, observation, action, demos, splits, evaluation) is
benchmarks.protocol.tier's; the run directories benchmarks.runs.run_dirs'. Each
(task, demos, seed, policy) run is appended to docs/benchmarks/state_tier.json as soon as
it finishes (runs resume where they stopped: finished ones are skipped); state_tier.md is
rendered from all of them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import time
from typing import Any

import torch

from benchmarks.pages import curve_page, records, report
from benchmarks.pages.state_page import NAME, render_page
from benchmarks.protocol import kinds, networks
from benchmarks.protocol.splits import TASKS
from benchmarks.protocol.tier import (
    DEFAULT_STEPS,
    SPLIT_EPISODES,
    SPLIT_SEED0,
    VAL_DEMOS,
    collect,
    config_hash,
    episodes,
    evaluate,
    recipe_fields,
    tier_config,
)
from benchmarks.runs import job_pace
from benchmarks.runs.held_out import held_out_fields
from benchmarks.runs.run_dirs import (
    curve_train_seconds,
    job_run_dir,
    parse_shard,
    saved_training_step,
    seed_from_curve,
    training_seconds,
)
from nf_policy_ros.config import NFPConfig
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import JointTask, TaskConfig


def done_runs() -> set[tuple]:
    return {(r['task'], r['demos'], r['seed'], r['policy'], r['config_hash'],
             r['servo_omega'], r['split']) for r in records.load(NAME)}


def policy_steps(args: argparse.Namespace) -> dict[str, int]:
    """kind -> training steps: ``--steps`` for every kind on the tuning split; on the test
    split each kind's training (``Kind.run_name``) at its budget chosen on the tuning split's
    learning curves (learning_curves.md). Exits with one line if a budget is not final."""
    if args.split == 'tune':
        return {kind: args.steps or DEFAULT_STEPS for kind in args.policies}
    if args.steps:
        raise SystemExit(f'--steps={args.steps} with --split test: expected none (the test '
                         'split trains each policy for its budget chosen on the tuning split)')
    curves = records.load(curve_page.NAME)
    try:
        return {kind: curve_page.final_budget(kinds.get(kind).run_name, curves)
                for kind in args.policies if kinds.get(kind).net.trains}
    except ValueError as error:
        raise SystemExit(f'--split test: {error}') from None


def my_jobs(args: argparse.Namespace) -> list[tuple[str, int, int, str]]:
    """(task, demos, seed, policy) of the grid that fall to this shard, grid order. A
    (task, demos, seed) goes to one shard with all its policies, so its DP samplers run one
    after another on one saved DP training."""
    trainings = [(t, d, s) for t in args.tasks for d in args.demos for s in args.seeds]
    k, n = args.shard
    return [(*training, p) for training in trainings[k::n] for p in args.policies]


def run_job(args: argparse.Namespace, task: JointTask, demos: list, job: tuple,
            config: NFPConfig, stop: report.Deadline, pace: job_pace.Pace) -> dict[str, Any]:
    """Train (or resume, or load the finished training of) and evaluate one (task, demos,
    seed, policy); the record to publish, or {} when ``stop`` ended the training. Raises
    job_pace.OutOfTimeError when the training, at this machine's ``pace``, cannot finish and be
    evaluated before ``stop`` (its checkpoint kept), unless --advance-unfinished."""
    task_name, count, seed, kind = job
    split = args.split
    if len(demos) < count:
        record: dict[str, Any] = {'error': f'only {len(demos)} joint-space demos'}
    else:
        run_dir = job_run_dir(args, job, config, task.omega)
        curve_run = seed_from_curve(job, config, task.omega, run_dir)
        before, start = saved_training_step(run_dir, kind), time.perf_counter()
        watch = job_pace.TrainingWatch(stop, pace, kinds.get(kind).run_name,
                                       config.train.stage_steps[0],
                                       defer=not args.advance_unfinished)
        held_out = demos[count:count + VAL_DEMOS]
        val = WindowDataset(held_out, config.actions) if held_out else None
        actor = networks.train_actor(kind, config, WindowDataset(demos[:count], config.actions),
                                     run_dir, device=args.device, stop=watch,
                                     on_step=watch.on_step, val=val)
        train_s = training_seconds(run_dir, kind, before, time.perf_counter() - start)
        if watch.deferred is not None:
            raise watch.deferred
        if stop.is_set():
            return {}
        execute = kinds.execute_steps(kinds.get(kind), config)
        record = {'train_s': train_s, 'actor': actor.name,
                  **evaluate(task, actor, episodes(args), execute, split=split),
                  **held_out_fields(run_dir, kind, len(held_out))}
        if curve_run is not None:
            record.update(trained_in=curve_run.name,
                          train_s=curve_train_seconds(curve_run, config))
    record.update(task=task_name, demos=count, seed=seed, policy=kind,
                  steps=config.train.stage_steps[0], split=split,
                  **recipe_fields(config, 'tuned' if split == 'test' else 'fixed'),
                  servo_omega=task.omega,
                  config_hash=config_hash(config),
                  machine=report.machine_info(torch.device(args.device)))
    return record


def run_all(args: argparse.Namespace) -> None:
    """Every job of this shard not yet in state_tier.json (with --write-docs); demos are
    collected once per task, and only for a task with work left."""
    finished = done_runs() if args.write_docs else set()
    steps = policy_steps(args)
    stop = report.stop_after(args.max_minutes)
    pace = job_pace.Pace(None if args.eval_minutes is None else 60.0 * args.eval_minutes)
    jobs = my_jobs(args)
    for task_name in dict.fromkeys(job[0] for job in jobs):
        task = JointTask(TaskConfig(task=task_name))
        try:
            if not run_task(args, task, [job for job in jobs if job[0] == task_name], steps,
                            finished, stop, pace):
                print(f'stopped after {args.max_minutes} min: re-run to resume', flush=True)
                return
        finally:
            task.close()


def run_task(args: argparse.Namespace, task: JointTask, jobs: list[tuple],
             steps: dict[str, int], finished: set[tuple], stop: report.Deadline,
             pace: job_pace.Pace) -> bool:
    """``jobs`` of one task (each policy trained for ``steps[policy]``); a job whose
    training cannot finish before ``stop`` at this machine's ``pace`` is left for a later
    session (job_pace); False when ``stop`` ended the session first."""
    demos = None
    for job in jobs:
        config = tier_config(steps.get(job[3], DEFAULT_STEPS), job[2], lr=args.lr,
                             ema_warmup=args.ema_warmup)
        if (*job, config_hash(config), task.omega, args.split) in finished:
            continue
        if stop.is_set():
            return False
        if job[3] in args.evaluate_only and not trained(args, job, config, task.omega):
            print(f'no finished training to evaluate: {job}', flush=True)
            continue
        try:
            if not args.advance_unfinished:
                check_time(args, job, config, task.omega, stop, pace)
            demos = demos or collect(task, max(job[1] for job in jobs) + VAL_DEMOS)
            record = run_job(args, task, demos, job, config, stop, pace)
        except job_pace.OutOfTimeError as late:
            print(f'left for a later session: {job} {late}', flush=True)
            continue
        if not record:
            return False
        print(json.dumps({k: v for k, v in record.items() if k != 'machine'}), flush=True)
        report.publish(NAME, record, render_page, args.write_docs)
    return True


def steps_done(args: argparse.Namespace, job: tuple, config: NFPConfig, omega: float) -> int:
    """Training steps (task, demos, seed, kind)'s network has in its run directory (a
    finished learning-curve training counts whole) where its network is
    ``seeded_from_curves``; 0 for the others (NF-P, floors) and without a run directory."""
    run_dir = job_run_dir(args, job, config, omega)
    if run_dir is None or not networks.of(kinds.get(job[3])).seeded_from_curves:
        return 0
    seed_from_curve(job, config, omega, run_dir)
    return saved_training_step(run_dir, job[3])


def trained(args: argparse.Namespace, job: tuple, config: NFPConfig, omega: float) -> bool:
    """Whether (task, demos, seed, kind)'s training is finished in its run directory."""
    return steps_done(args, job, config, omega) >= config.train.stage_steps[0]


def check_time(args: argparse.Namespace, job: tuple, config: NFPConfig, omega: float,
               stop: report.Deadline, pace: job_pace.Pace) -> None:
    """Raise job_pace.OutOfTimeError when (task, demos, seed, kind)'s training (what is left
    of it in its run directory) and evaluation cannot finish before ``stop`` at the pace
    its network has shown in this process; nothing when that pace is not measured yet."""
    left = config.train.stage_steps[0] - steps_done(args, job, config, omega)
    needed = pace.minutes_needed(kinds.get(job[3]).run_name, left)
    if needed is not None and needed > stop.minutes_left():
        raise job_pace.OutOfTimeError(needed, stop.minutes_left())


def build_parser() -> argparse.ArgumentParser:
    """The command line (``main`` adds --threads and --write-docs)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS))
    parser.add_argument('--demos', nargs='+', type=int, default=[10, 50])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--policies', nargs='+', default=kinds.references(),
                        choices=kinds.keys(kinds.STATE),
                        help='kinds of benchmarks/protocol/kinds.py; hold and random are '
                        'floors that need no training')
    parser.add_argument('--split', choices=list(SPLIT_SEED0), default='tune',
                        help="evaluation start states: 'tune' (every decision) or 'test' "
                        '(headline numbers: each policy trains for its budget chosen on the '
                        'learning curves, which must be finished)')
    parser.add_argument('--steps', type=int, default=None,
                        help=f'training steps of every policy on the tuning split (default '
                        f'{DEFAULT_STEPS}); not with --split test')
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--ema-warmup', action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument('--shard', type=parse_shard, default=(0, 1), metavar='K/N',
                        help='run every N-th job from the K-th (parallel workers share the '
                        'results file safely)')
    parser.add_argument('--episodes', type=int, default=None,
                        help="start states evaluated (default: the split's, "
                        f'{SPLIT_EPISODES})')
    parser.add_argument('--run-dir', type=Path, default=Path('runs/state_tier'),
                        help='training checkpoints: interrupted runs resume, finished ones '
                        'load (every sampler of a policy evaluates one training)')
    parser.add_argument('--max-minutes', type=float, default=0.0,
                        help='stop training after this long (0 = no limit; an evaluation '
                        'under way finishes; a fresh job expected to outlast it is not '
                        'started); re-running resumes from --run-dir')
    parser.add_argument('--device', default='cpu',
                        help="where the policies train and plan ('cuda': a GPU machine, "
                        'scripts/headline_gpu.sh); the simulator runs on the CPU')
    parser.add_argument('--evaluate-only', nargs='+', default=[], metavar='KIND',
                        choices=[k.key for k in kinds.of_tier(kinds.STATE)
                                 if networks.of(k).seeded_from_curves],
                        help='DP kinds of --policies evaluated only on a training finished '
                        'in --run-dir (another sampler of the same network trained it), '
                        'never trained for: a slow sampler where affordable')
    parser.add_argument('--eval-minutes', type=float, default=None,
                        help='with --max-minutes: the time one evaluation is allowed after '
                        f'a training (default {job_pace.EVAL_ALLOWANCE_S / 60:g}: a slow '
                        'core; about 1 on a GPU machine)')
    parser.add_argument('--advance-unfinished', action='store_true',
                        help='with --max-minutes: a training that cannot finish in time is '
                        'started or continued anyway and trained until the limit (its '
                        'checkpoint kept for a later session) instead of left: for time '
                        'no job that can finish needs')
    parser.add_argument('--no-run-dir', dest='run_dir', action='store_const', const=None,
                        help='train in a temporary directory, keep nothing')
    return parser


# The tier's command-line settings of the training recipe: option dest -> TrainConfig field.
# A kind's own recipe wins over them (``kinds.recipe_conflicts``): an option set away from its
# default to another value than a requested kind's recipe is refused (e.g. --lr 3e-4 with
# dp-own, whose recipe trains at 1e-4).
RECIPE_OPTIONS = {'lr': 'stage_lr', 'ema_warmup': 'ema_warmup'}


def recipe_conflicts(args: argparse.Namespace, defaults: argparse.Namespace) -> list[str]:
    """Where ``args`` set a recipe option (``RECIPE_OPTIONS``) away from ``defaults`` (the
    parser's) to another value than a kind of ``args.policies`` declares."""
    config, default = (tier_config(1, 0, lr=a.lr, ema_warmup=a.ema_warmup)
                       for a in (args, defaults))
    given = {field: getattr(config.train, field) for field in RECIPE_OPTIONS.values()
             if getattr(config.train, field) != getattr(default.train, field)}
    return [line for key in dict.fromkeys(args.policies)
            for line in kinds.recipe_conflicts(kinds.get(key), given)]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()

    def run(args: argparse.Namespace) -> None:
        kinds.refuse_recipe_conflicts(parser, recipe_conflicts(args, parser.parse_args([])))
        run_all(args)

    return report.run_script(parser, argv, run, threads=1)
