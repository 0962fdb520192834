# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Does low NF-P confidence predict failure? Episode-level AUROCs of success against
failure from closed-loop records (state tier, ablations, `make demo` evaluations), over
whole episodes and over an early window, and the confidence-trace plot. Used by
benchmarks.confidence_auroc; no torch or simulator here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.pages import records, tier_page
from benchmarks.protocol import kinds
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA
from nf_policy_ros.tools import plots

EARLY_PLANS = 10  # the early window [plans]: the shortest success seen took 14
TRACE_PLOT = 'confidence_traces.png'


def auroc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U)."""
    pos, neg = np.asarray(positive, float)[:, None], np.asarray(negative, float)[None, :]
    if pos.size == 0 or neg.size == 0:
        return float('nan')
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def early_mean(trace: list[float], plans: int = EARLY_PLANS) -> float:
    """Mean confidence of an episode's first ``plans`` plans (all of a shorter episode)."""
    return float(np.mean(trace[:plans]))


def episode_rows(records: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """(a) per group of closed-loop records: AUROC of mean/min confidence for success; with
    per-plan traces also of the first EARLY_PLANS plans' mean (before any episode ends, so
    not confounded by failures running to the time limit) and the mean plans per outcome."""
    rows = []
    for r in records:
        traces = r.get('episode_confidence_trace') or [None] * len(r.get('episode_success', []))
        episodes = [(s, c, t) for s, c, t in zip(r.get('episode_success', []),
                                                  r.get('episode_confidence', []), traces)
                    if c is not None]
        wins = [(c, t) for s, c, t in episodes if s]
        losses = [(c, t) for s, c, t in episodes if not s]
        if not wins or not losses:
            continue
        row = {'source': source, 'run': r.get('label', ''),
               'successes': len(wins), 'failures': len(losses),
               'auroc_mean': auroc([c[0] for c, _ in wins], [c[0] for c, _ in losses]),
               'auroc_min': auroc([c[1] for c, _ in wins], [c[1] for c, _ in losses]),
               'auroc_early': None, 'plans_success': None, 'plans_failure': None}
        if all(t for _, t in wins + losses):
            row.update(auroc_early=auroc([early_mean(t) for _, t in wins],
                                         [early_mean(t) for _, t in losses]),
                       plans_success=float(np.mean([len(t) for _, t in wins])),
                       plans_failure=float(np.mean([len(t) for _, t in losses])))
        rows.append(row)
    return rows


def labelled_records(name: str) -> list[dict[str, Any]]:
    """The closed-loop records of docs/benchmarks/<name>.json, each with a 'label'."""
    loaded = records.load(name)
    for r in loaded:
        r['label'] = run_label(r)
    return loaded


def run_label(record: dict[str, Any]) -> str:
    """'assembly, 50 demos, 6000 steps, nfp, seed 0': an ablation says its group and variant
    ('stride 4'), a record trained with another recipe or servo than today's says which."""
    formats = {'demos': '{demos} demos', 'steps': '{steps} steps', 'policy': '{policy}',
               'group': '{group} {variant}', 'seed': 'seed {seed}'}
    parts = [record['task']] + [text.format(**record) for key, text in formats.items()
                                if key in record]
    recipe = tier_page.recipe_label(record)
    today = {'task': record['task'], 'lr': 1e-3, 'ema_warmup': True,
             'servo_omega': TASK_OMEGA.get(record['task'], DEFAULT_OMEGA)}
    if recipe != tier_page.recipe_label(today):
        parts.insert(3, recipe)
    return ', '.join(parts)


def records_from_docs() -> list[dict[str, Any]]:
    return [row for name in ('state_tier', 'ablations')
            for row in episode_rows(labelled_records(name), name)]


def eval_record(path: Path) -> dict[str, Any]:
    """A `make demo` evaluation (nodes/sim/evaluate.py JSON) as a closed-loop record."""
    episodes = json.loads(path.read_text())['episodes']
    return {'label': str(path.parent.name),
            'episode_success': [bool(e['success']) for e in episodes],
            'episode_confidence': [[float(np.mean(e['confidence'])),
                                    float(np.min(e['confidence']))]
                                   if e['confidence'] else None for e in episodes],
            'episode_confidence_trace': [list(e['confidence']) for e in episodes]}


def records_from_eval(path: Path) -> list[dict[str, Any]]:
    return episode_rows([eval_record(path)], 'make demo (ROS)')


def _has_both_outcomes_traced(record: dict[str, Any]) -> bool:
    outcomes = {bool(s) for s, t in zip(record.get('episode_success', []),
                                        record.get('episode_confidence_trace') or []) if t}
    return outcomes == {True, False}


def traced_runs(eval_json: list[Path]) -> list[dict[str, Any]]:
    """The runs to plot: the newest simulated NF-P record (state tier or ablations) that
    re-plans every 4 steps as deployed and has per-plan traces of both a success and a
    failure, and the last `make demo` evaluation given that has both."""
    state = [r for name in ('state_tier', 'ablations') for r in labelled_records(name)
             if r.get('policy', kinds.NFP) == kinds.NFP and r.get('execute_steps', 4) == 4
             and _has_both_outcomes_traced(r)]
    state.sort(key=lambda r: r.get('machine', {}).get('date_utc', ''))  # newest last
    demo = [r for r in map(eval_record, eval_json) if _has_both_outcomes_traced(r)]
    return state[-1:] + demo[-1:]


def plot_traces(runs: list[dict[str, Any]], path: Path) -> None:
    """One panel per run: confidence per plan of every episode, green success, red failure,
    the early window shaded."""
    plt = plots.pyplot()
    fig, axes = plt.subplots(1, len(runs), figsize=(max(8, 6 * len(runs)), 4), squeeze=False)
    for ax, run_ in zip(axes[0], runs):
        plots.draw_confidence_traces(ax, run_['episode_success'],
                                     run_['episode_confidence_trace'])
        ax.axvspan(0, EARLY_PLANS - 1, color='0.9', zorder=0)
        ax.set(title=run_['label'])
    fig.suptitle(f'NF-P confidence per plan (green success, red failure; grey: the first '
                 f'{EARLY_PLANS} plans)')
    fig.tight_layout()
    plots.save(fig, path, dpi=90)
