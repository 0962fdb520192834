# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""What NF-P's confidence is worth, as AUROCs (0.5 = no signal, 1 = perfect).

(a) Failure prediction: episode-level AUROC of mean and min confidence for success vs
    failure, from the closed-loop records the other benchmarks already wrote
    (state_tier.json, ablations.json) and from `make demo` evaluations (--eval-json).
(b) Out-of-distribution input: confidence of a trained checkpoint on observations of its
    task against perturbed ones. Vision checkpoints (with --dataset, its training data):
    dataset ticks with the camera blacked out, half the image occluded, another task's scene
    in the camera. Every checkpoint (vision or state tier), in the simulator: start states
    of unseen seeds against the same starts with object and goal moved 20 cm along x
    (outside the +-10 cm the demos were drawn from), and against another task's start.
    ``--state-task`` trains a state-tier NF-P (benchmarks.protocol.tier's recipe) to test.

``--policy`` names the NF-P kind (benchmarks.protocol.kinds) the checkpoint is, and so the
plans whose confidence is read: NF-P as compared (default 'nfp': best-of-32 plans, as
before), or a kind whose training calibrated its confidence on its own sampler (``nfp2``,
recipe 2: the zero latent it acts with; a checkpoint calibrated otherwise is refused).

    python -m benchmarks.confidence_auroc --checkpoint runs/demo-*/run/policy.pt \
        --dataset runs/demo-*/dataset --eval-json runs/demo-*/eval_nfp.json --write-docs
    python -m benchmarks.confidence_auroc --state-task hammer --write-docs
    # issue 18's camera-fault bars for the vision tier's camera recipe, seed 0 of each task:
    # recipe 1 (its checkpoints predate held-out calibration: --recalibrate), then recipe 2
    # (trained by scripts/vision_tier_recipe2.sh: calibrated on its 3 held-out demos)
    R=runs/vision_tier/drawer-open
    python -m benchmarks.confidence_auroc --task drawer-open --object-range-scale 2 \
        --checkpoint $R/50demos_seed0_654afa7f05_range2_nfp/nfp/policy.pt \
        --dataset $R/demos_50_48px_range2 --recalibrate --write-docs
    bash scripts/vision_tier_recipe2.sh auroc   # --policy nfp2 on both camera tasks
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.pages import records, report
from benchmarks.pages.confidence_failure import (
    EARLY_PLANS,
    TRACE_PLOT,
    auroc,
    plot_traces,
    records_from_docs,
    records_from_eval,
    traced_runs,
)
from benchmarks.protocol import kinds
from nf_policy_ros.config import CONFIDENCE_SOURCES, SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.data.cache import load_dataset
from nf_policy_ros.structs import Observation

NAME = 'confidence_auroc'  # docs/benchmarks/confidence_auroc.json and .md

OTHER_TASK = {'drawer-open': 'pick-place'}
DEFAULT_OTHER = 'drawer-open'
OBJECT_SHIFT_X = 0.2  # [m] at Meta-World's own placement, which draws object x within
# +-0.1 m: every moved object lies outside the demonstrated range. It scales with the task's
# object_range_scale (x2: +-0.2 m drawn, 0.4 m moved).
SIM_SEED0 = 10_000  # unseen start states, as the evaluations use (tuning split)
SPLIT_SEED0 = {'tune': SIM_SEED0, 'test': 20_000}  # the simulator rows' starts by split
# the plans NF-P as compared is read by here (fewer candidates than its best-of-128)
BEST_OF_32 = SamplingConfig(mode='best_of_n', num_candidates=32)


def policy_kinds() -> list[str]:
    """The ``--policy`` choices: NF-P as compared and the NF-P kinds calibrated on their
    own sampler."""
    return [kind.key for kind in kinds.KINDS.values() if kind.network == kinds.NFP
            and (kind.reference or kind.calibrated_on_sampler)]


def kind_sampling(key: str) -> SamplingConfig:
    """The plans whose confidence is read for ``--policy`` ``key``: best-of-32 for NF-P as
    compared, a kind's own sampler where its training calibrated the confidence on it."""
    kind = kinds.get(key)
    return kind.sampler if kind.calibrated_on_sampler else BEST_OF_32


def check_calibration(policy, key: str) -> None:
    """SystemExit (one line) unless ``policy`` (a checkpoint) was calibrated on the plans
    ``--policy`` ``key`` reads, for a kind calibrated on its own sampler."""
    kind = kinds.get(key)
    if kind.calibrated_on_sampler and policy.config.sampling != kind.sampler:
        raise SystemExit(f'--policy {key}: the checkpoint calibrated its confidence on '
                         f'{policy.config.sampling.mode} plans, expected {kind.sampler.mode} '
                         f'(a {key} training: {kind.title_or_column})')


def other_task_frames(task: str, size: tuple[int, int], count: int) -> np.ndarray:
    """(count, 3, H, W) uint8 frames of another Meta-World task's scene."""
    from nf_policy_ros.sim.task import JointTask, TaskConfig

    other = JointTask(TaskConfig(task=OTHER_TASK.get(task, DEFAULT_OTHER),
                                 image_height=size[0], image_width=size[1]))
    frames = []
    for seed in range(count):
        other.reset(seed)
        frames.append(other.render().transpose(2, 0, 1))
    other.close()
    return np.stack(frames)


def perturbations(images: np.ndarray, task: str) -> dict[str, np.ndarray]:
    """(N, 1, 3, H, W) uint8 -> name -> perturbed copy. "Frozen" shows every tick the
    first of the frames (a real scene of the task, but another moment and start)."""
    black = np.zeros_like(images)
    frozen = np.broadcast_to(images[:1], images.shape).copy()
    occluded = images.copy()
    h = images.shape[-2]
    occluded[..., h // 2:, :] = 127
    other = other_task_frames(task, images.shape[-2:], len(images))[:, None]
    return {'camera blacked out': black, 'camera frozen on one frame': frozen,
            'lower half occluded': occluded,
            f'scene of {OTHER_TASK.get(task, DEFAULT_OTHER)}': other}


@torch.no_grad()
def confidences(policy, images: np.ndarray, state: np.ndarray, batch: int = 32,
                sampling: SamplingConfig = BEST_OF_32) -> np.ndarray:
    gen = torch.Generator().manual_seed(0)
    out = []
    for i in range(0, len(images), batch):
        obs = Observation(torch.from_numpy(images[i:i + batch]).float() / 255.0,
                          torch.from_numpy(state[i:i + batch]))
        out.append(policy.predict(obs, sampling, gen).confidence.numpy())
    return np.concatenate(out)


def dataset_rows(policy, dataset: Path, task: str, count: int,
                 sampling: SamplingConfig = BEST_OF_32) -> list[dict[str, Any]]:
    """(b) AUROC of confidence (of ``sampling``'s plans) for dataset ticks against each
    image perturbation."""
    episodes, _ = load_dataset(dataset)
    rng = np.random.default_rng(0)
    images = np.concatenate([e.images for e in episodes])
    state = np.concatenate([e.state for e in episodes])
    pick = rng.choice(len(images), size=min(count, len(images)), replace=False)
    images, state = images[pick], state[pick]
    normal = confidences(policy, images, state, sampling=sampling)
    return [_ood_row(name, normal, confidences(policy, perturbed, state, sampling=sampling))
            for name, perturbed in perturbations(images, task).items()]


def start_confidences(policy, task, seeds: range, sampling: SamplingConfig = BEST_OF_32,
                      **reset) -> np.ndarray:
    """Confidence (of ``sampling``'s plan) at the first tick of each seed's start state
    (``reset`` passed on)."""
    from nf_policy_ros.sim.rollout import observe

    config = policy.config.encoder
    low_dim = config.state_dim > len(task.joint_names)
    gen = torch.Generator().manual_seed(0)
    out = []
    for seed in seeds:
        task.reset(seed, **reset)
        obs = observe(task, config.num_cameras > 0, low_dim, torch.device('cpu'))
        out.append(float(policy.predict(obs, sampling, gen).confidence[0]))
    return np.asarray(out)


def scene_rows(policy, task_name: str, count: int, range_scale: float = 1.0,
               sampling: SamplingConfig = BEST_OF_32,
               seed0: int = SIM_SEED0) -> list[dict[str, Any]]:
    """(b) in the simulator: unseen starts (object placement ``range_scale`` times
    Meta-World's own, as in training) vs object moved out of that range / another task's
    start."""
    from nf_policy_ros.sim.task import JointTask, TaskConfig

    enc = policy.config.encoder
    size = {'image_height': enc.image_height, 'image_width': enc.image_width}
    other_name = OTHER_TASK.get(task_name, DEFAULT_OTHER)
    seeds = range(seed0, seed0 + count)
    task = JointTask(TaskConfig(task=task_name, object_range_scale=range_scale, **size))
    other = JointTask(TaskConfig(task=other_name, **size))
    normal = start_confidences(policy, task, seeds, sampling)
    shift = OBJECT_SHIFT_X * range_scale
    perturbed = {
        f'object and goal moved {shift * 100:.0f} cm (sim)':
            start_confidences(policy, task, seeds, sampling,
                              object_offset=np.array([shift, 0.0, 0.0])),
        f'start of {other_name} (sim)': start_confidences(policy, other, seeds, sampling)}
    task.close()
    other.close()
    return [_ood_row(name, normal, shifted) for name, shifted in perturbed.items()]


def _ood_row(name: str, normal: np.ndarray, shifted: np.ndarray) -> dict[str, Any]:
    return {'perturbation': name, 'ticks': len(normal), 'normal_mean': float(normal.mean()),
            'perturbed_mean': float(shifted.mean()), 'auroc': auroc(normal, shifted)}


def train_state_checkpoint(task_name: str, demos: int, steps: int, out: Path,
                           policy: str = kinds.NFP) -> Path:
    """A state-tier NF-P for ``task_name`` (benchmarks.protocol.tier's recipe, seed 0) at
    ``out``/policy.pt, trained unless it is there. NF-P as compared trains on ``demos``
    demos and calibrates on them (as before); another ``policy`` kind trains its own recipe
    (``kinds.trained_config``) and, as in the tiers, holds out the next VAL_DEMOS demos for
    its held-out NLL and calibration."""
    from benchmarks.protocol.networks import kind_windows
    from benchmarks.protocol.tier import VAL_DEMOS, collect, tier_config
    from nf_policy_ros.core.training import run_training
    from nf_policy_ros.data.windows import WindowDataset
    from nf_policy_ros.sim.task import JointTask, TaskConfig

    if (out / 'policy.pt').exists():
        return out / 'policy.pt'
    kind = kinds.get(policy)
    task = JointTask(TaskConfig(task=task_name))
    base = tier_config(steps, seed=0)
    config = base if kind.reference else kinds.trained_config(base, kind)
    held = 0 if kind.reference else VAL_DEMOS
    episodes = collect(task, demos + held)
    task.close()
    data = kind_windows(kind, config, WindowDataset(episodes[:demos], base.actions))
    val = (kind_windows(kind, config, WindowDataset(episodes[demos:], base.actions))
           if episodes[demos:] else None)
    return run_training(config, data, val, out, {}, progress=False).policy_path


def recalibrate(policy, dataset: Path) -> None:
    """Refit the confidence's references (core.training.calibrate: plan log p and the
    context support) as the current training code would at its end, for a checkpoint
    trained before them: on the episodes ``dataset`` holds out under the checkpoint's
    train.val_fraction and seed (all episodes if it holds none out)."""
    from nf_policy_ros.core.training import calibrate
    from nf_policy_ros.data.cache import split_episodes
    from nf_policy_ros.data.windows import WindowDataset

    episodes, _ = load_dataset(dataset)
    train = policy.config.train
    fitted, held_out = split_episodes(episodes, train.val_fraction, train.seed)
    train_set = WindowDataset(fitted, policy.config.actions)
    calibrate(policy, WindowDataset(held_out, policy.config.actions) if held_out else train_set,
              train_set, torch.device('cpu'))


def refit_support(policy, dataset: Path, held_out: int) -> dict[str, float]:
    """Refit the context support as training does (core.training.calibrate), now with its
    held-out distances stored, on ``dataset`` whose last ``held_out`` episodes the
    checkpoint's training held out (the tiers' VAL_DEMOS): for a checkpoint trained before
    the distances were stored. Returns the stored and the refit limit (equal when the
    windows are the training's)."""
    from nf_policy_ros.core.training import MAX_PLAN_CALIBRATION_WINDOWS, contexts_of
    from nf_policy_ros.data.windows import WindowDataset

    episodes, _ = load_dataset(dataset)
    actions, cpu = policy.config.actions, torch.device('cpu')
    before = float(policy.context_support.limit[0])
    policy.context_support.fit(
        contexts_of(policy, WindowDataset(episodes[:-held_out], actions), cpu),
        contexts_of(policy, WindowDataset(episodes[-held_out:], actions), cpu,
                    MAX_PLAN_CALIBRATION_WINDOWS))
    return {'stored_limit': before, 'refit_limit': float(policy.context_support.limit[0])}


def run(args: argparse.Namespace) -> dict[str, Any]:
    failure = records_from_docs()
    for path in args.eval_json:
        failure += records_from_eval(path)
    checkpoint, task, ood = args.checkpoint, args.task, []
    sampling = replace(kind_sampling(args.policy), confidence=args.confidence)
    refit = None
    if args.state_task:
        task = args.state_task
        tag = '' if args.policy == kinds.NFP else f'_{kinds.get(args.policy).run_name}'
        checkpoint = train_state_checkpoint(task, args.state_demos, args.state_steps,
                                            args.run_dir / f'state_{task}{tag}', args.policy)
    if checkpoint:
        policy, _ = load_policy(checkpoint)
        policy.eval()
        check_calibration(policy, args.policy)
        if args.recalibrate:
            recalibrate(policy, args.dataset)
        if args.refit_support:
            refit = refit_support(policy, args.dataset, args.refit_support)
        if args.dataset:
            ood += dataset_rows(policy, args.dataset, task, args.ticks, sampling)
        ood += scene_rows(policy, task, args.starts, args.object_range_scale, sampling,
                          SPLIT_SEED0[args.split])
    return {'machine': report.machine_info(torch.device('cpu')), 'failure': failure,
            'ood': ood, 'checkpoint': str(checkpoint or ''), 'task': task,
            'policy': args.policy, 'object_range_scale': args.object_range_scale,
            'recalibrated': bool(args.recalibrate), 'confidence': args.confidence,
            'split': args.split, 'support_refit': refit,
            'traces_plotted': [r['label'] for r in traced_runs(args.eval_json)]}


# Issue 18's bars for a camera checkpoint, fixed before the camera policies looked: the
# per-tick AUROC (normal > perturbed) at least this, by perturbation name prefix.
OOD_TARGETS = {'camera blacked out': 0.9, 'object and goal moved': 0.8}
CONFIDENCE_TITLES = {'plan': "the plan's log p percentile",
                     'context': "the context's distance percentile",
                     'both': 'plan x context percentiles'}


def target_lines(record: dict[str, Any]) -> list[str]:
    """'- Target ...: met / missed by ...' for each OOD_TARGETS row of ``record``."""
    lines = []
    for row in record['ood']:
        for prefix, bar in OOD_TARGETS.items():
            if row['perturbation'].startswith(prefix):
                verdict = ('met' if row['auroc'] >= bar
                           else f"**missed** by {bar - row['auroc']:.2f}")
                lines.append(f"- Target AUROC >= {bar} for {row['perturbation']}: "
                             f"{row['auroc']:.2f}, {verdict}.")
    return lines + [''] if lines else []


def _ood_section(record: dict[str, Any]) -> list[str]:
    rows = [[r['perturbation'], r['ticks'], r['normal_mean'], r['perturbed_mean'], r['auroc']]
            for r in record['ood']]
    scale = record.get('object_range_scale', 1.0)
    placement = f', object placement x{scale:g}' if scale != 1.0 else ''
    policy = record.get('policy', kinds.NFP)  # records before --policy: NF-P as compared
    if policy != kinds.NFP:
        kind = kinds.get(policy)
        placement += (f', {kind.title_or_column}: confidence of its '
                      f"{kind.sampler.mode.replace('_', '-')} plans")
    if record.get('recalibrated'):
        placement += ', confidence references refit on the dataset (--recalibrate)'
    if 'confidence' in record:  # records since issue 32's context confidence
        placement += (f", confidence read: {CONFIDENCE_TITLES[record['confidence']]}, "
                      f"simulator starts: {record['split']} split")
    refit = record.get('support_refit')
    if refit:
        placement += (f", context support refit on its held-out demos (limit "
                      f"{refit['stored_limit']:.2f} stored, {refit['refit_limit']:.2f} refit)")
    return [f"### {record['task']}{placement}, checkpoint `{record['checkpoint']}` "
            f"({record['machine']['date_utc'][:10]}, git `{record['machine']['git_sha'][:10]}`)\n",
            report.markdown_table(['perturbation', 'ticks', 'mean conf. normal',
                                   'mean conf. perturbed', 'AUROC normal > perturbed'], rows),
            '', *target_lines(record)]


def _or_blank(value: float | None) -> str:
    return '' if value is None else f'{value:.2f}'


def _pair(a: float | None, b: float | None) -> str:
    return '' if a is None or b is None else f'{a:.0f} / {b:.0f}'


def latest_per_checkpoint(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest record with OOD rows for each (task, checkpoint, confidence source,
    start split), oldest first."""
    latest = {(r['task'], r['checkpoint'], r.get('confidence', 'plan'),
               r.get('split', 'tune')): r for r in records if r['ood']}
    return sorted(latest.values(), key=lambda r: r['machine']['date_utc'])


def reading_summary(records: list[dict[str, Any]]) -> list[str]:
    """A table over the latest record per checkpoint of a kind calibrated on its own
    sampler (recipe 2): per (task, start split, reading), the target rows' AUROC on each
    checkpoint and whether every one meets its bar (the choice between readings is made
    on the tune split). Records from before the readings read the plan, on tune starts."""
    cells: dict[tuple, dict[str, list[float]]] = {}
    for record in latest_per_checkpoint(records):
        if record.get('policy', kinds.NFP) == kinds.NFP:
            continue
        key = (record['task'], record.get('split', 'tune'),
               CONFIDENCE_TITLES[record.get('confidence', 'plan')])
        for row in record['ood']:
            for prefix in OOD_TARGETS:
                if row['perturbation'].startswith(prefix):
                    cells.setdefault(key, {}).setdefault(prefix, []).append(row['auroc'])
    if not cells:
        return []
    rows = []
    for (task, split, reading), by_target in sorted(cells.items()):
        values = [', '.join(f'{v:.2f}' for v in by_target.get(prefix, []))
                  for prefix in OOD_TARGETS]
        met = all(v >= OOD_TARGETS[p] for p, vs in by_target.items() for v in vs)
        rows.append([task, split, reading, len(next(iter(by_target.values()))), *values,
                     'yes' if met else 'no'])
    header = ['task', 'starts', 'confidence read', 'checkpoints',
              *[f'AUROC {p} (bar {bar})' for p, bar in OOD_TARGETS.items()],
              'every bar met']
    return ['### Readings compared (latest run of each checkpoint)\n',
            report.markdown_table(header, rows), '']


def render_page(records: list[dict[str, Any]]) -> str:
    latest = records[-1]
    fail = [[r['source'], r['run'], r['successes'], r['failures'],
             _pair(r['plans_success'], r['plans_failure']), r['auroc_mean'],
             r['auroc_min'], _or_blank(r['auroc_early'])] for r in latest['failure']]
    plotted = latest['traces_plotted']
    ood = [line for r in latest_per_checkpoint(records) for line in _ood_section(r)]
    return '\n'.join([
        '# What confidence is worth (generated by `python -m benchmarks.confidence_auroc`)\n',
        'AUROC: 0.5 = no signal, 1 = confidence separates perfectly. (a) is from the latest '
        'run, (b) from the latest run per checkpoint (all runs are kept in '
        'confidence_auroc.json).\n',
        f"Machine: {report.describe_machine(latest['machine'])}\n",
        '## (a) Does low confidence predict failure? (episode level)\n',
        'Read the whole-episode columns with care: a success ends the episode, a failure '
        'runs to the time limit, so a failure averages in its late, lost plans. The '
        f'first-{EARLY_PLANS}-plans column compares the same early window of every episode '
        '(available where the run kept per-plan traces): that is the warning a supervisor '
        'could act on.\n',
        report.markdown_table(['source', 'run', 'successes', 'failures',
                               'mean plans success / failure', 'AUROC mean conf.',
                               'AUROC min conf.',
                               f'AUROC mean conf. first {EARLY_PLANS} plans'], fail)
        if fail else 'No closed-loop record with both successes and failures yet.',
        '',
        *([f'![confidence traces]({TRACE_PLOT})\n',
           f"Confidence traces ({', '.join(plotted)}): {TRACE_PLOT}, written with this "
           'page.\n'] if plotted else []),
        '## (b) Does it flag out-of-distribution input?\n',
        *reading_summary(records),
        *(ood or ['No checkpoint tested yet.', '']),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', type=Path, default=None)
    parser.add_argument('--dataset', type=Path, default=None)
    parser.add_argument('--task', default='drawer-open')
    parser.add_argument('--policy', choices=policy_kinds(), default=kinds.NFP,
                        help="the NF-P kind of --checkpoint / --state-task: 'nfp' (NF-P as "
                        "compared, best-of-32 plans) or a kind calibrated on its own sampler "
                        "('nfp2': recipe 2, the zero latent it acts with)")
    parser.add_argument('--ticks', type=int, default=200)
    parser.add_argument('--starts', type=int, default=50,
                        help='unseen start states for the simulator perturbations')
    parser.add_argument('--object-range-scale', type=float, default=1.0,
                        help="the checkpoint's training placement relative to Meta-World's "
                        '(the vision tier trains at 2)')
    parser.add_argument('--recalibrate', action='store_true',
                        help="refit the confidence's references on --dataset's held-out "
                        'episodes first (checkpoints trained before the context support)')
    parser.add_argument('--confidence', choices=CONFIDENCE_SOURCES, default='plan',
                        help="what the confidence reads (sampling.confidence): the plan's "
                        "log p, the context's distance among held-out ones, or both")
    parser.add_argument('--refit-support', type=int, default=0, metavar='N',
                        help="refit the context support with its held-out distances, "
                        "--dataset's last N episodes held out (recipe 2 trainings: 3), for "
                        'checkpoints trained before the distances were stored')
    parser.add_argument('--split', choices=tuple(SPLIT_SEED0), default='tune',
                        help='start states of the simulator rows: tune (10000+) or test '
                        '(20000+, for a choice already made on tune)')
    parser.add_argument('--eval-json', type=Path, nargs='*', default=[])
    parser.add_argument('--state-task', default='',
                        help='train (or reuse) a state-tier NF-P on this task and test it')
    parser.add_argument('--state-demos', type=int, default=10)
    parser.add_argument('--state-steps', type=int, default=2000)
    parser.add_argument('--run-dir', type=Path, default=Path('runs/bench/confidence'))
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    if args.checkpoint and args.state_task:
        parser.error('give --checkpoint or --state-task, not both')
    if args.refit_support and not (args.checkpoint and args.dataset):
        parser.error('--refit-support needs --checkpoint and --dataset')
    if args.recalibrate and not (args.checkpoint and args.dataset):
        parser.error('--recalibrate needs --checkpoint and --dataset')
    if args.recalibrate and kinds.get(args.policy).calibrated_on_sampler:
        parser.error(f'--recalibrate with --policy {args.policy}: its training calibrated '
                     'the confidence on its held-out demos already')
    torch.set_num_threads(1)
    report.publish(NAME, run(args), render_page, args.write_docs)
    runs = traced_runs(args.eval_json)
    if args.write_docs and runs:
        plot_traces(runs, records.DOCS / TRACE_PLOT)
    return 0
