# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The state tier's headline section, and the choices the test-split headline runs on,
each made on the tuning split by a rule fixed before its numbers (docs/decisions.md):
every policy's training budget (from the learning curves) and DP (own recipe)'s fast
sampler (from a sampler study at its budget). Which kinds take part is theirs to say
(``Kind.headline``, benchmarks.protocol.kinds). scripts/headline.sh asks the choices with
``python -m benchmarks.headline`` (benchmarks.experiments.headline)."""

from __future__ import annotations

from typing import Any

from benchmarks.pages import curve_page, records, report, targets
from benchmarks.protocol import kinds
from benchmarks.protocol.splits import SPLIT_EPISODES, TASKS
from nf_policy_ros.sim.task import DEFAULT_OMEGA, TASK_OMEGA

# the opponent's fast samplers (DP (own recipe)'s), the published one first: it keeps a tie
FAST_SAMPLERS = tuple(kinds.fast_samplers())
STUDY_DEMOS, STUDY_SEED = 50, 0  # the learning curves' trainings


def budget(policy: str) -> int:
    """``policy``'s training's budget chosen on the learning curves; ValueError if it is
    not final (curve_page.final_budget)."""
    return curve_page.final_budget(kinds.get(policy).run_name,
                                   records.load(curve_page.NAME))


def study_runs(tier: list[dict[str, Any]], steps: int) -> dict[str, dict[str, dict]]:
    """sampler -> task -> its tuning-split record on the study's training (50 demos, seed
    0, ``steps``, each task's current servo)."""
    runs: dict[str, dict[str, dict]] = {key: {} for key in FAST_SAMPLERS}
    for r in tier:
        if (r['policy'] in runs and r['split'] == 'tune' and 'successes' in r
                and (r['demos'], r['seed'], r['steps']) == (STUDY_DEMOS, STUDY_SEED, steps)
                and r['servo_omega'] == TASK_OMEGA.get(r['task'], DEFAULT_OMEGA)):
            runs[r['policy']][r['task']] = r
    return runs


def fast_sampler(tier: list[dict[str, Any]], steps: int) -> tuple[str, dict[str, int]]:
    """The fast sampler of DP (own recipe) with the most successes pooled over the state
    tasks in the study at ``steps`` (a tie keeps the published DDIM-10), and each
    sampler's pooled successes. A ValueError naming what is missing before the study has
    every task."""
    runs = study_runs(tier, steps)
    for key, by_task in runs.items():
        missing = [t for t in TASKS if t not in by_task]
        if missing:
            raise ValueError(f'sampler={key!r}: no tuning-split study run at {steps} steps '
                             f"on {', '.join(missing)}: expected one per state task "
                             '(scripts/headline.sh runs it)')
    pooled = {key: sum(by_task[t]['successes'] for t in TASKS)
              for key, by_task in runs.items()}
    return max(FAST_SAMPLERS, key=lambda key: (pooled[key], -FAST_SAMPLERS.index(key))), pooled


def sampler_line(tier: list[dict[str, Any]]) -> str | None:
    """The page's line on DP (own recipe)'s headline sampler; None before its budget is
    final."""
    try:
        steps = budget(FAST_SAMPLERS[0])
    except ValueError:
        return None
    try:
        chosen, pooled = fast_sampler(tier, steps)
    except ValueError as error:
        return f'- DP (own recipe) headline sampler: not chosen yet ({error}).'
    episodes = sum(r['episodes'] for r in study_runs(tier, steps)[chosen].values())
    counts = ', '.join(f'{sampler_name(k)} {pooled[k]}/{episodes}' for k in FAST_SAMPLERS)
    return (f'- DP (own recipe) headline sampler: **{sampler_name(chosen)}**, by the rule '
            'fixed before the study (most successes pooled over the '
            f'{len(TASKS)} tasks on the tuning split, {STUDY_DEMOS} demos, seed '
            f'{STUDY_SEED}, {steps} steps; a tie keeps the published '
            f'{sampler_name(FAST_SAMPLERS[0])}): {counts}.')


def sampler_name(key: str) -> str:
    """'DDIM-10 eta 1': the DP kind ``key``'s sampler."""
    sampler = kinds.get(key).sampler
    eta = f' eta {sampler.eta:g}' if sampler.eta else ''
    return f'{sampler.scheduler.upper()}-{sampler.steps}{eta}'


HEADLINE_POLICIES = tuple(kinds.headline_trainings())  # the trainings the test split compares
MINE = kinds.headline_mine().key  # the kind the headline is about (NF-P as compared)


def choices_section(tier: list[dict[str, Any]]) -> list[str]:
    """The state-tier page's section on the test split's choices; [] before any budget is
    final."""
    budgets = []
    for policy in HEADLINE_POLICIES:
        try:
            budgets.append(f'{curve_page.policy_name(policy)} {budget(policy)} steps')
        except ValueError:
            continue
    if not budgets:
        return []
    sampler = sampler_line(tier)
    return ["## The test split's choices, made on the tuning split\n",
            f"- Training budgets (learning_curves.md): {', '.join(budgets)}.",
            *([sampler] if sampler else []), '']


# the opponent's slow samplers (DP (own recipe)'s published DDPM-100): where affordable
SLOW_SAMPLERS = tuple(kinds.slow_samplers())
VERDICT_WORDS = {targets.BETTER: 'NF-P better', targets.NO_DIFFERENCE: 'no detectable difference',
                 targets.WORSE: 'DP better', targets.TOO_FEW: 'no verdict (< 3 seeds)'}


def headline_runs(tier: list[dict[str, Any]], demos: int,
                  steps: dict[str, int]) -> list[dict[str, Any]]:
    """The finished test-split runs at ``demos`` of each policy in ``steps`` (kind -> its
    tuned budget) trained for that budget on its own recipe, at each task's current servo
    bandwidth."""
    return [r for r in tier
            if r['split'] == 'test' and r.get('budget') == 'tuned' and r['demos'] == demos
            and 'successes' in r and steps.get(r['policy']) == r['steps']
            and r['servo_omega'] == TASK_OMEGA.get(r['task'], DEFAULT_OMEGA)]


def opponents(tier: list[dict[str, Any]]) -> list[str]:
    """DP (own recipe) as the headline compares it: its fast sampler chosen on the tuning
    split, then DDPM-100 where it was run; [] before the fast sampler is chosen."""
    try:
        fast = fast_sampler(tier, budget(FAST_SAMPLERS[0]))[0]
    except ValueError:
        return []
    return [fast] + [slow for slow in SLOW_SAMPLERS if any(r['policy'] == slow for r in tier)]


def headline_rows(runs: list[dict[str, Any]], demos: int, opponent: str) -> list[list[Any]]:
    """Per task with a paired seed, then all tasks pooled (equal weights): demos, task,
    seeds, NF-P and ``opponent`` successes on those seeds, the difference with its 95 %
    interval, the verdict."""
    rows = []
    found = targets.verdicts(runs, TASKS, opponent)
    for task, difference in found.items():
        seeds = targets.paired_seeds(runs, task, opponent)
        rows.append([demos, task, difference.seeds,
                     *(_successes(runs, [task], seeds, key) for key in (MINE, opponent)),
                     difference.text(), VERDICT_WORDS[difference.verdict]])
    pooled = targets.pooled_difference(runs, TASKS, opponent)
    if pooled is not None:
        every = {t: targets.paired_seeds(runs, t, opponent) for t in TASKS}
        rows.append([demos, f'all {len(TASKS)} (pooled)', pooled.seeds,
                     *(_successes(runs, TASKS, every, key)
                       for key in (MINE, opponent)),
                     pooled.text(), VERDICT_WORDS[pooled.verdict]])
    return rows


def _successes(runs: list[dict[str, Any]], tasks, seeds, key: str) -> str:
    """'121/150 (81 %)': ``key``'s successes on ``tasks`` over the paired ``seeds`` (one
    set, or a task -> set mapping)."""
    latest = {(r['task'], r['seed']): r for r in runs  # a re-run replaces, as in targets
              if r['policy'] == key and r['task'] in tasks
              and r['seed'] in (seeds[r['task']] if isinstance(seeds, dict) else seeds)}
    mine = list(latest.values())
    wins, episodes = sum(r['successes'] for r in mine), sum(r['episodes'] for r in mine)
    return f'{wins}/{episodes} ({100 * wins / episodes:.0f} %)'


def standing_line(runs: list[dict[str, Any]], demos: int, opponent: str) -> str:
    """The plain sentence: where NF-P wins, ties and loses against ``opponent`` at
    ``demos``, and what is not yet decided."""
    found = targets.verdicts(runs, TASKS, opponent)
    groups = {word: [t for t, d in found.items() if VERDICT_WORDS[d.verdict] == word]
              for word in VERDICT_WORDS.values()}
    groups['no pair yet (seeds run)'] = [
        f'{t} (NF-P {_seed_count(runs, t, MINE)}, DP {_seed_count(runs, t, opponent)})'
        for t in TASKS if t not in found]
    parts = [f"{word}: {', '.join(tasks)}" for word, tasks in groups.items() if tasks]
    return (f'- {demos} demos, NF-P vs {curve_page.policy_name(opponent)}: NF-P wins on '
            f'{len(groups["NF-P better"])}, ties on {len(groups["no detectable difference"])}'
            f', loses on {len(groups["DP better"])} of {len(TASKS)} tasks ('
            + '; '.join(parts) + ').')


def _seed_count(runs: list[dict[str, Any]], task: str, key: str) -> int:
    """Training seeds of ``key`` run on ``task``."""
    return len({r['seed'] for r in runs if r['task'] == task and r['policy'] == key})


def headline_section(tier: list[dict[str, Any]]) -> list[str]:
    """The page's headline: NF-P against DP (own recipe) on the test split at 50 and 10
    demos, each on its own recipe and tuned budget; [] before the choices are made."""
    against = opponents(tier)
    try:
        steps = {policy: budget(policy) for policy in (MINE, *against)}
    except ValueError:  # NF-P's budget is not final
        return []
    if not against:
        return []
    rows, lines = [], []
    for opponent in against:
        for demos in kinds.get(opponent).headline_demos:
            runs = headline_runs(tier, demos, steps)
            rows += [[curve_page.policy_name(opponent), *row]
                     for row in headline_rows(runs, demos, opponent)]
            lines.append(standing_line(runs, demos, opponent))
    budgets = ', '.join(f'{curve_page.policy_name(p)} {budget(p)} steps'
                        for p in HEADLINE_POLICIES)
    return ['## Headline: NF-P vs Diffusion Policy on the test split\n',
            f'Each policy on its own recipe for its budget chosen on the tuning split '
            f'({budgets}; NF-P best-of-128), {SPLIT_EPISODES["test"]} start '
            'states of the test split (20000+) per training seed. Difference: NF-P minus '
            'DP in percentage points, paired on seeds and start states, with its 95 % '
            'bootstrap interval over both; "pooled": the 6 tasks weighted equally '
            '(resampled within each task). A verdict needs 3 seeds on every task it '
            'covers; a tie is not a win.\n',
            report.markdown_table(['DP as compared', 'demos', 'task', 'seeds', 'NF-P',
                                   'DP', 'NF-P - DP [95 % CI]', 'verdict'], rows),
            '', *lines, '']
