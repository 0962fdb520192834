# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Takeover episodes in process (no ROS): what the policy node with ``safety.gate:
takeover`` and sim_robot_node's scripted operator do over ROS (test_takeover_round.py),
on the simulator's own clock, for the takeover study (benchmarks.experiments.takeover_study).

One tick = one simulator step (``JointTask.dt``, 12.5 ms), the policy clock of
``sim.rollout``. The policy re-plans every ``execute_steps`` ticks; at each plan a
``Trigger`` decides whether the scripted operator takes over instead of following the plan:
``GateTrigger`` (the node's ConfidenceGate closing), ``ScheduledTrigger`` (at given plans:
random takeovers) or none. The operator (``sim.operator``: the expert's plan of this start
state, joined at the pose nearest the arm) then commands one joint target per tick for its
budget of ticks; the policy re-plans at once afterwards, its gate reset (as the node's
``end_takeover``). The operator's ticks are counted by ``TakeoverBudget`` and recorded as
corrections: one ``Episode`` per takeover, the state before each tick and the target sent
at it (as ``record_demo`` records a demonstration), the intervention flag set on every tick
(what bag_to_dataset keeps with ``data.keep=interventions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from nf_policy_ros.data.windows import Episode
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.sim.experts import run_expert
from nf_policy_ros.sim.operator import ExpertPlan, TakeoverBudget
from nf_policy_ros.sim.rollout import ActionPolicy, interpolate_chunk, observe, task_state
from nf_policy_ros.sim.task import JointTask


class Trigger(Protocol):
    """When the operator takes over: asked at every policy plan of an episode."""

    def begin_episode(self) -> None: ...

    def takes_over(self, plan: int, confidence: float, in_support: bool) -> int:
        """Operator ticks to command instead of following plan number ``plan`` (0, 1, ...
        in the episode) of ``confidence`` [0, 1]; 0 = the policy's plan is followed."""
        ...

    def released(self) -> None:
        """The operator's ticks are spent: the policy plans again."""
        ...


class GateTrigger:
    """The policy node's ``takeover`` gate: a takeover of ``ticks`` ticks when ``gate``
    closes (``ConfidenceGate.update``), the gate reset when the operator releases."""

    def __init__(self, gate: ConfidenceGate, ticks: int) -> None:
        self.gate, self.ticks = gate, ticks

    def begin_episode(self) -> None:
        self.gate.reset()

    def takes_over(self, plan: int, confidence: float, in_support: bool) -> int:
        return 0 if self.gate.update(confidence, in_support) else self.ticks

    def released(self) -> None:
        self.gate.reset()


class ScheduledTrigger:
    """Takeovers at given plans: ``schedule`` maps plan number -> ticks."""

    def __init__(self, schedule: dict[int, int]) -> None:
        self.schedule = dict(schedule)

    def begin_episode(self) -> None:
        pass

    def takes_over(self, plan: int, confidence: float, in_support: bool) -> int:
        return self.schedule.get(plan, 0)

    def released(self) -> None:
        pass


@dataclass(frozen=True)
class Segment:
    """One takeover: the policy plan it replaced, its first tick, its ticks commanded."""

    plan: int
    start: int
    ticks: int


@dataclass
class TakeoverEpisode:
    """One episode with takeovers (``sim.rollout.Rollout`` plus the operator's part).

    ``confidence`` / ``plan_ticks``: per policy plan, its confidence [0, 1] and the tick it
    was made at; ``corrections``: one Episode per takeover (``Segment``), flag set."""

    seed: int
    success: bool = False
    steps: int = 0
    diverged: bool = False
    confidence: list[float] = field(default_factory=list)
    plan_ticks: list[int] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    corrections: list[Episode] = field(default_factory=list)
    expert_ticks: int = 0  # the operator's command ticks (TakeoverBudget.total)
    takeovers: int = 0  # takeovers begun (TakeoverBudget.takeovers)
    ended: bool = False

    def spent(self) -> dict[int, int]:
        """Plan number -> operator ticks commanded at it."""
        return {s.plan: s.ticks for s in self.segments}

    def trace(self) -> dict:
        """What the confidence-trace figure draws (JSON-ready)."""
        return {'seed': self.seed, 'success': self.success, 'steps': self.steps,
                'plan_ticks': list(self.plan_ticks),
                'confidence': [round(c, 4) for c in self.confidence],
                'segments': [[s.start, s.ticks] for s in self.segments]}


def run_with_takeovers(task: JointTask, actor: ActionPolicy, seed: int, execute_steps: int,
                       trigger: Trigger | None, low_dim: bool = True,
                       max_steps: int | None = None) -> TakeoverEpisode:
    """One episode from start state ``seed``: every ``execute_steps`` ticks the actor plans;
    ``trigger`` (None: never) may hand the next ticks to the scripted operator. Without a
    trigger the episode is ``sim.rollout.run_policy``'s (the same loop, no operator plan):
    the policy alone. Ends at success, divergence or ``max_steps`` (default: the task's).
    """
    if getattr(actor, 'obs_horizon', 1) != 1:
        raise ValueError(f'{actor.name}: obs_horizon > 1 is not supported here (NF-P sees '
                         'one observation)')
    max_steps = max_steps or task.config.max_steps
    operator = None if trigger is None else ExpertPlan(run_expert(task, seed))  # resets
    task.reset(seed, joint_control=True)
    out, budget = TakeoverEpisode(seed), TakeoverBudget('ticks', 1)
    if trigger is not None:
        trigger.begin_episode()
    while out.steps < max_steps and not out.ended:
        action = actor.act(observe(task, actor.observes_images, low_dim, actor.device))
        confidence, in_support = plan_confidence(actor, action)
        plan = len(out.confidence)
        out.confidence.append(confidence)
        out.plan_ticks.append(out.steps)
        ticks = 0 if trigger is None else trigger.takes_over(plan, confidence, in_support)
        if ticks > 0:
            operate(task, operator, budget, ticks, plan, out, low_dim, max_steps,
                    actor.observes_images)
            trigger.released()
            continue
        chunk = action.chunk[0].cpu().double().numpy()
        for target in interpolate_chunk(chunk, actor.stride, execute_steps):
            if step(task, target, out):
                break
    out.expert_ticks, out.takeovers = budget.total, budget.takeovers
    return out


def plan_confidence(actor: ActionPolicy, action) -> tuple[float, bool]:
    """(confidence [0, 1], in support) of the plan ``action`` just made (1.0 and True for a
    policy without a likelihood: its gate never closes)."""
    if action.confidence is None:
        return 1.0, True
    support = getattr(actor, 'last_in_support', None)
    return float(action.confidence[0]), bool(True if support is None else support[0])


def step(task: JointTask, target: np.ndarray, out: TakeoverEpisode) -> bool:
    """One tick toward ``target`` (9,); True when the episode ended (success, or the
    physics diverged: a failure)."""
    out.steps += 1
    solved = task.step(target)
    if task.diverged:
        out.diverged = out.ended = True
    elif solved:
        out.success = out.ended = True
    return out.ended


def operate(task: JointTask, operator: ExpertPlan, budget: TakeoverBudget, ticks: int,
            plan: int, out: TakeoverEpisode, low_dim: bool, max_steps: int,
            images: bool = False) -> None:
    """One takeover of up to ``ticks`` ticks (fewer if the episode ends first): the
    operator joins its plan at the arm's pose and commands a target per tick; its ticks
    are counted in ``budget`` and recorded in ``out`` (a Segment and a correction, with
    the camera frames when ``images``)."""
    budget.ticks = ticks
    budget.set_active(True)
    operator.join(task.joint_positions()[:7], task.steps)
    frames, states, targets, start = [], [], [], out.steps
    while budget.should_command() and out.steps < max_steps:
        target = operator.chunk(task.steps, 1, 1)[0]  # (9,) the plan's target of this tick
        if images:
            frames.append(task.render().transpose(2, 0, 1))
        states.append(task_state(task, low_dim))
        targets.append(target)
        budget.commanded()
        if step(task, target, out):
            break
    budget.set_active(False)
    out.segments.append(Segment(plan, start, len(targets)))
    out.corrections.append(correction(task, frames, states, targets,
                                      f'{task.config.task}/seed{out.seed}/takeover{plan}'))


def correction(task: JointTask, frames: list, states: list, targets: list,
               name: str) -> Episode:
    """The operator's ticks as an Episode (L ticks): frames (L, N_c, 3, H, W) (N_c = 0
    from state), state (L, D_s), targets (L, 9) [rad, finger setpoints], flag all True."""
    size = (task.config.image_height, task.config.image_width)
    pixels = (np.stack(frames)[:, None] if frames
              else np.zeros((len(states), 0, 3, *size), np.uint8))
    return Episode(pixels, np.asarray(states, np.float32), np.asarray(targets, np.float32),
                   name, intervention=np.ones(len(states), bool))


# ---- random takeovers at the confidence arm's expert effort ----------------------------------

def split_budget(budget: int, ticks: int) -> list[int]:
    """Takeover lengths [ticks] adding up to ``budget``: as many of ``ticks`` as fit, then
    the remainder (if any)."""
    if budget < 0 or ticks < 1:
        raise ValueError(f'budget={budget}, ticks={ticks}: expected >= 0 and >= 1')
    whole, rest = divmod(budget, ticks)
    return [ticks] * whole + ([rest] if rest else [])


class RandomTakeovers:
    """A round's budget of expert ticks spent at random moments.

    The budget is split into takeovers of ``ticks`` (``split_budget``). Before each episode
    every pending takeover joins it with probability 1 / (episodes left, this one
    included; all of them in the last), at a plan number drawn uniformly (distinct ones)
    from [0, ``plan_points``): the re-plan moments an episode of the task's length has.
    After the episode (``settle``), ticks a takeover did not command (the episode ended
    first) are pending again, so the budget is spent exactly if episodes remain; the
    study runs further start states until it is (``remaining`` == 0).
    """

    def __init__(self, budget: int, ticks: int, plan_points: int, seed: int) -> None:
        self.pending = split_budget(budget, ticks)
        self.plan_points = plan_points
        self.rng = np.random.default_rng(seed)

    @property
    def remaining(self) -> int:
        """Ticks not spent yet."""
        return sum(self.pending)

    def schedule(self, episodes_left: int) -> dict[int, int]:
        """Plan number -> ticks for the next episode (taken out of ``pending``)."""
        joins = (np.ones(len(self.pending), bool) if episodes_left <= 1 else
                 self.rng.random(len(self.pending)) < 1.0 / episodes_left)
        joined = [t for t, j in zip(self.pending, joins) if j]
        chosen, overflow = joined[:self.plan_points], joined[self.plan_points:]
        self.pending = [t for t, j in zip(self.pending, joins) if not j] + overflow
        moments = self.rng.choice(self.plan_points, size=len(chosen), replace=False)
        return {int(m): int(t) for m, t in zip(moments, chosen)}

    def settle(self, schedule: dict[int, int], spent: dict[int, int]) -> None:
        """After the episode: what each scheduled takeover did not command is pending."""
        for plan, ticks in schedule.items():
            left = ticks - spent.get(plan, 0)
            if left > 0:
                self.pending.append(left)

