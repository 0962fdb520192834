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

Observation: the 9 joint positions + Meta-World's 39-D observation (hand, gripper, objects,
goal); action: the 9 joint targets (chunk of 8, stride 4); both policies re-plan every 4
steps. Demos: the scripted expert replayed in joint space (successful replays only, seeds
0, 1, ...); evaluation start states from 10000 (tuning split) or 20000 (test split). Each
(task, demos, seed, policy) run is appended to docs/benchmarks/state_tier.json as soon as
it finishes (runs resume where they stopped: finished ones are skipped); state_tier.md is
rendered from all of them.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import hashlib
import json
from pathlib import Path
import shutil
import time
from typing import Any

import numpy as np
import torch

from benchmarks import job_pace, kinds, records, report, tier_page
from benchmarks.actors import saved_network_step, train_actor
from benchmarks.baselines.diffusion import SMALL_UNET, DiffusionConfig
from benchmarks.train_clock import TrainClock
from nf_policy_ros.config import ActionConfig, EncoderConfig, NFPConfig, TrainConfig
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.rollout import record_demo, run_policy
from nf_policy_ros.sim.task import JointTask, TaskConfig

NAME = 'state_tier'
EVAL_SEED0 = 10_000
# Evaluation start states (../shared/EVALUATION.md): every decision is made on the tuning
# split; the test split is used only for headline numbers, after the choices are frozen.
SPLIT_SEED0 = {'tune': EVAL_SEED0, 'test': 20_000}
SPLIT_EPISODES = {'tune': 20, 'test': 50}
TASKS = ('hammer', 'assembly', 'basketball', 'lever-pull', 'peg-insert-side', 'bin-picking')
STATE_DIM = 9 + 39
EXECUTE_STEPS = 4  # [ticks] followed of each chunk before re-planning (one chunk point)
DP_SIZE = SMALL_UNET
DEFAULT_STEPS = 2000  # the tuning split's training steps unless --steps says otherwise


def tier_config(steps: int, seed: int, stride: int = 4, horizon: int = 8, lr: float = 1e-3,
                ema_warmup: bool = True) -> NFPConfig:
    """The shared recipe: one stage of ``steps`` AdamW steps at ``lr``, batch 64."""
    return NFPConfig(encoder=EncoderConfig(num_cameras=0, state_dim=STATE_DIM),
                     actions=ActionConfig(action_dim=9, horizon=horizon, stride=stride),
                     train=TrainConfig(stage_steps=(steps,), stage_lr=(lr,),
                                       stage_batch_size=(64,), warmup_steps=100,
                                       ema_warmup=ema_warmup, val_every=steps,
                                       checkpoint_every=steps, seed=seed))


def recipe_fields(config: NFPConfig, budget: str = 'fixed') -> dict[str, Any]:
    """What a record says of the training recipe beyond the steps; ``budget``: 'fixed'
    (steps from the command line) or 'tuned' (each policy's own, from the learning curves)."""
    return {'lr': config.train.stage_lr[0], 'ema_warmup': config.train.ema_warmup,
            'budget': budget}


# Settings added after the first records, hashed only when set away from their default, so
# the records and saved trainings from before keep their hash.
HASHED_WHEN_SET = {('train', 'action_noise_std'): 0.0, ('train', 'state_noise_std'): 0.0,
                   ('train', 'lr_schedule'): 'stages', ('train', 'adam_betas'): (0.9, 0.999),
                   ('train', 'ema_power'): 0.0, ('train', 'encoder_warmup_steps'): 0,
                   ('train', 'warmup_precision'): 'fp32',
                   ('sampling', 'candidate_precision'): 'fp32',
                   ('actions', 'mirror_dims'): (), ('actions', 'mirror_sources'): (),
                   ('actions', 'mirror_gains'): (), ('actions', 'discrete_dims'): (),
                   ('train', 'action_noise_step'): 0.0, ('train', 'action_noise_floor'): 0.0,
                   ('train', 'dequantize_std'): 0.0}
DP_HASHED_WHEN_SET = {'obs_horizon': 1}  # the DP denoiser's settings, likewise


# Revision of the camera path that changes a camera run without changing its settings:
# 2 = standardized spatial softmax and the trunk learning-rate scale (issue 18); 3 (runs
# with an encoder warm-up only) = the trunks frozen for autograd after it, so their
# gradients no longer count in the gradient-norm clip. Camera runs hash it, so runs of an
# older camera path are never taken for new ones.
CAMERA_PATH_VERSION = 2
WARMUP_FREEZE_VERSION = 3


def camera_path(config: NFPConfig) -> int:
    """The camera path revision a camera run of ``config`` trains with (see above)."""
    return WARMUP_FREEZE_VERSION if config.train.encoder_warmup_steps else CAMERA_PATH_VERSION


def config_hash(config: NFPConfig, dp_size: DiffusionConfig = DP_SIZE) -> str:
    """10 hex digits identifying the NF-P config and the DP size of a run."""
    nfp = asdict(config)
    for (group, field), default in HASHED_WHEN_SET.items():
        if nfp[group][field] == default:
            del nfp[group][field]
    dp = {k: v for k, v in asdict(dp_size).items()
          if k not in DP_HASHED_WHEN_SET or v != DP_HASHED_WHEN_SET[k]}
    payload = {'nfp': nfp, 'dp': dp}
    if config.encoder.num_cameras == 0:
        del nfp['train']['encoder_lr_scale']  # no image trunk: the setting does nothing
    else:
        payload['camera_path'] = camera_path(config)
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def collect(task: JointTask, count: int, images: bool = False) -> list:
    """``count`` successful joint-space demos (fewer if the seeds run out): low-dimensional
    state, or (``images``) camera + joint state."""
    episodes, seed = [], 0
    while len(episodes) < count and seed < 5 * count + 20:
        episode = record_demo(task, seed, images=images, low_dim=not images)
        seed += 1
        if episode is not None:
            episodes.append(episode)
    return episodes


def evaluate(task: JointTask, actor, episodes: int, execute_steps: int = EXECUTE_STEPS,
             low_dim: bool = True, split: str = 'tune') -> dict[str, Any]:
    """Success over the first ``episodes`` start states of ``split`` (SPLIT_SEED0),
    re-planning every ``execute_steps`` steps; the state is
    ``sim.rollout.task_state(task, low_dim)`` (as the policy was trained)."""
    seed0 = SPLIT_SEED0[split]
    rollouts = [run_policy(task, actor, seed0 + i, execute_steps, low_dim=low_dim)
                for i in range(episodes)]
    conf = [c for r in rollouts for c in r.confidence]
    return {'successes': sum(r.success for r in rollouts), 'episodes': episodes,
            'split': split, 'eval_seed0': seed0,
            'episode_success': [bool(r.success) for r in rollouts],
            'diverged': sum(r.diverged for r in rollouts),
            'mean_steps': float(np.mean([r.steps for r in rollouts])),
            'tick_p50_ms': float(np.percentile([t for r in rollouts for t in r.tick_ms], 50)),
            'mean_confidence': float(np.mean(conf)) if conf else None,
            'episode_confidence': [[float(np.mean(r.confidence)), float(np.min(r.confidence))]
                                   if r.confidence else None for r in rollouts],
            'episode_confidence_trace': [[round(c, 4) for c in r.confidence]
                                         for r in rollouts] if conf else None}


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
    from benchmarks import curve_page  # imports this module: not at the top
    curves = records.load(curve_page.NAME)
    try:
        return {kind: curve_page.final_budget(kinds.get(kind).run_name, curves)
                for kind in args.policies if kinds.get(kind).network != kinds.FLOOR}
    except ValueError as error:
        raise SystemExit(f'--split test: {error}') from None


def parse_shard(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N): this process runs every N-th job starting at the K-th (0-based)."""
    try:
        k, n = (int(v) for v in text.split('/'))
    except ValueError:
        k, n = -1, 0
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f'shard={text!r}: expected K/N with 0 <= K < N')
    return k, n


def my_jobs(args: argparse.Namespace) -> list[tuple[str, int, int, str]]:
    """(task, demos, seed, policy) of the grid that fall to this shard, grid order. A
    (task, demos, seed) goes to one shard with all its policies, so its DP samplers run one
    after another on one saved DP training."""
    trainings = [(t, d, s) for t in args.tasks for d in args.demos for s in args.seeds]
    k, n = args.shard
    return [(*training, p) for training in trainings[k::n] for p in args.policies]


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


CURVE_MARK = 'learning_curve_run.txt'  # in a run directory seeded from a curve training


def seed_from_curve(job: tuple, config: NFPConfig, omega: float,
                    run_dir: Path | None) -> Path | None:
    """Start (task, demos, seed, DP kind)'s training in ``run_dir`` from the learning
    curve's finished training that is the same training (learning_curve.
    finished_dp_training), so it is loaded, not run again; that curve run's directory, or
    None (no run directory, not a DP kind, no such curve training, or ``run_dir`` already
    has a training of its own)."""
    if run_dir is None:
        return None
    mark = run_dir / CURVE_MARK
    if mark.exists():
        return Path(mark.read_text().strip())
    target = run_dir / f'{kinds.DP}.pt'
    from benchmarks import learning_curve  # imports this module: not at the top
    task_name, count, seed, kind = job
    source = learning_curve.finished_dp_training((task_name, kind, seed), count, config, omega)
    if source is None or target.exists():
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


def saved_training_step(run_dir: Path | None, kind: str) -> int:
    """Steps of ``kind``'s network saved in ``run_dir`` (0: none, a floor, no directory)."""
    network = kinds.get(kind).network
    if run_dir is None or network == kinds.FLOOR:
        return 0
    checkpoint = run_dir / (f'{kinds.DP}.pt' if network == kinds.DP else f'{kinds.NFP}/last.pt')
    return saved_network_step(network, checkpoint)


def training_seconds(run_dir: Path | None, kind: str, before: int,
                     seconds: float) -> float | None:
    """The whole training time [s] of ``kind``'s network in ``run_dir``, whose saved step
    went from ``before`` to now in ``seconds`` of this job (summed over sessions by the run
    directory's TrainClock; a training loaded finished reports the time recorded when it
    trained). None: not measured (a run begun before the clock). Without a run directory
    the training ran whole in this job: ``seconds``."""
    if run_dir is None or kinds.get(kind).network == kinds.FLOOR:
        return seconds
    after = saved_training_step(run_dir, kind)
    return TrainClock(run_dir).advance(before, after, seconds)


def episodes(args: argparse.Namespace) -> int:
    """Start states to evaluate: ``--episodes``, else the split's (SPLIT_EPISODES)."""
    return args.episodes or SPLIT_EPISODES[args.split]


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
        actor = train_actor(kind, config, WindowDataset(demos[:count], config.actions),
                            run_dir, device=args.device, stop=watch, on_step=watch.on_step)
        train_s = training_seconds(run_dir, kind, before, time.perf_counter() - start)
        if watch.deferred is not None:
            raise watch.deferred
        if stop.is_set():
            return {}
        execute = kinds.execute_steps(kinds.get(kind), config, EXECUTE_STEPS)
        record = {'train_s': train_s, 'actor': actor.name,
                  **evaluate(task, actor, episodes(args), execute, split=split)}
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
            demos = demos or collect(task, max(job[1] for job in jobs))
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
    """Training steps (task, demos, seed, kind)'s DP network has in its run directory (a
    finished learning-curve training counts whole); 0 for NF-P, floors, no run directory."""
    run_dir = job_run_dir(args, job, config, omega)
    if run_dir is None or kinds.get(job[3]).network != kinds.DP:
        return 0
    seed_from_curve(job, config, omega, run_dir)
    return saved_training_step(run_dir, job[3])


def trained(args: argparse.Namespace, job: tuple, config: NFPConfig, omega: float) -> bool:
    """Whether (task, demos, seed, DP kind)'s training is finished in its run directory."""
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


STATE_TITLE = ('# State tier: NF-P vs Diffusion Policy (generated by '
               '`python -m benchmarks.state_tier`)')
STATE_SETUP = ('Meta-World v3 under joint-position control; observation = 9 joint positions + '
               "Meta-World's 39-D state; action = chunk of 8 joint targets, stride 4; NF-P "
               'best-of-128 vs DP DDIM-10 (1-D U-Net 64/128/256, DDIM steps placed as '
               'Diffusion Policy does, 90, 80, ..., 0; "DP DDPM-100": the same training '
               'sampled with all 100 steps; "DP DDIM-10 trailing": with steps 99, 89, ..., '
               '9; "DP DDIM-50": 50 steps; "DP DDIM-10 eta 1": fresh noise at each step as '
               'DDPM; the other NF-P columns: the same NF-P network sampled otherwise, or '
               'NF-P trained with action noise, see the last section; "DP (own recipe)": '
               "DP trained on Diffusion Policy's published recipe, observation horizon 2, 16 "
               'points of which 8 are followed, see learning_curves.md); floors: hold (arm '
               'held still, gripper open) and random (each target uniform in the '
               'demonstrated range of its joint)')


def render_page(records: list[dict[str, Any]]) -> str:
    from benchmarks import headline  # imports this module: not at the top
    page = tier_page.render_page(records, STATE_TITLE, STATE_SETUP, kinds.STATE, (TASKS, 4),
                                 lead=headline.headline_section(records))
    return '\n'.join([page, *headline.choices_section(records)])


def build_parser() -> argparse.ArgumentParser:
    """The command line (``main`` adds --threads and --write-docs)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS))
    parser.add_argument('--demos', nargs='+', type=int, default=[10, 50])
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--policies', nargs='+', default=kinds.references(),
                        choices=kinds.keys(kinds.STATE),
                        help='kinds of benchmarks/kinds.py; hold and random are floors that '
                        'need no training')
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
                                 if k.network == kinds.DP],
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


def main(argv: list[str] | None = None) -> int:
    return report.run_script(build_parser(), argv, run_all, threads=1)


if __name__ == '__main__':
    raise SystemExit(main())
