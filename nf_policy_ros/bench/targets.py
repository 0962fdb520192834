# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark issue's success targets, checked from the records by the scripts that
render the pages (so a claim like "NF-P >= DP on 4 of 6 tasks" is never typed by hand).

Success rates are pooled over the training seeds both policies have run (successes /
episodes); "better" and "tie" are on those point estimates, so read them with the Wilson
intervals the tables print.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

BETTER, TIE, WORSE = 'NF-P better', 'tie', 'worse'


def pooled_rate(records: list[dict[str, Any]]) -> float | None:
    """Successes / episodes over ``records`` (finished runs only); None without any."""
    done = [r for r in records if 'successes' in r]
    episodes = sum(r['episodes'] for r in done)
    return sum(r['successes'] for r in done) / episodes if episodes else None


def paired_seeds(records: list[dict[str, Any]], task: str, opponent: str,
                 mine: str = 'nfp') -> set[int]:
    """Training seeds of ``task`` with a finished run of both ``mine`` (NF-P or one of its
    variants) and ``opponent``."""
    def seeds(policy: str) -> set[int]:
        return {r['seed'] for r in records
                if r['task'] == task and r['policy'] == policy and 'successes' in r}
    return seeds(mine) & seeds(opponent)


def verdicts(records: list[dict[str, Any]], tasks: Sequence[str],
             opponent: str = 'dp', mine: str = 'nfp') -> dict[str, str]:
    """task -> BETTER / TIE / WORSE for ``mine`` against ``opponent`` (policy kinds), pooled
    over the training seeds both have run (a paired comparison: same data, same seeds), for
    tasks with at least one such seed."""
    out = {}
    for task in tasks:
        seeds = paired_seeds(records, task, opponent, mine)
        if not seeds:
            continue
        nfp, dp = (pooled_rate([r for r in records if r['task'] == task
                                and r['policy'] == policy and r['seed'] in seeds])
                   for policy in (mine, opponent))
        out[task] = BETTER if nfp > dp else TIE if nfp == dp else WORSE
    return out


def status(at_least: int, measured: int, tasks: int, need: int) -> str:
    """'met', 'not met' (even winning every unmeasured task would not reach ``need``), or
    'open'."""
    if at_least >= need:
        return 'met'
    return 'not met' if at_least + tasks - measured < need else 'open'


def head_to_head_line(budget: str, records: list[dict[str, Any]], tasks: Sequence[str],
                      need: int, opponent: str = 'dp', label: str = 'DP',
                      mine: tuple[str, str] = ('nfp', 'NF-P')) -> str:
    """One Markdown bullet: on how many of ``tasks`` ``mine`` (kind, label) >=
    ``opponent`` (shown as ``label``) at this ``budget``, which tasks fall where, and
    whether the target (>= ``need`` tasks) is met."""
    verdict = verdicts(records, tasks, opponent, mine[0])
    at_least = sum(v != WORSE for v in verdict.values())
    names = {BETTER: f'{mine[1]} better', TIE: TIE, WORSE: f'{label} better'}
    groups = '; '.join(f"{names[kind]}: {', '.join(t for t, v in verdict.items() if v == kind)}"
                       for kind in (BETTER, TIE, WORSE) if kind in verdict.values())
    seeds = sorted({len(paired_seeds(records, t, opponent, mine[0])) for t in verdict})
    seed_text = '-'.join(str(n) for n in dict.fromkeys(seeds[:1] + seeds[-1:]))
    missing = [t for t in tasks if t not in verdict]
    return (f'- {budget}: {mine[1]} >= {label} on **{at_least} of {len(verdict)}** tasks '
            'measured '
            f'({groups or "none"}; seeds per task: {seed_text or 0}'
            + (f"; not measured: {', '.join(missing)}" if missing else '')
            + f'). Target >= {need} of {len(tasks)}: **'
            + status(at_least, len(verdict), len(tasks), need) + '**.')
