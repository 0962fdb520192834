# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The success pages of the state and vision tiers, drawn from their records: one row per
(task, demos, steps, recipe, config), one column per policy, then the head-to-head target
per budget (benchmarks.targets); columns, studies and targets come from benchmarks.kinds.
No simulator or torch here: pages redraw in milliseconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.pages import report, targets
from benchmarks.protocol import kinds
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA


def training_label(record: dict[str, Any]) -> str:
    """'lr 0.001, EMA warm-up' (or 'EMA fixed 0.999': a constant decay), then what sets a
    vision-tier run apart (image size, placement, encoder warm-up)."""
    ema = 'EMA warm-up' if record['ema_warmup'] else 'EMA fixed 0.999'
    return f"lr {record['lr']:g}, {ema}{vision_label(record)}"


def vision_label(record: dict[str, Any]) -> str:
    """', 48 px, placement x2, encoder warm-up 1000 (auto), camera path 3' for a
    vision-tier record ('' for the state tier's, which have no image), so runs of different
    camera recipes never share a row or a target (camera path: state_tier.camera_path)."""
    if 'encoder_warmup_steps' not in record:
        return ''
    parts = [f"{record['image']} px"]
    if record['object_range_scale'] != 1.0:
        parts.append(f"placement x{record['object_range_scale']:g}")
    if record['encoder_warmup_steps']:
        precision = record['warmup_precision']
        parts.append(f"encoder warm-up {record['encoder_warmup_steps']}"
                     + (f' ({precision})' if precision != 'fp32' else ''))
    if record['camera_path'] >= 3:  # older paths are told apart by the settings above
        parts.append(f"camera path {record['camera_path']}")
    return ', ' + ', '.join(parts)


def recipe_label(record: dict[str, Any]) -> str:
    """'lr 0.001, EMA warm-up, servo 300': the servo bandwidth [rad/s] is the simulated
    robot's, for both policies."""
    return f"{training_label(record)}, servo {record['servo_omega']:g}"


def target_lines(records: list[dict[str, Any]], tasks: Sequence[str], need: int) -> list[str]:
    """The head-to-head target per budget (demos, steps, lr, EMA) for each (mine, opponent)
    of ``kinds.head_to_head`` both measured, on finished runs at each task's current servo
    bandwidth."""
    return budget_target_lines(records, tasks, need) or [NO_BUDGET]


NO_BUDGET = '- No budget with both NF-P and DP measured yet.'


def budget_target_lines(records: list[dict[str, Any]], tasks: Sequence[str],
                        need: int) -> list[str]:
    """``target_lines`` without the line that says there are none."""
    return [targets.head_to_head_line(label, runs, tasks, need, opponent.key, opponent.column,
                                      (mine.key, mine.column))
            for label, runs in sorted(current_budgets(records).items())
            for mine, opponent in kinds.head_to_head()
            if targets.verdicts(runs, tasks, opponent.key, mine.key)]


def all_target_lines(records: list[dict[str, Any]],
                     targets: list[tuple[Sequence[str], int]]) -> list[str]:
    """``target_lines`` of each (tasks, need), each shown where it has a verdict line."""
    return [line for tasks, need in targets
            for line in budget_target_lines(records, tasks, need)] or [NO_BUDGET]


def current_budgets(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Finished runs at each task's current servo bandwidth, by budget label ('10 demos,
    2000 steps, lr 0.001, EMA warm-up, tune split'): splits never pool."""
    budgets: dict[str, list] = {}
    for r in records:
        if 'successes' in r and r['servo_omega'] == TASK_OMEGA.get(r['task'], DEFAULT_OMEGA):
            budgets.setdefault(budget_label(r), []).append(r)
    return budgets


def budget_label(record: dict[str, Any]) -> str:
    """The comparison a record belongs to: its demos, split and either its fixed steps and
    recipe, or (budget 'tuned') each policy on its own recipe and tuned budget."""
    if record['budget'] == 'tuned':
        return (f"{record['demos']} demos, each policy on its own recipe for its budget "
                f"chosen on the tuning split (learning_curves.md), {record['split']} split")
    return (f"{record['demos']} demos, {record['steps']} steps, {training_label(record)}, "
            f"{record['split']} split")


def sampler_lines(records: list[dict[str, Any]]) -> list[str]:
    """Per budget and study of ``kinds.sampler_studies``: the policy's success with its
    reference kind and with the other kind, pooled over the trainings (task, seed) run both
    ways. One training serves every sampler of a policy, so there the difference is the
    sampler's alone."""
    lines = []
    for label, runs in sorted(current_budgets(records).items()):
        by_kind = {(r['task'], r['seed'], r['policy']): r for r in runs}
        for study in kinds.sampler_studies():
            both = sorted((task, seed) for task, seed, p in by_kind
                          if p == study.other.key and (task, seed, study.base.key) in by_kind)
            if both:
                lines.append(_sampler_line(label, study, both, by_kind))
    return lines


def _sampler_line(label: str, study: kinds.Study, both: list[tuple[str, int]],
                  by_kind: dict[tuple, dict[str, Any]]) -> str:
    """'- budget: DP DDIM-10 12/40, CI .. vs DP DDPM-100 24/40, CI .. on the same 2 DP
    trainings (hammer, lever-pull).' for the (task, seed) pairs ``both``."""
    pooled = [report.successes_with_interval(
        sum(by_kind[(*t, kind.key)]['successes'] for t in both),
        sum(by_kind[(*t, kind.key)]['episodes'] for t in both))
        for kind in (study.base, study.other)]
    tasks = ', '.join(dict.fromkeys(task for task, _ in both))
    plural = 's' if len(both) > 1 else ''
    return (f'- {label}: {study.base.actor_name} {pooled[0]} vs {study.other.actor_name} '
            f'{pooled[1]} on the same {len(both)} {study.same}{plural} ({tasks}).')


def _cell(records: list[dict[str, Any]]) -> str:
    done = [r for r in records if 'successes' in r]
    if not done:
        return records[0].get('error', 'n/a') if records else ''
    rates = [100.0 * r['successes'] / r['episodes'] for r in done]
    pooled = report.successes_with_interval(sum(r['successes'] for r in done),
                                            sum(r['episodes'] for r in done))
    return f'{np.mean(rates):.0f} ± {np.std(rates):.0f} (n={len(rates)}; {pooled})'


def render_page(records: list[dict[str, Any]], title: str, setup: str, tier: str,
                target: tuple[Sequence[str], int] | list[tuple[Sequence[str], int]],
                lead: Sequence[str] = ()) -> str:
    """``lead`` (Markdown lines: a headline) under the machine line, then one row per
    (task, demos, steps, recipe, config), one column per kind of ``tier``
    (``kinds.columns``, in order) that has a record; then the head-to-head target (NF-P
    better than DP on at least ``need`` of the tasks ``tasks``) per budget, for ``target``
    = (tasks, need) or each of a list of them."""
    columns = kinds.columns(tier)
    groups: dict[tuple, dict[str, list]] = {}
    for r in records:
        # one row pools the training seeds (each seed has its own config hash)
        key = (r['task'], r['demos'], r['steps'], recipe_label(r), r['split'])
        groups.setdefault(key, {}).setdefault(r['policy'], []).append(r)
    shown = [k for k in columns if any(r['policy'] == k for r in records)]
    rows = [[task, demos, steps, recipe, split, *[_cell(by.get(k, [])) for k in shown],
             ', '.join(sorted({r['config_hash'] for runs in by.values() for r in runs}))]
            for (task, demos, steps, recipe, split), by in sorted(groups.items())]
    return '\n'.join([
        title + '\n',
        setup + ', same demos, recipe, steps and evaluation start states (split "tune": '
        '10000+, for every decision; "test": 20000+, for headline numbers once the choices '
        'are frozen). Success rate in % '
        '(mean ± std over training seeds, n = seeds; then successes/episodes pooled over '
        'seeds and their 95 % Wilson interval). Final checkpoint, no best-of-evaluations '
        'selection.\n',
        f"Latest machine: {report.describe_machine(records[-1]['machine'])}\n",
        *lead,
        '## All runs\n',
        report.markdown_table(['task', 'demos', 'train steps', 'recipe', 'split',
                               *[f'{columns[k]} success [%]' for k in shown],
                               'configs (one per seed)'], rows),
        '',
        '## Targets, checked by this script\n',
        'Per task: success of the first policy minus the second, paired on the training '
        "seeds and start states both ran, at each task's current servo, with a 95 % "
        'bootstrap interval over seeds and start states. "Better" only when the interval '
        'lies above 0, "worse" only when below, else no detectable difference; no verdict '
        'from fewer than 3 seeds; a tie is not a win. '
        f'{splits_note(records)}\n',
        *all_target_lines(records, target if isinstance(target, list) else [target]),
        '',
        *sampler_section(records),
    ])


def splits_note(records: list[dict[str, Any]]) -> str:
    """Which evaluation splits the head-to-head records come from."""
    splits = sorted({r['split'] for r in records})
    if splits == ['tune']:
        return 'All records so far are on the tuning split (start states 10000+).'
    return f"Records on the {' and '.join(splits)} splits; each verdict names its split."


def sampler_section(records: list[dict[str, Any]]) -> list[str]:
    """The section "How much of each policy's result is its sampler's" with
    ``sampler_lines``; [] without any."""
    lines = sampler_lines(records)
    if not lines:
        return []
    return ["## How much of each policy's result is its sampler's\n",
            'Success (successes/episodes pooled, 95 % Wilson interval) with the compared '
            'sampler (DP DDIM-10, NF-P best-of-128) and with another sampler of the very '
            'same trained networks. NF-P "sample std 1" draws one exact sample of the '
            'learned density (the counterpart of DDPM); "zero latent" maps the latent mode '
            '(deterministic, as DDIM with eta 0). "action noise": NF-P trained with that '
            'Gaussian noise on its normalized action chunks (another network, same demos '
            'and seeds).\n',
            *lines, '']
