# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""docs/benchmarks/takeover_study.md and its figures, from the takeover study's records
(benchmarks.experiments.takeover_study): success against the expert's ticks per arm,
paired differences after the last round, and how often a confidence-triggered takeover
came before a failure the policy alone would have had.

A record is one (task, training seed, arm, round) evaluated on a split: ``policy`` is the
arm (ARMS) or START (round 0, the policy every arm starts from), ``expert_ticks`` /
``cumulative_expert_ticks`` the operator's or demonstrator's ticks (12.5 ms each) of that
round / up to it, ``episode_success`` the evaluation's per-start-state outcomes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.pages import records, report, targets

NAME = 'takeover_study'
START = 'start'
# arm key -> what it is; the order arms gather in (the gate's ticks set the others' budget)
ARMS = {'gate': 'confidence-triggered takeover',
        'random': 'takeover at random moments, same expert ticks',
        'demos': 'extra scripted demonstrations, same expert ticks'}
PLOT, TRACE_PLOT = 'takeover_study.png', 'takeover_trace.png'
TICK_MS = 12.5  # one tick: one simulator step (Meta-World's dt)
# the setup a group of comparable records shares (a page section each)
SETUP = ('split', 'demos', 'steps', 'finetune_steps', 'operator_ticks', 'corrections_weight',
         'round_episodes_target', 'network', 'gate_threshold', 'gate_debounce',
         'gate_confidence')
Record = dict[str, Any]

TARGET = ('Targets (issue 35, fixed before any run): on the test split with 3 seeds, after '
          '3 rounds arm 1 (`gate`) is better than arm 2 (`random`) on >= 2 of 3 tasks and '
          "not worse than arm 3 (`demos`) on any; stretch: arm 1 reaches DP's 10-demo "
          'success (state_tier.md) on the 2 state tasks with fewer expert ticks than 10 '
          'extra demonstrations cost. Verdicts need 3 seeds (../shared/EVALUATION.md).')


def setup_of(record: Record) -> tuple:
    return tuple(record.get(k) for k in SETUP)


def setup_text(setup: tuple) -> str:
    """'tune split, 10 demos, 1000 + 1000 steps, 32 ticks per takeover, ...'."""
    s = dict(zip(SETUP, setup))
    weight = ('every window equally likely' if s['corrections_weight'] is None
              else f"corrections {s['corrections_weight']:g} of each batch")
    return (f"{s['split']} split, {s['demos']} demos, {s['steps']} start + "
            f"{s['finetune_steps']} fine-tuning steps, {s['operator_ticks']} ticks per "
            f"takeover, {weight}, {s['round_episodes_target']} episodes per round, gate "
            f"{s['gate_threshold']:g} x {s['gate_debounce']} plans"
            f"{'' if s['gate_confidence'] is None else ' on the ' + s['gate_confidence']}"
            f", network {s['network']}")


def groups(every: Sequence[Record]) -> dict[tuple, list[Record]]:
    """Records by setup, in a stable order (the tuning split first)."""
    out: dict[tuple, list[Record]] = {}
    for record in every:
        out.setdefault(setup_of(record), []).append(record)
    return dict(sorted(out.items(), key=lambda kv: [str(v) for v in kv[0]]))


def ordered_tasks(group: Sequence[Record]) -> list[str]:
    return list(dict.fromkeys(r['task'] for r in group))


def last_round(group: Sequence[Record], task: str) -> int:
    return max((r['round'] for r in group if r['task'] == task), default=0)


def rows_of(group: Sequence[Record], task: str, arm: str, round_: int) -> list[Record]:
    return [r for r in group if (r['task'], r['policy'], r['round']) == (task, arm, round_)]


def success_rows(group: Sequence[Record]) -> list[list[Any]]:
    """task | round | arm | expert ticks so far (mean over seeds) | takeovers | success."""
    rows = []
    for task in ordered_tasks(group):
        for round_ in range(last_round(group, task) + 1):
            for arm in ([START] if round_ == 0 else list(ARMS)):
                runs = rows_of(group, task, arm, round_)
                if not runs:
                    continue
                wins, n = sum(r['successes'] for r in runs), sum(r['episodes'] for r in runs)
                ticks = np.mean([r['cumulative_expert_ticks'] for r in runs])
                rows.append([task, round_, f'`{arm}`', f'{ticks:.0f}',
                             sum(r['takeovers'] for r in runs),
                             f'{report.successes_with_interval(wins, n)}', len(runs)])
    return rows


def difference_rows(group: Sequence[Record]) -> list[list[Any]]:
    """Per task after its last round: gate - random and gate - demos, paired."""
    rows = []
    for task in ordered_tasks(group):
        round_ = last_round(group, task)
        final = [r for r in group if r['round'] == round_]
        cells = []
        for opponent in ('random', 'demos'):
            diff = targets.paired_difference(final, task, opponent, 'gate')
            cells.append(f'{diff.text()} ({diff.verdict}, {diff.seeds} seeds)' if diff
                         else 'not run')
        rows.append([task, round_, *cells])
    return rows


def precedence_rows(group: Sequence[Record]) -> list[list[Any]]:
    """Arm 1 per task and round: takeovers, those before a would-be failure, ..."""
    rows = []
    for task in ordered_tasks(group):
        for round_ in range(1, last_round(group, task) + 1):
            runs = rows_of(group, task, 'gate', round_)
            if not runs:
                continue
            takeovers = sum(r['takeovers'] for r in runs)
            before = sum(r['takeovers_before_failure'] for r in runs)
            share = f'{100 * before / takeovers:.0f} %' if takeovers else '-'
            rows.append([task, round_, takeovers, f'{before} ({share})',
                         sum(r['takeover_episodes'] for r in runs),
                         sum(r['start_states'] for r in runs),
                         sum(r['alone_failures'] for r in runs),
                         sum(r['alone_failures_taken_over'] for r in runs)])
    return rows


def group_lines(setup: tuple, group: Sequence[Record]) -> list[str]:
    return [
        f'## {setup_text(setup)}', '',
        'Success on the split against the expert ticks spent so far (mean over seeds), '
        'successes summed over seeds with the 95 % Wilson interval:', '',
        report.markdown_table(['task', 'round', 'arm', 'expert ticks so far', 'takeovers',
                               'successes', 'seeds'], success_rows(group)), '',
        'After the last round, arm 1 minus each other arm, success points with the paired '
        '95 % bootstrap interval over seeds and start states (targets.py):', '',
        report.markdown_table(['task', 'round', '`gate` - `random`', '`gate` - `demos`'],
                              difference_rows(group)), '',
        "Arm 1's takeovers and the policy alone: each round episode with a takeover is run "
        'again from its start state without takeovers; a takeover counts as before a '
        'failure when that run fails (an episode without takeover is the policy alone):', '',
        report.markdown_table(['task', 'round', 'takeovers', 'before a would-be failure',
                               'episodes with a takeover', 'episodes',
                               'would-be failures', 'of them taken over'],
                              precedence_rows(group)), '']


def render_page(every: list[Record]) -> str:
    lines = [
        f'# Takeover study (generated by `python -m benchmarks.{NAME}`)', '',
        'Does a policy that asks for help learn more from the answers? NF-P on recipe 2 '
        '(kind `nfp2`, zero latent, four chunk points per plan) trained on the demos, then '
        'rounds of episodes from start states 30000+ (neither tuning nor test states); '
        'each arm gathers data with the scripted expert and fine-tunes its previous '
        'checkpoint on the demos plus all its data so far (a round without data keeps '
        'the policy), then is evaluated on the split. Arms:', '',
        *[f'- `{key}`: {text}' for key, text in ARMS.items()], '',
        'Expert ticks are counted exactly: one tick is one 12.5 ms simulator step the '
        'operator commanded (or a demonstration tick). `random` spends exactly the ticks '
        "`gate` spent in the round (its takeovers' length, the last shorter; further start "
        'states if episodes end first: `unspent_ticks` in the record otherwise); `demos` '
        'takes whole demonstrations in seed order and cuts the last at the budget.', '',
        TARGET, '']
    for setup, group in groups(every).items():
        lines += group_lines(setup, group)
    if every:
        lines += [f'![success against expert ticks]({PLOT})', '',
                  f"![one episode's confidence, the takeover shaded]({TRACE_PLOT})", '']
    machines = {report.describe_machine(r['machine']) for r in every if 'machine' in r}
    lines += ['## Machines', '', *[f'- {m}' for m in sorted(machines)][:6]]
    return '\n'.join(lines) + '\n'


# ---- figures -------------------------------------------------------------------------------

def main_group(every: Sequence[Record]) -> list[Record]:
    """The group with the most records (the study's run; ties: the first in order)."""
    found = groups(every)
    return max(found.values(), key=len) if found else []


def curve(group: Sequence[Record], task: str, arm: str) -> tuple[list[float], list[float]]:
    """(mean cumulative expert ticks, pooled success [%]) per round, from round 0."""
    xs, ys = [], []
    for round_ in range(last_round(group, task) + 1):
        runs = rows_of(group, task, START if round_ == 0 else arm, round_)
        if runs:
            xs.append(float(np.mean([r['cumulative_expert_ticks'] for r in runs])))
            ys.append(100 * targets.pooled_rate(runs))
    return xs, ys


def first_trace(group: Sequence[Record]) -> tuple[dict, float] | None:
    """(trace, gate threshold) of the first arm-1 record with a takeover episode."""
    for record in sorted(group, key=lambda r: (r['task'], r['seed'], r['round'])):
        if record['policy'] == 'gate' and record.get('trace'):
            return record['trace'], record['gate_threshold']
    return None


def write_figures(every: list[Record]) -> None:
    """docs/benchmarks/takeover_study.png (success against expert ticks, a panel per
    task, a line per arm) and takeover_trace.png (one episode's confidence)."""
    group = main_group(every)
    if not group:
        return
    from nf_policy_ros.tools.plots import pyplot, save

    plt = pyplot()
    tasks = ordered_tasks(group)
    fig, axes = plt.subplots(1, len(tasks), figsize=(4.0 * len(tasks), 3.4), squeeze=False,
                             sharey=True)
    for ax, task in zip(axes[0], tasks):
        for number, arm in enumerate(ARMS):
            xs, ys = curve(group, task, arm)
            ax.plot(xs, ys, marker='o', color=f'C{number}', label=arm)
        ax.set(title=task, xlabel='expert ticks so far (12.5 ms each)')
    axes[0, 0].set(ylabel=f'success, {group[0]["split"]} split [%]', ylim=(-3, 103))
    axes[0, 0].legend(fontsize='small')
    fig.tight_layout()
    save(fig, records.DOCS / PLOT, dpi=90)
    found = first_trace(group)
    if found is not None:
        save_trace(*found, records.DOCS / TRACE_PLOT)


def draw_trace(ax, trace: dict, threshold: float) -> None:
    """One episode's confidence per plan [0-1] against its tick (the plan holds until the
    next), each takeover's ticks shaded, the gate threshold dashed."""
    ticks, confidence = trace['plan_ticks'], trace['confidence']
    ax.step(ticks, confidence, where='post', color='tab:blue', label='confidence per plan')
    ax.plot(ticks, confidence, 'o', color='tab:blue', ms=3)
    for number, (start, length) in enumerate(trace['segments']):
        ax.axvspan(start, start + length, color='tab:orange', alpha=0.3,
                   label='takeover (operator)' if number == 0 else None)
    ax.axhline(threshold, color='tab:red', ls='--', lw=1, label=f'gate threshold {threshold:g}')
    outcome = 'success' if trace['success'] else 'failure'
    ax.set(xlabel=f'tick ({TICK_MS} ms)', ylabel='confidence [0-1]', ylim=(-0.02, 1.02),
           xlim=(0, max(trace['steps'], 1)),
           title=f"start state {trace['seed']}: {outcome} after {trace['steps']} ticks")
    ax.legend(fontsize='small', loc='upper right')


def save_trace(trace: dict, threshold: float, path) -> None:
    """``draw_trace`` alone in a figure written to ``path`` (docs/robot.md shows it)."""
    from nf_policy_ros.tools.plots import pyplot, save

    fig, ax = pyplot().subplots(figsize=(7.0, 3.0))
    draw_trace(ax, trace, threshold)
    fig.tight_layout()
    save(fig, path, dpi=90)
