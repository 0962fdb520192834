# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Can a held-out signal pick an NF-P training's checkpoint? Offline, on the learning curves'
held-out demos (issue 32's alternative learning-curve target).

    OMP_NUM_THREADS=1 python -m benchmarks.curve_signal --policy nfp2 --write-docs

For every learning-curve training of ``--policy`` (benchmarks.learning_curve: 50 demos and
3 held-out demos after them, EMA snapshots at 1k ... 16k steps) and every snapshot: the arm
error of the plan the policy acts with (its kind's sampler; recipe 2: the zero latent) on
every window of the held-out demos, RMSE over the 7 arm joints and the chunk's points [rad].
Held-out NLL, logged by the training itself, is the signal it is compared with.

The rule, written before the first run: a signal picks, in each training, the snapshot where
it is lowest; the picks' pooled tuning-split success is compared with the best single step's
pooled success (the budget the learning curve chooses). The signal *agrees with success*
when its picks come within 5 points of that best step: the tolerance of the curve target it
stands in for (16k steps within 5 points of the best step).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.pages import curve_page, records, report
from benchmarks.protocol import kinds
from benchmarks.protocol.splits import TASKS
from benchmarks.protocol.tier import VAL_DEMOS, collect, config_hash
from benchmarks.runs import run_dirs
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.policy import NFPolicy
from nf_policy_ros.data.windows import WindowDataset
from nf_policy_ros.sim.task import ARM_JOINTS, JointTask, TaskConfig
from nf_policy_ros.structs import Observation

NAME = 'curve_signal'
CURVES = 'learning_curves'
ARM = list(range(len(ARM_JOINTS)))
TOLERANCE = 5.0  # [points] the rule's agreement margin (module docstring)
SIGNALS = {'val_plan_rmse': 'held-out plan arm error', 'val_nll': 'held-out NLL'}


@torch.no_grad()
def plan_arm_error(policy: NFPolicy, data: WindowDataset, sampling: SamplingConfig,
                   seed: int = 0, arm: list[int] = ARM) -> float:
    """Mean over the windows of ``data`` of the RMSE [robot units: rad] between the plan
    ``sampling`` draws for the window's observation and the demonstrated chunk, over the
    chunk's T_a points and the ``arm`` joints (Meta-World: the 7 arm joints)."""
    policy.eval()
    batch = data.batch(np.arange(len(data)))
    obs = Observation(images=None, state=torch.from_numpy(batch['state']))
    plans = policy.predict(obs, sampling, torch.Generator().manual_seed(seed)).actions
    target = torch.from_numpy(batch['actions'])
    return float((plans[..., arm] - target[..., arm]).square().mean(dim=(-1, -2)).sqrt().mean())


def curve_records(policy: str) -> list[dict[str, Any]]:
    """The learning curve's current tuning-split records of ``policy``."""
    return [r for r in curve_page.current(records.load(CURVES)) if r['policy'] == policy]


def run_all(args: argparse.Namespace) -> None:
    """One record per (task, seed, snapshot) of ``args.policy``'s curve not yet recorded."""
    kind = kinds.get(args.policy)
    done = {(r['task'], r['seed'], r['config_hash'], r['step']) for r in records.load(NAME)}
    evaluated = curve_records(args.policy)
    for task_name in args.tasks:
        task = demos = None
        for seed in sorted({r['seed'] for r in evaluated if r['task'] == task_name}):
            mine = [r for r in evaluated if (r['task'], r['seed']) == (task_name, seed)]
            chash = mine[0]['config_hash']
            steps = sorted(r['step'] for r in mine
                           if (task_name, seed, chash, r['step']) not in done)
            if not steps:
                continue
            if task is None:
                task = JointTask(TaskConfig(task=task_name))
                demos = collect(task, args.demos + VAL_DEMOS)
            config = run_dirs.curve_config(mine[0]['max_steps'], seed, kind)
            if config_hash(config) != chash:
                raise SystemExit(f'{task_name} seed {seed}: config hash {config_hash(config)} '
                                 f"of today's {args.policy} recipe: expected {chash}, the "
                                 "curve's (its recipe changed since)")
            run = run_dirs.training_dir(args.run_dir, args.demos, (task_name, args.policy, seed),
                                        config, task.omega)
            val = WindowDataset(demos[args.demos:], config.actions)
            for step in steps:
                policy, _ = load_policy(run / 'snapshots' / f'step_{step:06d}.pt')
                record = {'task': task_name, 'seed': seed, 'policy': args.policy,
                          'config_hash': chash, 'step': step, 'windows': len(val),
                          'val_plan_rmse': plan_arm_error(policy, val, kind.sampler, seed),
                          'machine': report.machine_info(torch.device('cpu'))}
                print({k: v for k, v in record.items() if k != 'machine'}, flush=True)
                report.publish(NAME, record, render_page, args.write_docs)
        if task is not None:
            task.close()


def picks(signal: dict[tuple, dict[int, float]]) -> dict[tuple, int]:
    """Per training (task, seed): the step where ``signal`` is lowest (ties: fewer steps)."""
    return {training: min(sorted(by_step), key=by_step.get)
            for training, by_step in signal.items()}


def pooled(success: dict[tuple, dict[int, dict]], chosen: dict[tuple, int]) -> tuple[int, int]:
    """(successes, episodes) of the snapshot ``chosen`` in each training."""
    runs = [success[t][step] for t, step in chosen.items()]
    return sum(r['successes'] for r in runs), sum(r['episodes'] for r in runs)


def verdict(success: dict[tuple, dict[int, dict]], chosen: dict[tuple, int]
            ) -> tuple[float, int, float, str]:
    """(picks' pooled success %, best single step, its pooled success %, 'agrees' / 'misses
    by N points') under the module docstring's rule."""
    got = pooled(success, chosen)
    steps = set.intersection(*(set(s) for s in success.values()))
    at_step = {s: pooled(success, {t: s for t in success}) for s in sorted(steps)}
    best = max(at_step, key=lambda s: at_step[s][0] / at_step[s][1])
    mine, top = 100 * got[0] / got[1], 100 * at_step[best][0] / at_step[best][1]
    gap = round(top - mine, 9)  # a gap of exactly the tolerance is within it
    state = 'agrees' if gap <= TOLERANCE else f'misses by {gap - TOLERANCE:.1f} points'
    return mine, best, top, state


def signal_table(every: list[dict[str, Any]], curve: list[dict[str, Any]]) -> tuple[list, list]:
    """Per training: each step's plan error [rad] / held-out NLL / success, the picks; and
    per signal the pooled verdict. Only trainings every signal covers at every step."""
    success = {}
    for r in curve:
        success.setdefault((r['task'], r['seed']), {})[r['step']] = r
    values: dict[str, dict[tuple, dict[int, float]]] = {name: {} for name in SIGNALS}
    for r in every:
        values['val_plan_rmse'].setdefault((r['task'], r['seed']), {})[r['step']] = \
            r['val_plan_rmse']
    for r in curve:
        if r.get('val_nll') is not None:
            values['val_nll'].setdefault((r['task'], r['seed']), {})[r['step']] = r['val_nll']
    complete = [t for t in success if all(set(values[n].get(t, {})) == set(success[t])
                                          for n in SIGNALS)]
    success = {t: success[t] for t in complete}
    values = {n: {t: values[n][t] for t in complete} for n in SIGNALS}
    chosen = {n: picks(values[n]) for n in SIGNALS}
    rows = []
    for t in sorted(complete, key=lambda t: (TASKS.index(t[0]), t[1])):
        cells = ', '.join(f"{s}: {values['val_plan_rmse'][t][s]:.3f} / "
                          f"{values['val_nll'][t][s]:.2f} / "
                          f"{100 * success[t][s]['successes'] / success[t][s]['episodes']:.0f} %"
                          for s in sorted(success[t]))
        best = max(sorted(success[t]), key=lambda s: success[t][s]['successes'])
        rows.append([t[0], t[1], cells, chosen['val_plan_rmse'][t], chosen['val_nll'][t],
                     best])
    verdicts = []
    if complete:
        for name, label in SIGNALS.items():
            mine, best, top, state = verdict(success, chosen[name])
            verdicts.append([label, f'{mine:.1f} %', f'{best} steps: {top:.1f} %', state])
    return rows, verdicts


def render_page(every: list[dict[str, Any]]) -> str:
    policies = sorted({r['policy'] for r in every})
    lines = ['# Choosing the checkpoint by a held-out signal (generated by '
             '`python -m benchmarks.curve_signal`)', '',
             *(paragraph.replace('\n', ' ') + '\n' for paragraph in
               __doc__.strip().split('\n\n')[2:])]
    for policy in policies:
        rows, verdicts = signal_table([r for r in every if r['policy'] == policy],
                                      curve_records(policy))
        lines += [f'## {curve_page.policy_name(policy)}', '',
                  'Per training: at each snapshot, held-out plan arm error [rad] / held-out '
                  'NLL per dimension [nats] / tuning-split success; the step each signal '
                  'picks (lowest) and the best-success step.', '',
                  report.markdown_table(['task', 'seed', 'step: plan error / NLL / success',
                                         'plan error picks', 'NLL picks', 'best success at'],
                                        rows), '',
                  report.markdown_table(['signal', "its picks' pooled success",
                                         'best single step', f'rule (within {TOLERANCE:g} '
                                         'points)'], verdicts), '']
    machines = sorted({report.describe_machine(r['machine']) for r in every})
    lines += ['## Machines', '', *[f'- {m}' for m in machines[:4]]]
    return '\n'.join(lines) + '\n'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--policy', default='nfp2',
                        choices=[k.key for k in kinds.trained(kinds.STATE)
                                 if k.network == kinds.NFP])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS), choices=TASKS)
    parser.add_argument('--demos', type=int, default=50)
    parser.add_argument('--run-dir', type=Path, default=run_dirs.CURVE_RUNS)
    return parser


def main(argv: list[str] | None = None) -> int:
    return report.run_script(build_parser(), argv, run_all, threads=1)
