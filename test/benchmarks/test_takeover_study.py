# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The takeover study (issue 35, benchmarks.experiments.takeover_study): the random arm's
scheduler and the extra-demo arm's rounding spend exactly the confidence arm's expert ticks,
takeover episodes count the operator's ticks and record only those as corrections, and a
tiny run of one round writes a record per arm, resumes without redoing recorded work and
draws its page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks.experiments import takeover_study
from benchmarks.pages import records, takeover_page
from benchmarks.protocol.takeover import (
    GateTrigger,
    RandomTakeovers,
    ScheduledTrigger,
    run_with_takeovers,
    split_budget,
)
from nf_policy_ros.data.windows import Episode
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.sim.experts import run_expert
from nf_policy_ros.sim.operator import ExpertPlan
from nf_policy_ros.sim.rollout import Action, run_policy
from nf_policy_ros.sim.task import JointTask, TaskConfig

TASK = 'peg-insert-side'
START = 30_000  # a start state of the study's rounds


# ---- the random arm's scheduler -------------------------------------------------------------

def test_a_budget_splits_into_takeovers_of_the_operator_length_and_a_remainder():
    assert split_budget(70, 32) == [32, 32, 6]
    assert split_budget(64, 32) == [32, 32]
    assert split_budget(5, 32) == [5]
    assert split_budget(0, 32) == []
    with pytest.raises(ValueError):
        split_budget(10, 0)


def test_random_takeovers_spend_the_budget_exactly_over_the_episodes():
    chooser = RandomTakeovers(200, 32, plan_points=13, seed=[0, 1, 7])
    schedules = []
    for left in range(4, 0, -1):
        schedule = chooser.schedule(left)
        assert all(0 <= plan < 13 for plan in schedule)  # dict keys: distinct plans
        chooser.settle(schedule, schedule)  # every takeover commanded in full
        schedules.append(schedule)
    assert chooser.remaining == 0
    assert sorted(t for s in schedules for t in s.values()) == sorted(split_budget(200, 32))
    assert sum(bool(s) for s in schedules) >= 2  # spread, not all in one episode
    again = RandomTakeovers(200, 32, plan_points=13, seed=[0, 1, 7])
    assert again.schedule(4) == schedules[0]  # seeded


def test_ticks_an_episode_did_not_command_are_scheduled_again():
    chooser = RandomTakeovers(40, 32, plan_points=13, seed=3)
    schedule = chooser.schedule(1)  # the last episode: everything in it
    assert sorted(schedule.values()) == [8, 32] and chooser.remaining == 0
    long_one = next(p for p, t in schedule.items() if t == 32)
    chooser.settle(schedule, {long_one: 20})  # ended 12 ticks into it, the 8 never began
    assert sorted(chooser.pending) == [8, 12] and chooser.remaining == 20
    assert sorted(chooser.schedule(0).values()) == [8, 12]  # a further start state


def test_an_episode_takes_at_most_one_takeover_per_plan():
    chooser = RandomTakeovers(10 * 5, 5, plan_points=4, seed=0)
    schedule = chooser.schedule(1)
    assert len(schedule) == 4 and chooser.remaining == 30  # the rest waits


# ---- the extra-demo arm's rounding --------------------------------------------------------

def demo(length: int, seed: int) -> Episode:
    state = np.arange(length, dtype=np.float32)[:, None].repeat(3, 1)
    return Episode(np.zeros((length, 0, 3, 4, 4), np.uint8), state, state + 1, f'd{seed}')


def test_extra_demos_are_whole_in_order_and_the_last_is_cut_at_the_budget():
    demos = [(seed, demo(length, seed)) for seed, length in ((5, 90), (7, 100), (8, 120))]
    taken, seeds = takeover_study.take_ticks(iter(demos), 150)
    assert [len(e) for e in taken] == [90, 60] and seeds == [5, 7]
    np.testing.assert_array_equal(taken[1].state, demos[1][1].state[:60])  # its first ticks
    taken, seeds = takeover_study.take_ticks(iter(demos), 190)
    assert [len(e) for e in taken] == [90, 100] and seeds == [5, 7]
    assert takeover_study.take_ticks(iter(demos), 0) == ([], [])
    taken, _ = takeover_study.take_ticks(iter(demos), 1000)  # the demos run out
    assert sum(len(e) for e in taken) == 310


# ---- takeover episodes: the operator's ticks, counted and recorded ----------------------------

class SteadyActor:
    """Holds the arm where it is (gripper open) with a fixed confidence."""

    name, stride, device, observes_images = 'steady', 4, torch.device('cpu'), False

    def __init__(self, confidence: float = 0.5) -> None:
        self.confidence = confidence
        self.last_in_support = torch.tensor([True])

    def act(self, obs) -> Action:
        joints = obs.state[:, :9].clone()
        joints[:, 7:] = torch.tensor([-1.0, 1.0])
        return Action(joints[:, None].repeat(1, 8, 1), torch.tensor([self.confidence]))


@pytest.fixture(scope='module')
def task():
    task = JointTask(TaskConfig(task=TASK))
    yield task
    task.close()


def plan_rows(task: JointTask, seed: int) -> np.ndarray:
    """(K, 9) the operator's joint targets for ``seed`` (its expert plan)."""
    return ExpertPlan(run_expert(task, seed)).targets.astype(np.float32)


def only_plan_rows(corrections: list[Episode], rows: np.ndarray) -> bool:
    return all(np.isclose(rows[None], a[:, None]).all(-1).any(1).all()
               for a in (c.actions for c in corrections))


def test_scheduled_takeovers_count_and_record_only_the_operators_ticks(task):
    episode = run_with_takeovers(task, SteadyActor(), START, 16, ScheduledTrigger({1: 10, 3: 5}))
    assert not episode.ended  # the held arm neither succeeds nor diverges
    assert episode.plan_ticks[:5] == [0, 16, 26, 42, 47]  # re-plans right after a takeover
    assert [(s.plan, s.start, s.ticks) for s in episode.segments] == [(1, 16, 10), (3, 42, 5)]
    assert (episode.expert_ticks, episode.takeovers) == (15, 2)
    assert [len(c) for c in episode.corrections] == [10, 5]
    assert all(c.intervention.all() for c in episode.corrections)
    assert only_plan_rows(episode.corrections, plan_rows(task, START))
    assert episode.corrections[0].state.shape == (10, 48)  # joints + Meta-World's 39


def test_the_gate_hands_over_after_its_debounce_and_reopens_on_release(task):
    gate = ConfidenceGate(0.05, 0.05, 2)
    episode = run_with_takeovers(task, SteadyActor(0.01), START, 16, GateTrigger(gate, 8),
                                 max_steps=100)
    # plans 0 (low), 1 (low: closed) -> 8 operator ticks; released and reset: 2, 3 -> ...
    assert [s.plan for s in episode.segments] == [1, 3, 5, 7]
    assert episode.plan_ticks == [0, 16, 24, 40, 48, 64, 72, 88, 96]
    assert episode.expert_ticks == 32 == sum(len(c) for c in episode.corrections)
    calm = run_with_takeovers(task, SteadyActor(0.5), START, 16, GateTrigger(gate, 8),
                              max_steps=100)
    assert (calm.expert_ticks, calm.takeovers, calm.corrections) == (0, 0, [])


def test_without_a_trigger_the_episode_is_the_policy_alone(task):
    alone = run_with_takeovers(task, SteadyActor(), START, 16, None, max_steps=60)
    reference = run_policy(task, SteadyActor(), START, 16, max_steps=60, low_dim=True)
    assert (alone.success, alone.steps, alone.confidence) == (
        reference.success, reference.steps, reference.confidence)
    assert alone.expert_ticks == 0 and not alone.corrections


def test_the_gate_has_the_policy_nodes_defaults():
    gate = takeover_study.make_gate(takeover_study.build_parser().parse_args([]))
    safety = takeover_study.SAFETY
    assert (gate.threshold, gate.hysteresis, gate.debounce_plans) == (
        safety.gate_threshold, safety.gate_hysteresis, safety.gate_debounce_plans)


# ---- one tiny round, end to end -------------------------------------------------------------

TINY = ['--tasks', TASK, '--seeds', '0', '--demos', '2', '--steps', '2', '--finetune-steps',
        '2', '--rounds', '1', '--round-episodes', '2', '--episodes', '1', '--operator-ticks',
        '8', '--network', 'tiny', '--threads', '1', '--write-docs']


def saved(run_dir: Path, arm: str) -> tuple[list[Episode], dict]:
    [folder] = run_dir.glob(f'{TASK}/seed0_*/{arm}/round1')
    return (takeover_study.load_episodes(folder / 'data.npz'),
            json.loads((folder / 'round.json').read_text()))


def trainings(run_dir: Path) -> dict[str, int]:
    return {str(p.relative_to(run_dir)): p.stat().st_mtime_ns
            for p in run_dir.rglob('policy.pt')}


def test_one_tiny_round_of_three_arms_at_equal_expert_ticks_resumes(tmp_path, monkeypatch,
                                                                    capsys, task):
    monkeypatch.setattr(records, 'DOCS', tmp_path / 'docs')
    # a gate that every plan is below: it hands over at every second plan (an untrained
    # policy's own confidence would decide otherwise from run to run)
    monkeypatch.setattr(takeover_study, 'make_gate', lambda args: ConfidenceGate(1.5, 0.0, 2))
    read = []  # what each acting policy's confidence reads

    def sampled_actor(kind, network, gen, real=takeover_study.sampled_actor):
        read.append(kind.sampler.confidence)
        return real(kind, network, gen)
    monkeypatch.setattr(takeover_study, 'sampled_actor', sampled_actor)
    run_dir = tmp_path / 'runs'
    args = [*TINY, '--run-dir', str(run_dir)]
    assert takeover_study.main(args) == 0
    assert read and set(read) == {'context'}
    written = records.load(takeover_page.NAME)
    by_arm = {r['policy']: r for r in written}
    assert sorted(by_arm) == ['demos', 'gate', 'random', 'start'] and len(written) == 4
    ticks = by_arm['gate']['expert_ticks']
    assert ticks > 0 and by_arm['gate']['takeovers'] > 0
    assert by_arm['random']['expert_ticks'] == by_arm['demos']['expert_ticks'] == ticks
    assert by_arm['random']['unspent_ticks'] == by_arm['demos']['unspent_ticks'] == 0
    assert by_arm['start']['round'] == 0 and by_arm['gate']['round'] == 1
    assert all(len(r['episode_success']) == 1 for r in written)
    assert {r['gate_confidence'] for r in written} == {'context'}  # the screen's choice

    # the corrections: the operator's ticks only, flagged, from its plan of each start state
    for arm in ('gate', 'random'):
        corrections, stats = saved(run_dir, arm)
        assert sum(len(c) for c in corrections) == stats['expert_ticks'] == ticks
        assert all(c.intervention.all() for c in corrections)
        for seed in {int(c.name.split('/seed')[1].split('/')[0]) for c in corrections}:
            mine = [c for c in corrections if f'/seed{seed}/' in c.name]
            assert only_plan_rows(mine, plan_rows(task, seed))
    extra, stats = saved(run_dir, 'demos')
    assert sum(len(e) for e in extra) == ticks and not any(e.intervention.any() for e in extra)
    assert stats['demo_seeds'][0] > 4  # after the 2 demos and 3 held out

    page = (tmp_path / 'docs' / 'takeover_study.md').read_text()
    assert 'x 2 plans on the context, network tiny' in page
    for arm in ('start', 'gate', 'random', 'demos'):
        assert f'| {TASK} | {0 if arm == "start" else 1} | `{arm}` |' in page
    assert (tmp_path / 'docs' / 'takeover_study.png').stat().st_size > 1000
    assert (tmp_path / 'docs' / 'takeover_trace.png').stat().st_size > 1000

    # resumed: everything recorded is skipped, nothing retrained
    before = trainings(run_dir)
    assert len(before) == 4
    capsys.readouterr()
    assert takeover_study.main(args) == 0
    assert f'recorded already: {TASK} seed 0' in capsys.readouterr().out
    assert len(records.load(takeover_page.NAME)) == 4
    # one record lost: only it is written again, from the saved data and training
    records.save(takeover_page.NAME, [r for r in written if r['policy'] != 'demos'])
    assert takeover_study.main(args) == 0
    again = records.load(takeover_page.NAME)
    assert [r['policy'] for r in again] == ['start', 'gate', 'random', 'demos']
    assert again[-1]['expert_ticks'] == ticks and trainings(run_dir) == before


# ---- the page -----------------------------------------------------------------------------

def fake(task: str, seed: int, arm: str, round_: int, wins: int, ticks: int) -> dict:
    outcome = [i < wins for i in range(20)]
    return {'task': task, 'seed': seed, 'policy': arm, 'round': round_, 'split': 'tune',
            'demos': 10, 'steps': 1000, 'finetune_steps': 1000, 'operator_ticks': 32,
            'corrections_weight': None, 'round_episodes_target': 10, 'network': 'recipe',
            'gate_threshold': 0.05, 'gate_debounce': 2, 'successes': wins, 'episodes': 20,
            'episode_success': outcome, 'expert_ticks': ticks,
            'cumulative_expert_ticks': ticks * round_, 'takeovers': 3 if arm != 'demos' else 0,
            'takeovers_before_failure': 2, 'takeover_episodes': 2, 'start_states': 10,
            'alone_failures': 4, 'alone_failures_taken_over': 2}


def test_the_page_pairs_arm_one_with_each_other_arm_after_the_last_round():
    every = [fake(TASK, s, 'start', 0, 4, 0) for s in range(3)]
    every += [fake(TASK, s, arm, r, wins, 96) for s in range(3) for r in (1, 2)
              for arm, wins in (('gate', 15), ('random', 5), ('demos', 14))]
    page = takeover_page.render_page(every)
    assert f'| {TASK} | 0 | `start` | 0 | 9 | 12/60, CI' in page
    assert f'| {TASK} | 2 | `gate` | 192 | 9 | 45/60, CI' in page
    assert f'| {TASK} | 2 | +50 pts [' in page and '(better, 3 seeds)' in page
    assert '+5 pts [' in page and 'no detectable difference, 3 seeds' in page
    assert f'| {TASK} | 1 | 9 | 6 (67 %) | 6 | 30 | 12 | 6 |' in page
    one_seed = takeover_page.render_page([r for r in every if r['seed'] == 0])
    assert 'too few seeds, 1 seeds' in one_seed
