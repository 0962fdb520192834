# Copyright 2026 nf_policy_ros authors
# SPDX-License-Identifier: Apache-2.0
"""benchmarks.gate_delay: the fault injection and the delay / false-alarm count."""

from __future__ import annotations

import torch

from benchmarks.experiments.gate_delay import FAULTS, FaultyCamera, episode_row, gate_trace
from nf_policy_ros.node_config.policy import SafetyConfig
from nf_policy_ros.sim.rollout import Action
from nf_policy_ros.structs import Observation


class Recorder:
    """An actor that keeps the images it was shown."""

    name, stride, device, observes_images = 'recorder', 2, torch.device('cpu'), True

    def __init__(self) -> None:
        self.seen: list[torch.Tensor] = []
        self.last_in_support: torch.Tensor | None = None

    def act(self, obs: Observation) -> Action:
        self.seen.append(obs.images.clone())
        self.last_in_support = torch.tensor([bool(obs.images.mean() > 0)])
        return Action(torch.zeros(1, 4, 3), torch.ones(1))


def frames(count: int) -> list[Observation]:
    return [Observation(torch.full((1, 1, 3, 4, 4), float(i + 1)), torch.zeros(1, 3))
            for i in range(count)]


def test_the_camera_fails_from_the_fault_plan_on():
    black, frozen = Recorder(), Recorder()
    faulty = FaultyCamera(black, 2, FAULTS[0])
    for actor in (faulty, FaultyCamera(frozen, 2, FAULTS[1])):
        for obs in frames(4):
            actor.act(obs)
    assert [float(x.mean()) for x in black.seen] == [1.0, 2.0, 0.0, 0.0]
    assert [float(x.mean()) for x in frozen.seen] == [1.0, 2.0, 2.0, 2.0]
    assert faulty.in_support == [True, True, False, False]  # recorded per plan


SAFETY = SafetyConfig(gate_threshold=0.05, gate_hysteresis=0.05)


def test_delay_counts_plans_from_the_fault_and_false_alarms_before_it():
    confidence = [0.5, 0.01, 0.6, 0.3, 0.2, 0.04, 0.0]
    row = episode_row(gate_trace(confidence, [True] * 7, SAFETY, 1), fault_plan=3)
    assert row == {'false_alarms': 1, 'plans_before': 3, 'delay_plans': 2}
    never = episode_row(gate_trace([0.5] * 3, [True] * 3, SAFETY, 1), fault_plan=1)
    assert never['delay_plans'] is None and never['false_alarms'] == 0


def test_the_benchmark_runs_the_node_gate_with_its_debounce_and_support():
    confidence = [0.01, 0.5, 0.6, 0.04, 0.03, 0.5]
    # debounce 2: the lone first-plan dip passes, two low plans after the fault close it
    row = episode_row(gate_trace(confidence, [True] * 6, SAFETY, 2), fault_plan=3)
    assert row == {'false_alarms': 0, 'plans_before': 3, 'delay_plans': 1}
    # a plan outside the support closes it at once, whatever the debounce
    support = [True, True, True, False, False, False]
    row = episode_row(gate_trace(confidence, support, SAFETY, 3), fault_plan=3)
    assert row['delay_plans'] == 0
