# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark issue's success targets, checked from the records by the scripts that
render the pages (so a claim like "NF-P better than DP on 4 of 6 tasks" is never typed by
hand).

Verdicts follow ../shared/EVALUATION.md: policies are compared paired (same task, demos,
training seeds and evaluation start states); the success difference gets a 95 % bootstrap
interval that resamples training seeds and start states (scipy.stats.bootstrap, percentile
method); "better" only when the interval lies above 0, "worse" only when below, otherwise
"no detectable difference"; no verdict from fewer than ``MIN_SEEDS`` training seeds. A tie
is not a win: a target "NF-P >= DP on k tasks" counts the tasks where NF-P is *better*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy import stats

from benchmarks.protocol import kinds

BETTER, NO_DIFFERENCE, WORSE, TOO_FEW = ('better', 'no detectable difference', 'worse',
                                         'too few seeds')
MIN_SEEDS = 3
CONFIDENCE = 0.95
RESAMPLES = 2000


class Difference(NamedTuple):
    """Success of ``mine`` minus the opponent's [fraction], with its 95 % interval."""

    mean: float
    low: float
    high: float
    seeds: int
    episodes: int  # start states per seed

    @property
    def verdict(self) -> str:
        if self.seeds < MIN_SEEDS:
            return TOO_FEW
        return BETTER if self.low > 0 else WORSE if self.high < 0 else NO_DIFFERENCE

    def text(self) -> str:
        """'+12 pts [3, 21]' (percentage points and the interval)."""
        return f'{100 * self.mean:+.0f} pts [{100 * self.low:.0f}, {100 * self.high:.0f}]'


def pooled_rate(records: list[dict[str, Any]]) -> float | None:
    """Successes / episodes over ``records`` (finished runs only); None without any."""
    done = [r for r in records if 'successes' in r]
    episodes = sum(r['episodes'] for r in done)
    return sum(r['successes'] for r in done) / episodes if episodes else None


def _outcomes(records: list[dict[str, Any]], task: str, policy: str) -> dict[int, list]:
    """seed -> per-episode successes of ``policy`` on ``task`` (runs that recorded them)."""
    return {r['seed']: r['episode_success'] for r in records
            if r['task'] == task and r['policy'] == policy and r.get('episode_success')}


def paired_seeds(records: list[dict[str, Any]], task: str, opponent: str,
                 mine: str = kinds.NFP) -> set[int]:
    """Training seeds of ``task`` with per-episode outcomes of both ``mine`` and
    ``opponent``."""
    return set(_outcomes(records, task, mine)) & set(_outcomes(records, task, opponent))


def paired_difference(records: list[dict[str, Any]], task: str, opponent: str,
                      mine: str = kinds.NFP) -> Difference | None:
    """``mine`` minus ``opponent`` on the seeds and start states both ran; None if none.

    The statistic is the mean of D[s, e] = success_mine - success_opponent over a resampled
    grid of seeds s and start states e (each resampled with replacement, independently):
    the interval covers both the training-seed and the start-state variation.
    """
    return pooled_difference(records, [task], opponent, mine)


def pooled_difference(records: list[dict[str, Any]], tasks: Sequence[str], opponent: str,
                      mine: str = kinds.NFP) -> Difference | None:
    """``mine`` minus ``opponent`` averaged over ``tasks`` with equal weight, each on its
    paired seeds and start states (``paired_difference`` for one task); the interval
    resamples seeds and start states within each task (a stratified bootstrap). ``seeds``
    is the fewest any task has, so a verdict needs every task at MIN_SEEDS; None when a
    task has no paired seed."""
    grids = [_paired_grid(records, task, opponent, mine) for task in tasks]
    if not grids or any(g is None for g in grids):
        return None
    mean = float(np.mean([g.mean() for g in grids]))
    seeds, episodes = min(g.shape[0] for g in grids), min(g.shape[1] for g in grids)
    if all(np.all(g == g.flat[0]) for g in grids):  # nothing to resample (scipy would warn)
        return Difference(mean, mean, mean, seeds, episodes)
    # one resampled index sample per axis that varies: (task, 0) seeds, (task, 1) episodes
    axes = [(i, axis) for i, g in enumerate(grids) for axis in (0, 1) if g.shape[axis] > 1]

    def statistic(*chosen):
        picks = [[np.arange(g.shape[0]), np.arange(g.shape[1])] for g in grids]
        for (i, axis), index in zip(axes, chosen):
            picks[i][axis] = index.astype(int)
        return np.mean([g[np.ix_(*pick)].mean() for g, pick in zip(grids, picks)])
    samples = tuple(np.arange(grids[i].shape[axis]) for i, axis in axes)
    ci = stats.bootstrap(samples, statistic, paired=False, vectorized=False,
                         method='percentile', confidence_level=CONFIDENCE,
                         n_resamples=RESAMPLES, random_state=0).confidence_interval
    return Difference(mean, float(ci.low), float(ci.high), seeds, episodes)


def _paired_grid(records: list[dict[str, Any]], task: str, opponent: str,
                 mine: str) -> np.ndarray | None:
    """D[s, e] = success_mine - success_opponent on ``task``'s paired seeds s and their
    first common start states e; None without a paired seed."""
    seeds = sorted(paired_seeds(records, task, opponent, mine))
    if not seeds:
        return None
    a, b = _outcomes(records, task, mine), _outcomes(records, task, opponent)
    n = min(min(len(a[s]), len(b[s])) for s in seeds)
    return np.array([np.asarray(a[s][:n], float) - np.asarray(b[s][:n], float)
                     for s in seeds])


def verdicts(records: list[dict[str, Any]], tasks: Sequence[str],
             opponent: str = kinds.DP, mine: str = kinds.NFP) -> dict[str, Difference]:
    """task -> paired difference of ``mine`` against ``opponent`` (its ``.verdict``), for
    tasks with at least one seed both ran with per-episode outcomes."""
    out = {}
    for task in tasks:
        difference = paired_difference(records, task, opponent, mine)
        if difference is not None:
            out[task] = difference
    return out


def status(at_least: int, measured: int, tasks: int, need: int) -> str:
    """'met', 'not met' (even winning every unmeasured task would not reach ``need``), or
    'open'."""
    if at_least >= need:
        return 'met'
    return 'not met' if at_least + tasks - measured < need else 'open'


def head_to_head_line(budget: str, records: list[dict[str, Any]], tasks: Sequence[str],
                      need: int, opponent: str = kinds.DP, label: str = 'DP',
                      mine: tuple[str, str] = (kinds.NFP, 'NF-P')) -> str:
    """One Markdown bullet: per task, ``mine`` (kind, label) minus ``opponent`` (shown as
    ``label``) with its interval, grouped by verdict, and whether the target (``mine``
    better on >= ``need`` of ``tasks``) is met."""
    found = verdicts(records, tasks, opponent, mine[0])
    better = sum(d.verdict == BETTER for d in found.values())
    decided = sum(d.verdict != TOO_FEW for d in found.values())
    names = {BETTER: f'{mine[1]} better', NO_DIFFERENCE: NO_DIFFERENCE,
             WORSE: f'{label} better', TOO_FEW: f'fewer than {MIN_SEEDS} seeds, no verdict'}
    groups = '; '.join(
        f'{names[kind]}: ' + ', '.join(f'{t} {d.text()}' for t, d in found.items()
                                       if d.verdict == kind)
        for kind in names if any(d.verdict == kind for d in found.values()))
    missing = [t for t in tasks if t not in found]
    return (f'- {budget}: {mine[1]} - {label}, success difference with 95 % CI '
            f'({groups or "none"}'
            + (f"; not measured: {', '.join(missing)}" if missing else '')
            + f'). Target {mine[1]} better on >= {need} of {len(tasks)}: **'
            + status(better, decided, len(tasks), need) + '**.')
