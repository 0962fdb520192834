# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""NF-P ablations on one task of the state tier, next to the paper's numbers.

    OMP_NUM_THREADS=1 python -m benchmarks.ablations --task drawer-open --write-docs

- stride 1/2/4/8 (one model each, horizon 8);
- sampling on the stride-4 model: raw (one latent sample at std 1), best-of-128, refine;
- latent std 1.0/0.75/0.5 (best-of-128 on the stride-4 model);
- chunking off: horizon 1, a new single action every step.
Appends every variant to docs/benchmarks/ablations.json (finished variants are skipped on a
re-run) and renders ablations.md with the paper's Beat-Block-Hammer numbers
(../shared/paper/facts.md) beside ours.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch

from benchmarks import kinds, records, report
from benchmarks.actors import train_actor
from benchmarks.policies import NFPActor
from benchmarks.state_tier import collect, config_hash, evaluate, recipe_fields, tier_config
from benchmarks.tier_page import recipe_label
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import JointTask, TaskConfig

NAME = 'ablations'
BEST = SamplingConfig(mode='best_of_n', num_candidates=128, latent_std=0.5)
# (group, variant, paper success % on Beat Block Hammer, stride, horizon, sampling, execute)
VARIANTS = [
    ('stride', '1', 37, 1, 8, BEST, 1),
    ('stride', '2', 48, 2, 8, BEST, 2),
    ('stride', '4', 51, 4, 8, BEST, 4),
    ('stride', '8', 46, 8, 8, BEST, 4),
    ('sampling', 'raw', 37, 4, 8, SamplingConfig(mode='sample', latent_std=1.0), 4),
    ('sampling', 'best-of-128', 50, 4, 8, BEST, 4),
    ('sampling', 'refine', 51, 4, 8, SamplingConfig(mode='refine', refine_steps=10), 4),
    ('latent std', '1.0', 41, 4, 8, SamplingConfig(mode='best_of_n', num_candidates=128,
                                                   latent_std=1.0), 4),
    ('latent std', '0.75', 47, 4, 8, SamplingConfig(mode='best_of_n', num_candidates=128,
                                                    latent_std=0.75), 4),
    ('latent std', '0.5', 51, 4, 8, BEST, 4),
    ('chunking', 'off (single action)', 28, 1, 1, BEST, 1),
]


def done(task: str, demos: int, steps: int) -> set[tuple[str, str, str, float]]:
    """(group, variant, config hash, servo rad/s) of the variants already in ablations.json
    for this task, demo count and budget: a new recipe or servo runs them again."""
    return {(r['group'], r['variant'], r['config_hash'], r['servo_omega'])
            for r in records.load(NAME)
            if (r['task'], r['demos'], r['steps']) == (task, demos, steps)}


def run_all(args: argparse.Namespace) -> None:
    finished = done(args.task, args.demos, args.steps) if args.write_docs else set()
    task = JointTask(TaskConfig(task=args.task))
    demos = collect(task, args.demos)
    models: dict[tuple[int, int], Any] = {}
    for group, variant, paper, stride, horizon, sampling, execute in VARIANTS:
        config = tier_config(args.steps, args.seed, stride, horizon)
        if (group, variant, config_hash(config), task.omega) in finished:
            continue
        if (stride, horizon) not in models:
            start = time.perf_counter()
            actor = train_actor(kinds.NFP, config, WindowDataset(demos, config.actions))
            models[(stride, horizon)] = (actor.policy, time.perf_counter() - start)
        policy, train_s = models[(stride, horizon)]
        actor = NFPActor(policy, sampling, torch.Generator().manual_seed(args.seed))
        record = {'task': args.task, 'demos': len(demos), 'steps': args.steps,
                  'group': group, 'variant': variant, 'paper_beat_block_hammer': paper,
                  'execute_steps': execute, 'train_s': train_s,
                  **recipe_fields(config), 'servo_omega': task.omega,
                  'config_hash': config_hash(config),
                  **evaluate(task, actor, args.episodes, execute),
                  'machine': report.machine_info(torch.device('cpu'))}
        print(json.dumps({k: record[k] for k in ('group', 'variant', 'successes',
                                                 'episodes')}), flush=True)
        report.publish(NAME, record, render_page, args.write_docs)
    task.close()


def stride_target_lines(records: list[dict[str, Any]]) -> list[str]:
    """'stride 4 beats stride 1' per (task, demos, steps, recipe) with both variants run
    (the newest run of each)."""
    groups: dict[str, dict[str, dict]] = {}
    for r in records:
        if r['group'] == 'stride':
            label = f"{r['task']}, {r['demos']} demos, {r['steps']} steps, {recipe_label(r)}"
            groups.setdefault(label, {})[r['variant']] = r
    lines = []
    for label, by_stride in sorted(groups.items()):
        if {'1', '4'} <= by_stride.keys():
            four, one = (by_stride[v]['successes'] / by_stride[v]['episodes'] for v in '41')
            lines.append(f'- {label}: stride 4 {100 * four:.0f} % vs stride 1 '
                         f'{100 * one:.0f} %. Target stride 4 > stride 1: '
                         f"**{'met' if four > one else 'not met'}**.")
    return lines or ['- No run with both stride 1 and stride 4 yet.']


def render_page(records: list[dict[str, Any]]) -> str:
    rows = [[r['task'], r['demos'], r['steps'], recipe_label(r), r['group'], r['variant'],
             f"{100.0 * r['successes'] / r['episodes']:.0f} "
             f"({report.successes_with_interval(r['successes'], r['episodes'])})",
             r['paper_beat_block_hammer'], r['tick_p50_ms'], r['machine']['git_sha'][:10]]
            for r in records]
    return '\n'.join([
        '# NF-P ablations (generated by `python -m benchmarks.ablations`)\n',
        'State tier (9 joints + Meta-World state, joint targets), one task, evaluation seeds '
        "10000+. The paper's column: success % on RoboTwin's Beat Block Hammer over 100 "
        'trials (../shared/paper/facts.md), a different task and robot: compare trends, not '
        'values. Success with its 95 % Wilson interval. Every variant appended, newest '
        'last. The tick time is logged during evaluation, which may share the machine with '
        'other runs: latency claims come from policy_latency.md, measured on a quiet '
        'machine.\n',
        f"Latest machine: {report.describe_machine(records[-1]['machine'])}\n",
        report.markdown_table(['task', 'demos', 'train steps', 'recipe', 'ablation', 'variant',
                               'success [%]', 'paper [%]', 'tick p50 [ms]', 'git'], rows),
        '',
        '## Target, checked by this script\n',
        'On point estimates (newest run of each variant): read them with the intervals '
        'above.\n',
        *stride_target_lines(records),
        '',
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--task', default='drawer-open')
    parser.add_argument('--demos', type=int, default=20)
    parser.add_argument('--steps', type=int, default=2000)
    parser.add_argument('--episodes', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    return report.run_script(parser, argv, run_all, threads=1)


if __name__ == '__main__':
    raise SystemExit(main())
