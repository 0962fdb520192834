# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The state tier's headline section, and the choices the test-split headline runs on,
each made on the tuning split by a rule fixed before its numbers (docs/decisions.md):
every policy's training budget (from the learning curves) and DP (own recipe)'s fast
sampler (from a sampler study at its budget). Which kinds take part is theirs to say
(``Kind.headline``, benchmarks.protocol.kinds): each NF-P recipe, newest first, against the
same DP runs, with issue 32's targets once a recipe after the first is on the page.
scripts/headline.sh asks the choices with ``python -m benchmarks.headline``
(benchmarks.experiments.headline)."""

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
# the NF-P recipes the headline is about, newest first (Kind.headline, recipe_number)
RECIPES = tuple(kind.key for kind in kinds.headline_recipes())


def final_recipes() -> dict[str, int]:
    """NF-P recipe -> its budget, for each recipe whose budget is final, newest first."""
    out = {}
    for recipe in RECIPES:
        try:
            out[recipe] = budget(recipe)
        except ValueError:
            continue
    return out


def titled(recipes) -> bool:
    """Whether the headline names each recipe (``recipes``: those on the page): not while
    recipe 1 is there alone, so the page stays as it was before recipe 2."""
    return list(recipes) != [RECIPES[-1]]


def recipe_title(recipe: str) -> str:
    """'NF-P (recipe 1, before issue 32)': a recipe's name where the headline shows several."""
    kind = kinds.get(recipe)
    return kind.headline_title or kind.title_or_column


def _budget_name(policy: str, several: bool) -> str:
    """A training's name in the budgets: each NF-P recipe by its title where ``several``."""
    if several and policy in RECIPES:
        return recipe_title(policy)
    return curve_page.policy_name(policy)


def choices_section(tier: list[dict[str, Any]]) -> list[str]:
    """The state-tier page's section on the test split's choices; [] before any budget is
    final."""
    several = titled(final_recipes())
    budgets = []
    for policy in HEADLINE_POLICIES:
        try:
            budgets.append(f'{_budget_name(policy, several)} {budget(policy)} steps')
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


def headline_rows(runs: list[dict[str, Any]], demos: int, opponent: str,
                  mine: str) -> list[list[Any]]:
    """Per task with a paired seed, then all tasks pooled (equal weights): demos, task,
    seeds, the NF-P recipe ``mine``'s and ``opponent``'s successes on those seeds, the
    difference with its 95 % interval, the verdict."""
    rows = []
    found = targets.verdicts(runs, TASKS, opponent, mine)
    for task, difference in found.items():
        seeds = targets.paired_seeds(runs, task, opponent, mine)
        rows.append([demos, task, difference.seeds,
                     *(_successes(runs, [task], seeds, key) for key in (mine, opponent)),
                     difference.text(), VERDICT_WORDS[difference.verdict]])
    pooled = targets.pooled_difference(runs, TASKS, opponent, mine)
    if pooled is not None:
        every = {t: targets.paired_seeds(runs, t, opponent, mine) for t in TASKS}
        rows.append([demos, f'all {len(TASKS)} (pooled)', pooled.seeds,
                     *(_successes(runs, TASKS, every, key)
                       for key in (mine, opponent)),
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


def standing_line(runs: list[dict[str, Any]], demos: int, opponent: str, mine: str,
                  name: str = 'NF-P') -> str:
    """The plain sentence: where the NF-P recipe ``mine`` (called ``name``) wins, ties and
    loses against ``opponent`` at ``demos``, and what is not yet decided."""
    found = targets.verdicts(runs, TASKS, opponent, mine)
    groups = {word: [t for t, d in found.items() if VERDICT_WORDS[d.verdict] == word]
              for word in VERDICT_WORDS.values()}
    groups['no pair yet (seeds run)'] = [
        f'{t} (NF-P {_seed_count(runs, t, mine)}, DP {_seed_count(runs, t, opponent)})'
        for t in TASKS if t not in found]
    parts = [f"{word}: {', '.join(tasks)}" for word, tasks in groups.items() if tasks]
    return (f'- {demos} demos, {name} vs {curve_page.policy_name(opponent)}: NF-P wins on '
            f'{len(groups["NF-P better"])}, ties on {len(groups["no detectable difference"])}'
            f', loses on {len(groups["DP better"])} of {len(TASKS)} tasks ('
            + '; '.join(parts) + ').')


def _seed_count(runs: list[dict[str, Any]], task: str, key: str) -> int:
    """Training seeds of ``key`` run on ``task``."""
    return len({r['seed'] for r in runs if r['task'] == task and r['policy'] == key})


# issue 32's targets for an NF-P recipe on the test split against DP (own recipe) with its
# chosen fast sampler, fixed in the issue before any run: demos -> the most tasks "DP
# better"; the demo counts whose pooled 95 % interval must reach 0 or above; the stretch,
# demos -> the fewest tasks "NF-P better"
DP_BETTER_AT_MOST = {50: 0, 10: 1}
POOLED_REACHES_ZERO = (10,)
STRETCH_NFP_BETTER = {10: 3}
TARGET_ISSUE = 32


def _tasks_text(count: int, tasks: list[str]) -> str:
    """'2 of 6 (assembly, peg-insert-side)'; '0 of 6'."""
    named = f" ({', '.join(tasks)})" if tasks else ''
    return f'{count} of {len(TASKS)}{named}'


def issue_target_lines(runs: list[dict[str, Any]], demos: int, opponent: str,
                       mine: str) -> list[str]:
    """Issue 32's targets at ``demos`` for the NF-P recipe ``mine`` against ``opponent``,
    each met or missed with its margin, once every task has MIN_SEEDS paired seeds; else one
    line naming what is missing; [] where the issue sets no target at ``demos``."""
    if demos not in (*DP_BETTER_AT_MOST, *POOLED_REACHES_ZERO, *STRETCH_NFP_BETTER):
        return []
    prefix = f'- Issue {TARGET_ISSUE} target, {demos} demos'
    need = targets.MIN_SEEDS
    missing = [t for t in TASKS if len(targets.paired_seeds(runs, t, opponent, mine)) < need]
    expected = f'expected {need} paired seeds on each of the {len(TASKS)} tasks'
    if not any(_seed_count(runs, t, mine) for t in TASKS):
        return [f'- Issue {TARGET_ISSUE} targets, {demos} demos: not checked yet: no run of '
                f'this recipe ({expected}).']
    if missing:
        counts = ', '.join(
            f'{t} (NF-P {_seed_count(runs, t, mine)}, DP {_seed_count(runs, t, opponent)} '
            'seeds run)' for t in missing)
        return [f'- Issue {TARGET_ISSUE} targets, {demos} demos: not checked yet: '
                f'{expected}; missing: {counts}.']
    found = targets.verdicts(runs, TASKS, opponent, mine)
    dp_better = [t for t, d in found.items() if d.verdict == targets.WORSE]
    nfp_better = [t for t, d in found.items() if d.verdict == targets.BETTER]
    lines = []
    if demos in DP_BETTER_AT_MOST:
        most = DP_BETTER_AT_MOST[demos]
        goal = f'"DP better" on {"" if most == 0 else "at most "}{most} of {len(TASKS)} tasks'
        state = 'met' if len(dp_better) <= most else 'missed'
        lines.append(f'{prefix}, {goal}: **{state}**: DP better on '
                     f'{_tasks_text(len(dp_better), dp_better)}.')
    if demos in POOLED_REACHES_ZERO:
        pooled = targets.pooled_difference(runs, TASKS, opponent, mine)
        margin = f'{abs(100 * pooled.high):.0f} pts'
        state = f'met with {margin} to spare' if pooled.high >= 0 else f'missed by {margin}'
        lines.append(f'{prefix}, the pooled 95 % interval reaches 0 or above: **{state}**: '
                     f'pooled interval [{100 * pooled.low:.0f}, {100 * pooled.high:.0f}] '
                     f'(NF-P - DP {100 * pooled.mean:+.0f} pts).')
    if demos in STRETCH_NFP_BETTER:
        least = STRETCH_NFP_BETTER[demos]
        short = least - len(nfp_better)
        state = 'met' if short <= 0 else f'missed by {short} task{"s" * (short > 1)}'
        lines.append(f'- Issue {TARGET_ISSUE} stretch target, {demos} demos, "NF-P better" on '
                     f'>= {least} of {len(TASKS)} tasks: **{state}**: NF-P better on '
                     f'{_tasks_text(len(nfp_better), nfp_better)}.')
    return lines


def recipe_block(tier: list[dict[str, Any]], mine: str, steps: dict[str, int],
                 against: list[str], several: bool) -> tuple[list[list[Any]], list[str]]:
    """The table rows and the lines of the NF-P recipe ``mine`` against each of ``against``
    (``steps``: each kind's budget), by opponent then demos: its standing lines, and where
    ``several`` recipes are on the page, issue 32's targets against the fast sampler."""
    name = recipe_title(mine) if several else kinds.get(mine).policy
    rows, lines, checked = [], [], []
    for opponent in against:
        for demos in kinds.get(opponent).headline_demos:
            runs = headline_runs(tier, demos, steps)
            rows += [[curve_page.policy_name(opponent), *row]
                     for row in headline_rows(runs, demos, opponent, mine)]
            lines.append(standing_line(runs, demos, opponent, mine, name))
            if several and opponent == against[0]:
                checked += issue_target_lines(runs, demos, opponent, mine)
    return rows, lines + checked


def _sampler_text(recipe: str) -> str:
    """'best-of-128', 'zero latent': how an NF-P recipe acts."""
    sampler = kinds.get(recipe).sampler
    if sampler.mode == 'best_of_n':
        return f'best-of-{sampler.num_candidates}'
    if sampler.mode == 'sample':
        return f'sample std {sampler.latent_std:g}'
    return sampler.mode.replace('_', ' ')


TABLE_HEADER = ['DP as compared', 'demos', 'task', 'seeds', 'NF-P', 'DP',
                'NF-P - DP [95 % CI]', 'verdict']
METHOD = (f'{SPLIT_EPISODES["test"]} start states of the test split (20000+) per training '
          'seed. Difference: NF-P minus DP in percentage points, paired on seeds and start '
          'states, with its 95 % bootstrap interval over both; "pooled": the 6 tasks weighted '
          'equally (resampled within each task). A verdict needs 3 seeds on every task it '
          'covers; a tie is not a win.')


def headline_section(tier: list[dict[str, Any]]) -> list[str]:
    """The page's headline: each NF-P recipe whose budget is final, newest first, against
    DP (own recipe) on the test split at 50 and 10 demos, each on its own recipe and tuned
    budget; [] before the choices are made. Recipe 1 alone keeps the page it had before
    recipe 2; once a later recipe is on the page each gets a titled table, its standing
    lines and issue 32's targets."""
    against = opponents(tier)
    shown = final_recipes()
    if not shown or not against:  # no NF-P budget final, or DP's choices not made
        return []
    try:
        dp_steps = {policy: budget(policy) for policy in against}
    except ValueError:
        return []
    several = titled(shown)
    head = '## Headline: NF-P vs Diffusion Policy on the test split\n'
    dp_budget = (f'{curve_page.policy_name(HEADLINE_POLICIES[-1])} '
                 f'{budget(HEADLINE_POLICIES[-1])} steps')
    if not several:
        [(mine, steps)] = shown.items()
        rows, lines = recipe_block(tier, mine, {mine: steps, **dp_steps}, against, False)
        return [head,
                'Each policy on its own recipe for its budget chosen on the tuning split '
                f'({kinds.get(mine).policy} {steps} steps, {dp_budget}; '
                f'{kinds.get(mine).actor_name}), {METHOD}\n',
                report.markdown_table(TABLE_HEADER, rows), '', *lines, '']
    recipes = '; '.join(f'{recipe_title(mine)} {steps} steps, {_sampler_text(mine)}'
                        for mine, steps in shown.items())
    out = [head,
           f'Each NF-P recipe, newest first, against the same DP runs (DP is not retrained). '
           f'Each policy on its own recipe for its budget chosen on the tuning split '
           f"({recipes}; {dp_budget}), {METHOD} Issue {TARGET_ISSUE}'s targets, fixed in the "
           'issue before any run, are checked for each recipe against DP (own recipe) with its '
           'fast sampler chosen on the tuning split (the first DP of each table), once every '
           f'task has {targets.MIN_SEEDS} paired seeds at that demo count.\n']
    for mine, steps in shown.items():
        rows, lines = recipe_block(tier, mine, {mine: steps, **dp_steps}, against, True)
        table = (report.markdown_table(TABLE_HEADER, rows) if rows else
                 f'No test-split run of {recipe_title(mine)} at its {steps} steps paired with '
                 f'DP yet (`bash scripts/headline.sh --recipe {mine}`).')
        out += [f'### {recipe_title(mine)}\n', table, '', *lines, '']
    return out
