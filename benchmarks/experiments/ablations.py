# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P ablations on the state tier, next to the paper's numbers, with paired verdicts.

    python -m benchmarks.ablations --split test --write-docs      # hammer, lever-pull x 3 seeds

Per (task, training seed), against NF-P as compared (stride 4, best-of-128 at latent std
0.5, chunks of 8 re-planned every 4 steps):
- stride 1/2/4/8 (one network each, 8 chunk points);
- sampling of the stride-4 network: raw (one latent sample at std 1), best-of-128, refine;
- latent std 1.0/0.75/0.5 (best-of-128 on the stride-4 network);
- chunking off: 1 chunk point, a new single action every step.
Variants that are NF-P as compared (stride 4, best-of-128, std 0.5) share one evaluation.
Trainings live in ``--run-dir`` (the state tier's by default: the stride-4 network is the
state tier's NF-P training of the same task, demos, seed and steps), so a stopped run
resumes and a finished one loads. On the test split every network trains for NF-P's budget
chosen on the learning curves. Each variant is compared with NF-P as compared, paired on
the training seeds and start states (targets.paired_difference); the page's one target,
"stride 4 better than stride 1", set before any of these runs, counts "better" only.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
from pathlib import Path
import threading
import time
from typing import Any

import numpy as np
import torch

from benchmarks.experiments.state_tier import policy_steps
from benchmarks.pages import records, report, targets
from benchmarks.pages.tier_page import recipe_label
from benchmarks.protocol import kinds, tier
from benchmarks.protocol.actors import NFPActor
from benchmarks.protocol.networks import train_actor
from benchmarks.protocol.splits import SPLIT_EPISODES, SPLIT_SEED0
from benchmarks.runs.run_dirs import job_run_dir, parse_shard
from nf_policy_ros.config import NFPConfig, SamplingConfig
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA, JointTask, TaskConfig

NAME = 'ablations'
# the two state tasks whose NF-P success at 10 demos on the tuning split (state_tier.json,
# 2000 steps, 3 seeds) is nearest 50 %: room to move both ways (decisions.md)
TASKS = ('hammer', 'lever-pull')
DEMOS = 10
BEST = SamplingConfig(mode='best_of_n', num_candidates=128, latent_std=0.5)


@dataclass(frozen=True)
class Variant:
    """One ablation: ``group``, ``variant`` (its name in the group), the paper's success %
    on Beat Block Hammer, the network's chunk (``stride``, ``horizon`` points), how it is
    sampled and the policy ticks each plan is followed."""

    group: str
    variant: str
    paper: int
    stride: int = 4
    horizon: int = 8
    sampling: SamplingConfig = BEST
    execute: int = 4

    @property
    def network(self) -> tuple[int, int]:
        return self.stride, self.horizon

    @property
    def evaluation(self) -> tuple:
        """What the rollouts depend on: variants equal here share one evaluation."""
        return self.stride, self.horizon, self.sampling, self.execute


VARIANTS = [
    Variant('stride', '1', 37, stride=1, execute=1),
    Variant('stride', '2', 48, stride=2, execute=2),
    Variant('stride', '4', 51),
    Variant('stride', '8', 46, stride=8),
    Variant('sampling', 'raw', 37, sampling=SamplingConfig(mode='sample', latent_std=1.0)),
    Variant('sampling', 'best-of-128', 50),
    Variant('sampling', 'refine', 51, sampling=SamplingConfig(mode='refine', refine_steps=10)),
    Variant('latent std', '1.0', 41, sampling=SamplingConfig(
        mode='best_of_n', num_candidates=128, latent_std=1.0)),
    Variant('latent std', '0.75', 47, sampling=SamplingConfig(
        mode='best_of_n', num_candidates=128, latent_std=0.75)),
    Variant('latent std', '0.5', 51),
    Variant('chunking', 'off (single action)', 28, stride=1, horizon=1, execute=1),
]
REFERENCE = Variant('stride', '4', 51)  # NF-P as compared, the state tier's 'nfp'
TARGET = ('stride', '4', '1')  # (group, must be better, than): set before these runs


def variant_config(variant: Variant, seed: int, steps: int) -> NFPConfig:
    """The state tier's recipe for ``steps`` with ``variant``'s chunk."""
    return tier.tier_config(steps, seed, variant.stride, variant.horizon)


def done() -> set[tuple]:
    """(task, demos, seed, group, variant, config hash, servo, split) already recorded: a
    new recipe or servo runs a variant again."""
    return {(r['task'], r['demos'], r['seed'], r['group'], r['variant'], r['config_hash'],
            r['servo_omega'], r['split']) for r in records.load(NAME)}


def my_trainings(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(task, seed) of this shard, task by task."""
    k, n = args.shard
    return [(t, s) for t in args.tasks for s in args.seeds][k::n]


def run_all(args: argparse.Namespace) -> None:
    """Every variant of this shard's (task, seed) not yet in ablations.json (with
    --write-docs)."""
    steps = nfp_steps(args)
    finished = done() if args.write_docs else set()
    stop = report.stop_after(args.max_minutes)
    for task_name in dict.fromkeys(t for t, _ in my_trainings(args)):
        task = JointTask(TaskConfig(task=task_name))
        try:
            seeds = [s for t, s in my_trainings(args) if t == task_name]
            if not run_task(args, task, seeds, steps, finished, stop):
                print(f'stopped after {args.max_minutes} min: re-run to resume', flush=True)
                return
        finally:
            task.close()


def nfp_steps(args: argparse.Namespace) -> int:
    """Training steps: ``--steps`` on the tuning split, NF-P's tuned budget on the test
    split (exits with one line while it is not final)."""
    if args.split == 'tune':
        return args.steps or tier.DEFAULT_STEPS
    return policy_steps(argparse.Namespace(
        split='test', steps=args.steps, policies=[kinds.NFP]))[kinds.NFP]


def run_task(args: argparse.Namespace, task: JointTask, seeds: list[int], steps: int,
             finished: set[tuple], stop: threading.Event) -> bool:
    """The variants of ``task`` for each of ``seeds``; False when ``stop`` came first."""
    demos = None
    for seed in seeds:
        trained: dict[tuple[int, int], tuple[Any, float]] = {}
        evaluated: dict[tuple, dict[str, Any]] = {}
        for variant in VARIANTS:
            config = variant_config(variant, seed, steps)
            key = (task.config.task, args.demos, seed, variant.group, variant.variant,
                   tier.config_hash(config), task.omega, args.split)
            if key in finished:
                continue
            if stop.is_set():
                return False
            demos = demos or tier.collect(task, args.demos)
            if variant.network not in trained:
                trained[variant.network] = train(args, task, demos, seed, config, stop)
                if stop.is_set():
                    return False
            policy, train_s = trained[variant.network]
            if variant.evaluation not in evaluated:
                actor = NFPActor(policy, variant.sampling, torch.Generator().manual_seed(seed))
                evaluated[variant.evaluation] = tier.evaluate(
                    task, actor, tier.episodes(args), variant.execute, split=args.split)
            record = {'task': task.config.task, 'demos': len(demos), 'seed': seed,
                      'steps': steps, 'group': variant.group, 'variant': variant.variant,
                      'paper_beat_block_hammer': variant.paper,
                      'execute_steps': variant.execute, 'train_s': train_s,
                      **tier.recipe_fields(config, budget(args)),
                      'servo_omega': task.omega, 'config_hash': key[5], 'split': args.split,
                      **evaluated[variant.evaluation],
                      'machine': report.machine_info(torch.device('cpu'))}
            print(json.dumps({k: record[k] for k in ('task', 'seed', 'group', 'variant',
                                                     'successes', 'episodes')}), flush=True)
            report.publish(NAME, record, render_page, args.write_docs)
    return True


def budget(args: argparse.Namespace) -> str:
    return 'tuned' if args.split == 'test' else 'fixed'


def train(args: argparse.Namespace, task: JointTask, demos: list, seed: int,
          config: NFPConfig, stop: threading.Event) -> tuple[Any, float]:
    """The NF-P network of ``config`` (trained, resumed or loaded in the state tier's run
    directory layout) and the seconds that took."""
    start = time.perf_counter()
    job = (task.config.task, args.demos, seed, kinds.NFP)
    run_dir = job_run_dir(args, job, config, task.omega)
    actor = train_actor(kinds.NFP, config, WindowDataset(demos[:args.demos], config.actions),
                        run_dir, stop=stop)
    return actor.policy, time.perf_counter() - start


def comparison_label(record: dict[str, Any]) -> str:
    """'hammer, 10 demos, 1000 steps (NF-P's tuned budget), lr 0.001, EMA warm-up, servo
    100, test split': the runs one verdict pairs."""
    steps = (f"{record['steps']} steps (NF-P's budget from the learning curves)"
             if record['budget'] == 'tuned' else f"{record['steps']} steps")
    return (f"{record['task']}, {record['demos']} demos, {steps}, {recipe_label(record)}, "
            f"{record['split']} split")


def by_comparison(every: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Finished records at each task's current servo, by ``comparison_label``, each as a
    record of a pseudo-policy '<group> <variant>' (targets.paired_difference reads it);
    the newest record of a (seed, variant) wins."""
    out: dict[str, dict[tuple, dict]] = {}
    for r in every:
        if 'successes' in r and r['servo_omega'] == TASK_OMEGA.get(r['task'], DEFAULT_OMEGA):
            runs = out.setdefault(comparison_label(r), {})
            runs[(r['seed'], r['group'], r['variant'])] = {
                **r, 'policy': f"{r['group']} {r['variant']}"}
    return {label: list(runs.values()) for label, runs in out.items()}


def verdict_lines(every: list[dict[str, Any]]) -> list[str]:
    """Per comparison and variant: the variant minus NF-P as compared, paired on seeds and
    start states, with its interval and verdict; then the stride target."""
    lines = []
    reference = f'{REFERENCE.group} {REFERENCE.variant}'
    for label, runs in sorted(by_comparison(every).items()):
        task = runs[0]['task']
        parts = []
        for variant in VARIANTS:
            name = f'{variant.group} {variant.variant}'
            if variant.evaluation == REFERENCE.evaluation:
                continue
            difference = targets.paired_difference(runs, task, reference, name)
            if difference is not None:
                parts.append(f'{name} {difference.text()} ({difference.verdict}, '
                             f"{difference.seeds} seed{'s' if difference.seeds > 1 else ''})")
        if parts:
            lines.append(f'- {label}: ' + '; '.join(parts) + '.')
        target = target_line(runs, task)
        if target:
            lines.append(f'  - {target}')
    return lines or ['- No variant paired with NF-P as compared yet.']


def target_line(runs: list[dict[str, Any]], task: str) -> str | None:
    """'Target stride 4 better than stride 1: **met**' by the verdict rule (None before both
    ran on a seed)."""
    group, better, worse = TARGET
    difference = targets.paired_difference(runs, task, f'{group} {worse}',
                                           f'{group} {better}')
    if difference is None:
        return None
    status = {targets.BETTER: 'met', targets.TOO_FEW: 'no verdict (fewer than '
              f'{targets.MIN_SEEDS} seeds)'}.get(difference.verdict, 'not met')
    return (f'Target {group} {better} better than {group} {worse}: {difference.text()} '
            f"over {difference.seeds} seed{'s' if difference.seeds > 1 else ''}, "
            f'{difference.verdict}: **{status}**.')


def _cell(runs: list[dict[str, Any]]) -> str:
    pooled = report.successes_with_interval(sum(r['successes'] for r in runs),
                                            sum(r['episodes'] for r in runs))
    rates = [100.0 * r['successes'] / r['episodes'] for r in runs]
    spread = f' ± {np.std(rates):.0f}' if len(runs) > 1 else ''
    return f'{sum(rates) / len(rates):.0f}{spread} (n={len(runs)}; {pooled})'


def table_rows(every: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per comparison and variant (seeds pooled), in VARIANTS order."""
    order = {(v.group, v.variant): i for i, v in enumerate(VARIANTS)}
    rows = []
    for label, runs in sorted(by_comparison(every).items()):
        by_variant: dict[tuple, list] = {}
        for r in runs:
            by_variant.setdefault((r['group'], r['variant']), []).append(r)
        for (group, variant), vr in sorted(by_variant.items(),
                                           key=lambda kv: order.get(kv[0], len(order))):
            ticks = sorted(r['tick_p50_ms'] for r in vr)
            rows.append([label, group, variant, _cell(vr), vr[0]['paper_beat_block_hammer'],
                         f'{ticks[len(ticks) // 2]:.1f}'])
    return rows


def render_page(every: list[dict[str, Any]]) -> str:
    return '\n'.join([
        '# NF-P ablations (generated by `python -m benchmarks.ablations`)\n',
        'State tier (9 joints + Meta-World state, joint targets). Each row pools the '
        'training seeds of one comparison: success in % (mean ± std over seeds, n = seeds; '
        "then successes/episodes pooled and their 95 % Wilson interval). The paper's "
        "column: success % on RoboTwin's Beat Block Hammer over 100 trials "
        '(../shared/paper/facts.md), a different task and robot: compare trends, not '
        'values. Split "tune": start states 10000+, "test": 20000+ (the headline\'s, '
        "each network trained for NF-P's budget from the learning curves). Variants equal to "
        'NF-P as compared (stride 4, best-of-128, std 0.5) are one evaluation. The tick time '
        "(median over seeds of each run's p50) is logged during evaluation, which may share "
        'the machine: latency claims come from policy_latency.md.\n',
        f"Latest machine: {report.describe_machine(every[-1]['machine'])}\n",
        report.markdown_table(['comparison', 'ablation', 'variant', 'success [%]',
                               'paper [%]', 'tick p50 [ms]'], table_rows(every)),
        '',
        '## Verdicts, checked by this script\n',
        'Each variant minus NF-P as compared (stride 4, best-of-128 at std 0.5, chunking '
        'on), in percentage points, paired on the training seeds and start states both '
        'ran, with a 95 % bootstrap interval over seeds and start states '
        '(targets.paired_difference): "better" or "worse" only when the interval excludes '
        '0, no verdict from fewer than 3 seeds. The one target, set before these runs, '
        'counts "better" only.\n',
        *verdict_lines(every),
        '',
    ])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS))
    parser.add_argument('--demos', type=int, default=DEMOS)
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--split', choices=list(SPLIT_SEED0), default='test')
    parser.add_argument('--steps', type=int, default=None,
                        help=f'training steps on the tuning split (default '
                        f"{tier.DEFAULT_STEPS}); the test split trains for NF-P's "
                        'budget from the learning curves')
    parser.add_argument('--episodes', type=int, default=None,
                        help="start states (default: the split's, "
                        f'{SPLIT_EPISODES})')
    parser.add_argument('--shard', type=parse_shard, default=(0, 1),
                        metavar='K/N', help='run every N-th (task, seed) from the K-th')
    parser.add_argument('--run-dir', type=Path, default=Path('runs/state_tier'),
                        help="trainings (the state tier's: its NF-P is stride 4)")
    parser.add_argument('--max-minutes', type=float, default=0.0,
                        help='stop after this long (0 = no limit); re-running resumes')
    return parser


def main(argv: list[str] | None = None) -> int:
    return report.run_script(build_parser(), argv, run_all, threads=1)
