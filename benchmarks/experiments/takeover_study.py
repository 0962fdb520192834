# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Takeover study (issue 35): does learning from confidence-triggered takeovers beat random
takeovers and extra demonstrations at equal expert effort? In process, no ROS (the ROS
round is test/test_takeover_round.py).

    OMP_NUM_THREADS=1 python -m benchmarks.takeover_study --seeds 0 1 2 --write-docs
    # every (task, seed) on every core, in the background, resumable:
    bash scripts/takeover_study.sh --split tune

Start: NF-P on recipe 2 (kind ``nfp2``: its training, four chunk points per plan, the zero
latent) trained on ``--demos`` demos of each task and seed with the tier's ``VAL_DEMOS``
next demos held out (validation NLL, confidence calibration). Then ``--rounds`` rounds; in
each, every arm runs episodes from start states of the rounds' own range
(``splits.TAKEOVER_SEED0``: neither tuning nor test states), gathers data and is retrained:

1. ``gate``: the policy acts, the node's confidence gate (``SafetyConfig`` defaults) closing
   hands the arm to the scripted operator for ``--operator-ticks`` ticks; its ticks are the
   corrections (intervention flag set). ``--round-episodes`` episodes; each one with a
   takeover is run again without takeovers (same policy and start state; the zero latent
   draws nothing) to tell whether the policy alone would have failed.
2. ``random``: exactly as many operator ticks as ``gate`` spent this round, at random plans
   (``protocol.takeover.RandomTakeovers``), further start states of the range when the
   round's episodes end before the budget is spent.
3. ``demos``: exactly as many ticks of further scripted demonstrations (the demo seeds after
   the held-out ones), whole demos in order, the last one cut at the budget.

Retraining, the same for every arm so that only the data differ: fine-tune the arm's
previous checkpoint (``core.finetune``) for ``--finetune-steps`` on the demos plus all the
arm's data so far (corrections: ``WindowDataset.mixed`` at ``--corrections-weight``,
default every window equally likely as tools/corrections.py documents; extra demos: plain
behaviour cloning, every window equally likely). A round that gathered nothing keeps the
policy. After each round every arm is evaluated on ``--split`` (tier.evaluate).

Records go to docs/benchmarks/takeover_study.json, one per (task, seed, arm, round) plus
round 0 (``start``); a record already there is skipped; data and trainings live in
``--run-dir`` (runs/takeover_study), so an interrupted job resumes.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
import hashlib
import json
import math
from pathlib import Path
import time
from typing import Any
import zlib

import numpy as np
import torch

from benchmarks.pages import records, report
from benchmarks.pages.takeover_page import ARMS, NAME, START, render_page, write_figures
from benchmarks.protocol import kinds
from benchmarks.protocol.networks import sampled_actor
from benchmarks.protocol.splits import ROUND_SEEDS, TAKEOVER_SEED0
from benchmarks.protocol.takeover import (
    GateTrigger,
    RandomTakeovers,
    ScheduledTrigger,
    TakeoverEpisode,
    run_with_takeovers,
)
from benchmarks.protocol.tier import VAL_DEMOS, config_hash, episodes, evaluate, tier_config
from benchmarks.runs.run_dirs import parse_shard
from nf_policy_ros.config import CONFIDENCE_SOURCES, NFPConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.core.finetune import init_weights
from nf_policy_ros.core.training import run_training
from nf_policy_ros.data.windows import Episode, WindowDataset
from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.sim.rollout import record_demo
from nf_policy_ros.sim.task import JointTask, TaskConfig

KIND = 'nfp2'  # NF-P on recipe 2 (benchmarks.protocol.kinds)
# NF-P's two weakest state tasks under recipe 2 (nfp_recipe.md, state_tier.md); a camera
# task (low_dim False) is a later step: ``low_dim`` below is where it would go
TASKS = ('peg-insert-side', 'basketball')
STEPS = 1000  # NF-P's budget at 10 demos
OPERATOR_TICKS = 32  # [ticks of 12.5 ms] per takeover: two of recipe 2's re-plan periods
EXTRA_EPISODES = 3  # x --round-episodes: further start states the random arm may use
SAFETY = SafetyConfig()  # the policy node's gate defaults
NETWORKS = ('recipe', 'tiny')  # tiny: smoke tests only (a few thousand parameters)


def study_config(steps: int, seed: int, network: str = 'recipe') -> NFPConfig:
    """Recipe 2's config (``kinds.trained_config``) for ``steps`` steps, calibrated with
    the sampler it acts with (the zero latent, ``Kind.calibrated_on_sampler``), as a
    deployed node must run (docs/decisions.md, "Confidence is a percentile among the
    policy's own held-out plans"): the gate reads that calibration."""
    config = kinds.trained_config(tier_config(steps, seed), kinds.get(KIND))
    if network == 'tiny':
        config = replace(config, encoder=replace(config.encoder, context_dim=32),
                         flow=replace(config.flow, num_layers=2, hidden_units=32,
                                      hidden_blocks=1))
    return config


def low_dim(task: str) -> bool:
    """Whether ``task`` runs from low-dimensional state: every task so far. A camera task
    (False) also needs the vision tier's config in ``study_config`` and its image size in
    ``TaskConfig``; the rollouts, demos and corrections already carry frames then."""
    return True


def make_gate(args: argparse.Namespace) -> ConfidenceGate:
    """The gate arm 1 takes over with (threshold, debounce from the CLI; node defaults)."""
    return ConfidenceGate(args.gate_threshold, SAFETY.gate_hysteresis, args.gate_debounce)


def round_seed(round_: int, episode: int) -> int:
    """Start state of ``episode`` (0, 1, ...) of round ``round_`` (1, 2, ...)."""
    return TAKEOVER_SEED0 + ROUND_SEEDS * (round_ - 1) + episode


# ---- demonstrations ------------------------------------------------------------------------

def successful_demos(task: JointTask, first_seed: int, low_dim: bool = True,
                     limit: int = 1000):
    """(seed, Episode) of every successful joint-space demo from ``first_seed`` on, as
    ``tier.collect`` records them (``low_dim``: low-dimensional state, no images; else
    camera + joints), at most ``limit`` seeds tried."""
    for seed in range(first_seed, first_seed + limit):
        episode = record_demo(task, seed, images=not low_dim, low_dim=low_dim)
        if episode is not None:
            yield seed, episode


def take_ticks(demos, budget: int) -> tuple[list[Episode], list[int]]:
    """Demos from the iterable of (seed, Episode), in order, until they hold ``budget``
    ticks: whole ones while they fit, the last cut to the ticks left (its first ones).
    Returns (episodes, their seeds); the ticks add up to ``budget`` exactly unless the
    demos run out."""
    taken, seeds, left = [], [], budget
    for seed, episode in demos if budget > 0 else ():
        keep = min(len(episode), left)
        taken.append(episode if keep == len(episode) else cut(episode, keep))
        seeds.append(seed)
        left -= keep
        if left == 0:
            break
    return taken, seeds


def cut(episode: Episode, ticks: int) -> Episode:
    """The first ``ticks`` ticks of ``episode``."""
    return Episode(episode.images[:ticks], episode.state[:ticks], episode.actions[:ticks],
                   f'{episode.name}/first{ticks}', episode.intervention[:ticks])


def save_episodes(path: Path, episodes: list[Episode]) -> None:
    """Episodes (state-only or with frames) to one .npz (``load_episodes`` reads it)."""
    arrays = {'lengths': np.array([len(e) for e in episodes], np.int64),
              'names': np.array([e.name for e in episodes], dtype=str)}
    for key in ('images', 'state', 'actions', 'intervention'):
        parts = [getattr(e, key) for e in episodes]
        arrays[key] = np.concatenate(parts) if parts else np.zeros(0)
    tmp = path.with_name(path.name + '.tmp.npz')
    np.savez(tmp, **arrays)
    tmp.replace(path)


def load_episodes(path: Path) -> list[Episode]:
    data = np.load(path)
    bounds = np.cumsum([0, *data['lengths']])
    return [Episode(data['images'][a:b], data['state'][a:b], data['actions'][a:b], str(name),
                    data['intervention'][a:b])
            for a, b, name in zip(bounds[:-1], bounds[1:], data['names'])]


# ---- one (task, seed) ----------------------------------------------------------------------

@dataclass
class Gathered:
    """One arm's round: the data it gathered and its counts (JSON ``stats``)."""

    episodes: list[Episode]
    stats: dict[str, Any]


class Study:
    """The start policy and the rounds of every arm for one (task, training seed), in
    ``root`` (start/, <arm>/round<r>/: data.npz, round.json, train/)."""

    def __init__(self, args: argparse.Namespace, task: JointTask, seed: int,
                 finished: set[tuple]) -> None:
        self.args, self.task, self.seed, self.finished = args, task, seed, finished
        self.name = task.config.task
        self.low_dim = low_dim(self.name)
        self.start_config = study_config(args.steps, seed, args.network)
        self.tune_config = study_config(args.finetune_steps, seed, args.network)
        self.execute = kinds.execute_steps(kinds.get(KIND), self.start_config)
        self.root = args.run_dir / self.name / f'seed{seed}_{study_hash(args, seed)}'
        self.cumulative = {arm: 0 for arm in ARMS}
        demos = take_n(successful_demos(task, 0, self.low_dim), args.demos + VAL_DEMOS)
        self.demos = [e for _, e in demos[:args.demos]]
        self.val = [e for _, e in demos[args.demos:]]
        self.next_demo_seed = demos[-1][0] + 1  # arm 3's first extra demo

    # -- training --------------------------------------------------------------------------
    def train(self, out: Path, config: NFPConfig, data: WindowDataset,
              start_from: Path | None, provenance: dict) -> tuple[Path, float]:
        """(policy.pt, seconds) of a training in ``out`` (resumed or loaded if there);
        ``start_from``: the checkpoint it fine-tunes (None: from scratch)."""
        weights = None if start_from is None else init_weights(start_from, config)
        val = WindowDataset(self.val, config.actions)
        clock = time.perf_counter()
        result = run_training(config, data, val, out, provenance, progress=False,
                              resume=True, init_weights=weights)
        return result.policy_path, time.perf_counter() - clock

    def start(self) -> Path:
        """The start policy, trained on the demos (round 0; its record if missing)."""
        data = WindowDataset(self.demos, self.start_config.actions)
        path, seconds = self.train(self.root / START, self.start_config, data, None,
                                   {'study': NAME, 'arm': START, 'round': 0})
        self.publish(START, 0, path, {'expert_ticks': 0, 'takeovers': 0,
                                      'retrained': True}, seconds)
        return path

    def retrain(self, arm: str, round_: int, previous: Path, data: list[Episode],
                gathered: Gathered) -> tuple[Path, float]:
        """The arm's policy after ``round_``: ``previous`` fine-tuned on the demos plus
        ``data`` (all the arm's so far), or ``previous`` itself when the round gathered
        nothing."""
        if not gathered.episodes:
            return previous, 0.0
        actions = self.tune_config.actions
        weight = self.args.corrections_weight if arm != 'demos' else None
        windows = WindowDataset.mixed(self.demos, data, actions, weight)
        return self.train(self.round_dir(arm, round_) / 'train', self.tune_config, windows,
                          previous, {'study': NAME, 'arm': arm, 'round': round_,
                                     'init_from': str(previous)})

    # -- gathering -------------------------------------------------------------------------
    def round_dir(self, arm: str, round_: int) -> Path:
        return self.root / arm / f'round{round_}'

    def gathered(self, arm: str, round_: int, policy: Path, budget: int) -> Gathered:
        """The arm's data of ``round_`` (gathered now, or read back), ``policy`` acting,
        ``budget`` the gate arm's ticks of this round (unused by the gate arm)."""
        folder = self.round_dir(arm, round_)
        if (folder / 'round.json').exists():
            stats = json.loads((folder / 'round.json').read_text())
            return Gathered(load_episodes(folder / 'data.npz'), stats)
        gathered = self.gather(arm, round_, policy, budget)
        folder.mkdir(parents=True, exist_ok=True)
        save_episodes(folder / 'data.npz', gathered.episodes)
        records.write_text(folder / 'round.json', json.dumps(gathered.stats))
        return gathered

    def gather(self, arm: str, round_: int, policy: Path, budget: int) -> Gathered:
        if arm == 'demos':
            return self.extra_demos(round_, budget)
        actor = self.actor(policy)
        if arm == 'gate':
            return self.gate_round(actor, round_)
        return self.random_round(actor, round_, budget)

    def actor(self, policy: Path):
        """The policy acting with recipe 2's sampler, its confidence read as the gate reads
        it (``--gate-confidence``)."""
        network, _ = load_policy(policy)
        kind = kinds.get(KIND)
        sampler = replace(kind.sampler, confidence=self.args.gate_confidence)
        return sampled_actor(replace(kind, sampler=sampler), network,
                             torch.Generator().manual_seed(self.seed))

    def episode(self, actor, start_state: int, trigger) -> TakeoverEpisode:
        """One round episode; the actor's sampler re-seeded by (training seed, start state),
        so a re-run without takeovers draws what the policy drew."""
        actor.generator.manual_seed(self.seed * 1_000_003 + start_state)
        return run_with_takeovers(self.task, actor, start_state, self.execute, trigger,
                                  self.low_dim)

    def gate_round(self, actor, round_: int) -> Gathered:
        """Arm 1: the gate's takeovers over the round's episodes, and for each episode
        with a takeover whether the policy alone fails from its start state."""
        trigger = GateTrigger(make_gate(self.args), self.args.operator_ticks)
        episodes = [self.episode(actor, round_seed(round_, i), trigger)
                    for i in range(self.args.round_episodes)]
        alone = [self.episode(actor, e.seed, None).success if e.takeovers else e.success
                 for e in episodes]
        return Gathered([c for e in episodes for c in e.corrections],
                        gate_stats(episodes, alone))

    def random_round(self, actor, round_: int, budget: int) -> Gathered:
        """Arm 2: ``budget`` operator ticks at random plans (``RandomTakeovers``)."""
        plan_points = math.ceil(self.task.config.max_steps / self.execute)
        chooser = RandomTakeovers(budget, self.args.operator_ticks, plan_points,
                                  [self.seed, round_, zlib.crc32(self.name.encode())])
        episodes, start_states = [], 0
        limit = (1 + EXTRA_EPISODES) * self.args.round_episodes
        while chooser.remaining > 0 and start_states < limit:
            schedule = chooser.schedule(self.args.round_episodes - start_states)
            seed, start_states = round_seed(round_, start_states), start_states + 1
            if schedule:
                episode = self.episode(actor, seed, ScheduledTrigger(schedule))
                chooser.settle(schedule, episode.spent())
                episodes.append(episode)
        stats = effort(episodes)
        stats.update(start_states=start_states, unspent_ticks=chooser.remaining)
        return Gathered([c for e in episodes for c in e.corrections], stats)

    def extra_demos(self, round_: int, budget: int) -> Gathered:
        """Arm 3: ``budget`` ticks of further demos from the seed after the last used."""
        first = self.next_demo_seed
        if round_ > 1:
            first = json.loads((self.round_dir('demos', round_ - 1) / 'round.json')
                               .read_text())['next_demo_seed']
        taken, seeds = take_ticks(successful_demos(self.task, first, self.low_dim), budget)
        ticks = sum(len(e) for e in taken)
        return Gathered(taken, {'expert_ticks': ticks, 'takeovers': 0,
                                'extra_demos': len(taken), 'demo_seeds': seeds,
                                'unspent_ticks': budget - ticks,
                                'next_demo_seed': seeds[-1] + 1 if seeds else first})

    # -- records ---------------------------------------------------------------------------
    def recorded(self, arm: str, round_: int) -> bool:
        return record_key(self.args, self.name, self.seed, arm, round_) in self.finished

    def publish(self, arm: str, round_: int, policy: Path, stats: dict[str, Any],
                train_s: float) -> None:
        """Evaluate ``policy`` on the split and publish its record (unless recorded)."""
        if self.recorded(arm, round_):
            return
        actor = self.actor(policy)
        record = evaluate(self.task, actor, episodes(self.args), self.execute,
                          low_dim=self.low_dim, split=self.args.split)
        record.update(record_fields(self.args, self.name, self.seed, arm, round_))
        record.update(stats, cumulative_expert_ticks=self.cumulative.get(arm, 0),
                      config_hash=config_hash(self.start_config), execute_steps=self.execute,
                      val_demos=VAL_DEMOS, job_train_s=train_s,
                      machine=report.machine_info(torch.device('cpu')))
        print({k: v for k, v in record.items() if k not in (
            'machine', 'episode_confidence', 'episode_confidence_trace', 'trace')}, flush=True)
        report.publish(NAME, record, render_page, self.args.write_docs, write_figures)

    def run(self, stop) -> None:
        """Round 0, then every round of every arm (data, retraining, evaluation)."""
        start = self.start()
        previous = {arm: start for arm in ARMS}
        data: dict[str, list[Episode]] = {arm: [] for arm in ARMS}
        for round_ in range(1, self.args.rounds + 1):
            budget = 0
            for arm in ARMS:
                if stop.is_set():
                    print(f'stopped after {self.args.max_minutes} min: re-run to resume',
                          flush=True)
                    return
                gathered = self.gathered(arm, round_, previous[arm], budget)
                budget = gathered.stats['expert_ticks'] if arm == 'gate' else budget
                data[arm] += gathered.episodes
                self.cumulative[arm] += gathered.stats['expert_ticks']
                previous[arm], seconds = self.retrain(arm, round_, previous[arm], data[arm],
                                                      gathered)
                self.publish(arm, round_, previous[arm],
                             dict(gathered.stats, retrained=bool(gathered.episodes)), seconds)


def take_n(iterable, n: int) -> list:
    """The first ``n`` items of ``iterable`` (fewer if it ends)."""
    out = []
    for item in iterable:
        if len(out) == n:
            break
        out.append(item)
    return out


def effort(episodes: list[TakeoverEpisode]) -> dict[str, Any]:
    """The operator's counts over a round's episodes: ticks, takeovers, episodes."""
    return {'expert_ticks': sum(e.expert_ticks for e in episodes),
            'takeovers': sum(e.takeovers for e in episodes),
            'round_episodes': len(episodes),
            'round_successes': sum(e.success for e in episodes)}


def gate_stats(episodes: list[TakeoverEpisode], alone: list[bool]) -> dict[str, Any]:
    """Arm 1's counts: ``effort``, and against ``alone`` (per episode: whether the policy
    without takeovers succeeds) the takeovers that preceded a failure the policy would
    have had, the would-be failures, those with a takeover; the first takeover episode's
    confidence trace."""
    with_takeover = [e for e in episodes if e.takeovers]
    stats = effort(episodes)
    stats.update(
        start_states=len(episodes),
        takeovers_before_failure=sum(e.takeovers for e, ok in zip(episodes, alone)
                                     if e.takeovers and not ok),
        takeover_episodes=len(with_takeover),
        alone_failures=sum(not ok for ok in alone),
        alone_failures_taken_over=sum(bool(e.takeovers) and not ok
                                      for e, ok in zip(episodes, alone)),
        trace=with_takeover[0].trace() if with_takeover else None)
    return stats


# ---- the grid ------------------------------------------------------------------------------

def study_hash(args: argparse.Namespace, seed: int) -> str:
    """10 hex digits naming a (task, seed)'s run directory: the start config and every
    setting the rounds' data and trainings depend on."""
    settings = {'config': config_hash(study_config(args.steps, seed, args.network)),
                'finetune': config_hash(study_config(args.finetune_steps, seed,
                                                     args.network)),
                'demos': args.demos, 'operator_ticks': args.operator_ticks,
                'weight': args.corrections_weight, 'round_episodes': args.round_episodes,
                'gate': [args.gate_threshold, args.gate_debounce, args.gate_confidence]}
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


KEY_FIELDS = ('task', 'seed', 'policy', 'round', 'split', 'demos', 'steps', 'finetune_steps',
              'operator_ticks', 'corrections_weight', 'round_episodes_target', 'network',
              'gate_threshold', 'gate_debounce', 'gate_confidence')


def record_fields(args: argparse.Namespace, task: str, seed: int, arm: str,
                  round_: int) -> dict[str, Any]:
    """What names a record (KEY_FIELDS)."""
    return {'task': task, 'seed': seed, 'policy': arm, 'round': round_, 'split': args.split,
            'demos': args.demos, 'steps': args.steps, 'finetune_steps': args.finetune_steps,
            'operator_ticks': args.operator_ticks,
            'corrections_weight': args.corrections_weight,
            'round_episodes_target': args.round_episodes, 'network': args.network,
            'gate_threshold': args.gate_threshold, 'gate_debounce': args.gate_debounce,
            'gate_confidence': args.gate_confidence, 'kind': KIND}


def record_key(args: argparse.Namespace, task: str, seed: int, arm: str,
               round_: int) -> tuple:
    fields = record_fields(args, task, seed, arm, round_)
    return tuple(fields[k] for k in KEY_FIELDS)


def done(args: argparse.Namespace) -> set[tuple]:
    """Keys (KEY_FIELDS) of the records already written (none without --write-docs)."""
    if not args.write_docs:
        return set()
    return {tuple(r.get(k) for k in KEY_FIELDS) for r in records.load(NAME)}


def wanted(args: argparse.Namespace, task: str, seed: int) -> list[tuple]:
    """The record keys one (task, seed) job writes."""
    return [record_key(args, task, seed, START, 0)] + [
        record_key(args, task, seed, arm, r) for r in range(1, args.rounds + 1)
        for arm in ARMS]


def my_jobs(args: argparse.Namespace) -> list[tuple[str, int]]:
    """(task, seed) of this shard, seeds outermost."""
    jobs = [(task, seed) for seed in args.seeds for task in args.tasks]
    k, n = args.shard
    return jobs[k::n]


def run_all(args: argparse.Namespace) -> None:
    finished = done(args)
    stop = report.stop_after(args.max_minutes)
    for task_name, seed in my_jobs(args):
        if set(wanted(args, task_name, seed)) <= finished:
            print(f'recorded already: {task_name} seed {seed}', flush=True)
            continue
        if stop.is_set():
            print(f'stopped after {args.max_minutes} min: re-run to resume', flush=True)
            return
        task = JointTask(TaskConfig(task=task_name))
        try:
            Study(args, task, seed, finished).run(stop)
        finally:
            task.close()


def weight(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f'{text}: expected a fraction in [0, 1]')
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tasks', nargs='+', default=list(TASKS))
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--demos', type=int, default=10)
    parser.add_argument('--steps', type=int, default=STEPS, help='start training steps')
    parser.add_argument('--finetune-steps', type=int, default=STEPS,
                        help="steps of each round's fine-tuning (every arm)")
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--round-episodes', type=int, default=10,
                        help="episodes per round (arm 1's; arm 2 may need more)")
    parser.add_argument('--operator-ticks', type=int, default=OPERATOR_TICKS,
                        help='operator ticks per takeover (12.5 ms each)')
    parser.add_argument('--corrections-weight', type=weight, default=None,
                        help='fraction of every batch drawn from the corrections (default: '
                        'every window of demos and corrections equally likely)')
    parser.add_argument('--gate-threshold', type=weight, default=SAFETY.gate_threshold)
    parser.add_argument('--gate-debounce', type=int, default=SAFETY.gate_debounce_plans)
    parser.add_argument('--gate-confidence', choices=CONFIDENCE_SOURCES, default='context',
                        help="what the gate's confidence reads (sampling.confidence); "
                        "'context': chosen by a printed screen on the tuning split (issue "
                        "35's note; docs/decisions.md, the context reading's ADR)")
    parser.add_argument('--split', choices=['tune', 'test'], default='tune')
    parser.add_argument('--episodes', type=int, default=0,
                        help="evaluation start states (0: the split's, 20 / 50)")
    parser.add_argument('--network', choices=NETWORKS, default='recipe',
                        help="recipe 2's network, or 'tiny' (smoke tests only)")
    parser.add_argument('--shard', type=parse_shard, default=(0, 1), metavar='K/N')
    parser.add_argument('--max-minutes', type=float, default=0.0,
                        help='stop before the next round of an arm begins once this has '
                        'passed (a training under way finishes; re-run to resume)')
    parser.add_argument('--run-dir', type=Path, default=Path('runs/takeover_study'))
    return parser


def main(argv: list[str] | None = None) -> int:
    return report.run_script(build_parser(), argv, run_all, threads=1)
