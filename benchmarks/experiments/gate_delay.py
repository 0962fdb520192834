# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""How soon does NF-P's confidence gate trip after a camera fault, in closed loop?

A camera checkpoint drives the simulated robot from unseen start states; at plan
``--fault-plan`` the camera fails (blacked out, or frozen on the frame it showed last) and
stays failed. Per episode, each plan's confidence and support flag are recorded and fed to
the policy node's gate (safety.gate_threshold, gate_hysteresis and several
gate_debounce_plans): the plans from the fault until the gate closes, and how many plans
before the fault it was already closed (a false alarm: the gate would have held a working
robot). A plan takes ``--execute-steps`` physics steps of 12.5 ms.

    T=drawer-open; R=runs/vision_tier/$T
    python -m benchmarks.gate_delay --task $T --object-range-scale 2 \
        --checkpoint $R/50demos_seed0_654afa7f05_range2_nfp/nfp/policy.pt \
        --dataset $R/demos_50_48px_range2 --recalibrate --write-docs
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.experiments.confidence_auroc import SIM_SEED0, recalibrate
from benchmarks.pages import report
from benchmarks.protocol.actors import NFPActor
from benchmarks.protocol.tier import EXECUTE_STEPS
from nf_policy_ros.config import SamplingConfig
from nf_policy_ros.core.checkpoint import load_policy
from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.runtime.plan import ConfidenceGate
from nf_policy_ros.sim.rollout import Action, run_policy
from nf_policy_ros.structs import Observation

NAME = 'gate_delay'
DEBOUNCES = (1, 2, 3)  # safety.gate_debounce_plans values compared
FAULTS = ('camera blacked out', 'camera frozen on its last frame')
STEP_MS = 12.5  # one Meta-World physics step


class FaultyCamera:
    """``inner`` whose camera fails from its ``fault_plan``-th plan (0-based) on: all-zero
    frames, or the last frame before the fault repeated."""

    def __init__(self, inner: NFPActor, fault_plan: int, fault: str) -> None:
        self.inner, self.fault_plan, self.fault = inner, fault_plan, fault
        self.name, self.stride, self.device = inner.name, inner.stride, inner.device
        self.observes_images = True
        self.plans = 0
        self.in_support: list[bool] = []  # per plan: the observation inside the support
        self._last: torch.Tensor | None = None

    def act(self, obs: Observation) -> Action:
        if self.plans >= self.fault_plan:
            images = (torch.zeros_like(obs.images) if self.fault == FAULTS[0]
                      else self._last)
            obs = obs._replace(images=images)
        else:
            self._last = obs.images
        self.plans += 1
        action = self.inner.act(obs)
        self.in_support.append(bool(self.inner.last_in_support[0]))
        return action


def gate_trace(confidence: list[float], in_support: list[bool], safety: SafetyConfig,
               debounce_plans: int) -> list[bool]:
    """Per plan: whether the policy node's gate (runtime/plan.py) is closed after it."""
    gate = ConfidenceGate(safety.gate_threshold, safety.gate_hysteresis, debounce_plans)
    return [not gate.update(c, s) for c, s in zip(confidence, in_support)]


def episode_row(closed: list[bool], fault_plan: int) -> dict[str, Any]:
    """From one episode's gate trace: plans before the fault with the gate closed (false
    alarms) and the delay [plans] from the fault to the first closed plan (None: not within
    the episode)."""
    before, after = closed[:fault_plan], closed[fault_plan:]
    return {'false_alarms': sum(before), 'plans_before': len(before),
            'delay_plans': next((i for i, c in enumerate(after) if c), None)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from nf_policy_ros.sim.task import JointTask, TaskConfig

    policy, _ = load_policy(args.checkpoint)
    if args.recalibrate:
        recalibrate(policy, args.dataset)
    enc = policy.config.encoder
    task = JointTask(TaskConfig(task=args.task, image_height=enc.image_height,
                                image_width=enc.image_width,
                                object_range_scale=args.object_range_scale))
    max_steps = (args.fault_plan + args.plans_after) * args.execute_steps
    rows = {}
    for fault in FAULTS:
        episodes = []
        for i in range(args.episodes):
            actor = FaultyCamera(NFPActor(policy, SamplingConfig(
                mode='best_of_n', num_candidates=32), torch.Generator().manual_seed(i)),
                args.fault_plan, fault)
            rollout = run_policy(task, actor, SIM_SEED0 + i, args.execute_steps, max_steps)
            episodes.append({'confidence': rollout.confidence,
                             'in_support': actor.in_support,
                             'success_before_fault': rollout.success and
                             actor.plans <= args.fault_plan})
        rows[fault] = episodes
    task.close()
    safety = SafetyConfig()
    return {'machine': report.machine_info(torch.device('cpu')), 'task': args.task,
            'checkpoint': str(args.checkpoint), 'recalibrated': bool(args.recalibrate),
            'object_range_scale': args.object_range_scale,
            'threshold': safety.gate_threshold, 'hysteresis': safety.gate_hysteresis,
            'fault_plan': args.fault_plan, 'plan_ms': args.execute_steps * STEP_MS,
            'eval_seed0': SIM_SEED0, 'faults': rows}


def has_traces(record: dict[str, Any]) -> bool:
    """Records from before the per-plan traces kept only their summary (no support flag),
    which the gate cannot be replayed on."""
    return all('in_support' in e for episodes in record['faults'].values() for e in episodes)


def summary_row(fault: str, debounce: int, record: dict[str, Any]) -> list[Any]:
    """[fault, debounce, episodes with a fault, tripped, median / max delay [ms], false
    alarms: episodes and plans]."""
    safety = SafetyConfig(gate_threshold=record['threshold'],
                          gate_hysteresis=record['hysteresis'])
    fault_plan, plan_ms = record['fault_plan'], record['plan_ms']
    episodes = record['faults'][fault]
    rows = [episode_row(gate_trace(e['confidence'], e['in_support'], safety, debounce),
                        fault_plan) for e in episodes]
    faulted = [r for r, e in zip(rows, episodes) if not e['success_before_fault']]
    delays = [r['delay_plans'] for r in faulted if r['delay_plans'] is not None]
    before = sum(r['plans_before'] for r in rows)
    alarms = sum(r['false_alarms'] for r in rows)
    ms = (f'{np.median(delays) * plan_ms:.0f} / {max(delays) * plan_ms:.0f}'
          if delays else '')
    return [fault, debounce, len(faulted), f'{len(delays)}/{len(faulted)}', ms,
            f"{sum(r['false_alarms'] > 0 for r in rows)}/{len(rows)}",
            f'{alarms}/{before} ({100.0 * alarms / max(before, 1):.0f} %)']


def render_page(records: list[dict[str, Any]]) -> str:
    latest = {(r['task'], r['checkpoint']): r for r in records
              if has_traces(r)}
    sections = []
    for r in latest.values():
        table = [summary_row(fault, debounce, r) for fault in r['faults']
                 for debounce in DEBOUNCES]
        scale = r['object_range_scale']
        sections += [
            f"## {r['task']}{f', object placement x{scale:g}' if scale != 1 else ''}, "
            f"checkpoint `{r['checkpoint']}`"
            + (' (confidence references refit: --recalibrate)' if r['recalibrated'] else '')
            + '\n',
            f"Machine: {report.describe_machine(r['machine'])}\n",
            f"Fault from plan {r['fault_plan']} on (one plan = {r['plan_ms']:g} ms of robot "
            f"time); gate threshold {r['threshold']:g}, hysteresis {r['hysteresis']:g}; "
            f"start states {r['eval_seed0']}+ (tuning split).\n",
            report.markdown_table(['fault', 'debounce [plans]',
                                   'episodes still running at the fault', 'gate tripped',
                                   'delay median / max [ms]',
                                   'episodes with a false alarm',
                                   'plans closed before the fault'], table), '']
    return '\n'.join([
        '# Confidence gate after a camera fault, closed loop (generated by '
        '`python -m benchmarks.gate_delay`)\n',
        "Each episode's per-plan confidence and support flag go through the policy "
        "node's own gate (`ConfidenceGate`, runtime/plan.py) with each debounce "
        '(safety.gate_debounce_plans: plans in a row below the threshold before it '
        'closes; a plan outside the training support closes it at once). The delay counts '
        'from the first plan made with the faulty camera (0 = the gate is closed after '
        'that plan, so the node holds instead of executing it). A false alarm is a '
        'closed gate while the camera still worked. The robot is not held here: after a '
        'false alarm the episode goes on as if the gate were in `warn` mode.\n',
        *sections])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--checkpoint', type=Path, required=True)
    parser.add_argument('--dataset', type=Path, default=None)
    parser.add_argument('--task', default='drawer-open')
    parser.add_argument('--object-range-scale', type=float, default=1.0)
    parser.add_argument('--episodes', type=int, default=20)
    parser.add_argument('--fault-plan', type=int, default=8)
    parser.add_argument('--plans-after', type=int, default=8)
    parser.add_argument('--execute-steps', type=int, default=EXECUTE_STEPS)
    parser.add_argument('--recalibrate', action='store_true',
                        help='refit the confidence references on --dataset first')
    parser.add_argument('--write-docs', action='store_true')
    args = parser.parse_args(argv)
    if args.recalibrate and args.dataset is None:
        parser.error('--recalibrate needs --dataset')
    if args.fault_plan < 1:  # the frozen fault repeats a frame seen before it
        parser.error(f'--fault-plan {args.fault_plan}: expected >= 1')
    torch.set_num_threads(1)
    report.publish(NAME, run(args), render_page, args.write_docs)
    return 0
